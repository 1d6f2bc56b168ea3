"""The action catalog: no Flask, no database; actions reach the world only through a Context."""
