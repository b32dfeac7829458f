"""Persistence: the Store (SQLAlchemy async engine), its repositories and Alembic migrations."""
