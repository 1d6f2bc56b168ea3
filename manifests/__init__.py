"""The Zapier and Make apps, generated from the trigger and action catalogs (never hand-edited)."""
