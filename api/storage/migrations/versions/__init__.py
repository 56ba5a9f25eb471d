"""Alembic revisions, one module each, named by revision id (Alembic itself skips this file)."""
