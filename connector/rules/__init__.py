"""Rule triggers: conditions no webhook announces, found by the periodic job over the projections."""
