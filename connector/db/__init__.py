"""Database: models, sessions, the tenant-scoped store and the Alembic migrations."""
