"""The trigger catalog and the canonical event vocabulary (no Flask, no database, no HTTP)."""
