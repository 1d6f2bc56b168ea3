"""Tenants and users: sign-up, sign-in, roles."""
