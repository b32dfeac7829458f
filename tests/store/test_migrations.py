"""Alembic migrations on SQLite and PostgreSQL: up, down to nothing, up again, no drift."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from bot.store import migrations
from bot.store.database import Store
from bot.store.models import Base

TABLES = {t.name for t in Base.metadata.sorted_tables}


def _tables(conn: Connection) -> set[str]:
    return set(inspect(conn).get_table_names())


def _drift(conn: Connection) -> list[Any]:
    context = MigrationContext.configure(conn, opts={"compare_type": True})
    diff: list[Any] = compare_metadata(context, Base.metadata)
    return diff


async def test_upgrade_downgrade_upgrade(database_url: str) -> None:
    store = Store(database_url)
    try:
        await store.upgrade()
        head = migrations.head_revision()
        assert head == "0004"
        assert await migrations.current_revision(store.engine) == head
        async with store.engine.connect() as conn:
            assert await conn.run_sync(_tables) >= TABLES

        await migrations.downgrade(store.engine, "base")
        assert await migrations.current_revision(store.engine) is None
        async with store.engine.connect() as conn:
            assert await conn.run_sync(_tables) & TABLES == set()

        await store.upgrade()
        await store.upgrade()  # idempotent
        assert await migrations.current_revision(store.engine) == head
        async with store.engine.connect() as conn:
            assert await conn.run_sync(_tables) >= TABLES
        await store.state.set("after", "migrations")  # and the schema works
        assert await store.state.get("after") == "migrations"
    finally:
        await store.close()


async def test_models_match_the_migrations(database_url: str) -> None:
    """Like `alembic check`: autogenerate finds nothing to add, drop or alter."""
    store = Store(database_url)
    try:
        await store.upgrade()
        async with store.engine.connect() as conn:
            assert await conn.run_sync(_drift) == []
    finally:
        await store.close()


async def test_drift_would_be_detected(database_url: str) -> None:
    """The check above can fail: drop an index and it is reported."""
    store = Store(database_url)
    try:
        await store.upgrade()
        async with store.engine.begin() as conn:
            await conn.exec_driver_sql("DROP INDEX ix_documents_uploader")
        async with store.engine.connect() as conn:
            diff = await conn.run_sync(_drift)
        assert [d[0] for d in diff] == ["add_index"]
    finally:
        async with store.engine.begin() as conn:  # leave the shared database intact
            await conn.exec_driver_sql(
                "CREATE INDEX IF NOT EXISTS ix_documents_uploader ON documents (uploader_id)"
            )
        await store.close()
