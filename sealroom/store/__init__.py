"""The metadata store: SQLAlchemy models, sessions and migrations."""
