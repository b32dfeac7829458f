"""The Store: one async engine, its session factory and the repositories built on it."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from bot.config import mask_url
from bot.core.errors import SohbetError
from bot.store import migrations

__all__ = ["Store", "StoreUnavailable"]

log = logging.getLogger(__name__)


class StoreUnavailable(SohbetError):
    """The database cannot be reached; nothing was changed."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(
            "My database is unreachable right now, so I can't do that. Nothing was changed; "
            "please try again in a moment."
        )
        self.detail = detail


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class Store:
    """Owns the database connection pool. Repositories share its session factory."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        from bot.store.repositories import (
            AuditRepository,
            ConversationRepository,
            DocumentRepository,
            SettingsRepository,
            StateRepository,
            UsageRepository,
        )

        self.url = url
        kwargs: dict[str, object] = {"echo": echo, "pool_pre_ping": True}
        if url.startswith("postgresql"):
            kwargs["connect_args"] = {"timeout": 5}
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self.settings = SettingsRepository(self)
        self.audit = AuditRepository(self)
        self.conversations = ConversationRepository(self)
        self.usage = UsageRepository(self)
        self.documents = DocumentRepository(self)
        self.state = StateRepository(self)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A transaction: committed on success, rolled back on any error."""
        try:
            async with self.sessions.begin() as session:
                yield session
        except (OperationalError, DBAPIError, OSError) as exc:
            if _is_connection_error(exc):
                log.warning("database unavailable: %s", type(exc).__name__)
                raise StoreUnavailable(str(exc)) from exc
            raise

    async def ping(self) -> None:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except (OperationalError, DBAPIError, OSError) as exc:
            raise StoreUnavailable(str(exc)) from exc

    async def upgrade(self) -> None:
        """Apply all Alembic migrations (idempotent)."""
        try:
            await migrations.upgrade(self.engine)
        except (OperationalError, DBAPIError, OSError) as exc:
            if _is_connection_error(exc):
                raise StoreUnavailable(str(exc)) from exc
            raise

    async def close(self) -> None:
        await self.engine.dispose()

    def __repr__(self) -> str:
        return f"Store({mask_url(self.url)})"


def _is_connection_error(exc: BaseException) -> bool:
    if isinstance(exc, OSError):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    message = str(exc).lower()
    return any(
        hint in message
        for hint in ("connect", "connection", "unable to open", "timeout", "refused", "closed")
    )
