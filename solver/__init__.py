"""Backbone."""
