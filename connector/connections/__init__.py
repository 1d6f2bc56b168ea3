"""Tenants' connections to providers: install, tokens, API clients, catch-up sync, uninstall."""
