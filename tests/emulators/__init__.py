"""Emulators of the remote FSM and accounting systems, served on 127.0.0.1 for the tests.

Each speaks its provider's documented wire format (OAuth, webhooks, API). None calls out.
"""
