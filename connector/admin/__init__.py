"""The support staff's admin page."""
