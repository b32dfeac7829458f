"""The Store: one async engine, its session factory and the repositories built on it."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DatabaseError,
    DBAPIError,
    IntegrityError,
    InvalidRequestError,
    OperationalError,
)
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.config import PASSWORD_MISREAD, mask_url, password_misread
from bot.i18n import _
from bot.shared.errors import SohbetError
from bot.store import migrations

__all__ = [
    "InvalidDatabaseUrl",
    "Store",
    "StoreDamaged",
    "StoreUnavailable",
    "normalize_database_url",
]

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 5.0
STATEMENT_TIMEOUT_S = 5.0
HUNG_BACKOFF_S = 5.0


class StoreUnavailable(SohbetError):
    """The database cannot be reached (refused, gone, or not answering in time)."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(
            _(
                "My database is unreachable right now, so I can't do that. Please try again in "
                "a moment."
            )
        )
        self.detail = detail

    @property
    def reason(self) -> str:
        """The first line of the driver's explanation, for operators (CLI, logs)."""
        lines = self.detail.strip().splitlines()
        return lines[0][:200] if lines else "no details from the driver"


class StoreDamaged(StoreUnavailable):
    """The database file is damaged (truncated, overwritten): retrying can't help."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail)
        self.user_message = _(
            "My database is damaged, so I can't do that. The bot's operator needs to repair or "
            "restore it; `sohbet doctor` explains how."
        )


_DAMAGE_HINTS = ("malformed", "not a database", "file is encrypted", "disk i/o error")


def _is_damage(exc: BaseException) -> bool:
    return isinstance(exc, DatabaseError) and any(h in str(exc).lower() for h in _DAMAGE_HINTS)


class InvalidDatabaseUrl(StoreUnavailable):
    """The configured database URL can't be used at all (typo, unknown or missing driver)."""

    def __init__(self, url: str, problem: str) -> None:
        super().__init__(problem)
        self.user_message = (
            f"The database URL `{mask_url(url)}` can't be used: {problem}. "
            "Use `sqlite+aiosqlite:///path/to/sohbet.db` or "
            "`postgresql+asyncpg://user:password@host:5432/dbname`."
        )


# Sync or generic driver names people write, and the async driver Sohbet uses instead.
_ASYNC_DRIVERS = {
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+psycopg2": "postgresql+asyncpg",
    "postgresql+psycopg": "postgresql+asyncpg",
    "sqlite": "sqlite+aiosqlite",
    "sqlite+pysqlite": "sqlite+aiosqlite",
}


def normalize_database_url(url: str) -> URL:
    """Parse a database URL and pick the async driver (`postgresql://` -> asyncpg)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise InvalidDatabaseUrl(url, "it is not a database URL") from None
    if password_misread(url, parsed.password):  # an unencoded `@`: the rest became the host
        raise InvalidDatabaseUrl(url, PASSWORD_MISREAD)
    driver = _ASYNC_DRIVERS.get(parsed.drivername)
    if driver is not None:
        parsed = parsed.set(drivername=driver)
    if parsed.get_backend_name() not in {"sqlite", "postgresql"}:
        raise InvalidDatabaseUrl(url, f"`{parsed.get_backend_name()}` databases are not supported")
    return parsed


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Deleted rows are overwritten, not just unlinked: /privacy forget must reach the file.
    cursor.execute("PRAGMA secure_delete=ON")
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
        from bot.store.teaching import TeachingRepository

        self.url = url
        self._hung_until = 0.0
        self._hung_detail = ""
        parsed = normalize_database_url(url)
        kwargs: dict[str, object] = {"echo": echo}
        if parsed.get_backend_name() == "postgresql":
            # Server connections can drop while pooled; a local SQLite file can't, and the
            # ping would cost every SQLite transaction several thread round trips.
            kwargs["pool_pre_ping"] = True
            # Bounded waits: a server that hangs (stopped process, connections still open)
            # gets the same clear answer as one that refuses, within seconds, not minutes.
            kwargs["connect_args"] = {
                "timeout": CONNECT_TIMEOUT_S,
                "command_timeout": STATEMENT_TIMEOUT_S,
            }
            kwargs["pool_timeout"] = CONNECT_TIMEOUT_S
        else:
            # SQLite: how long to wait for another process's write lock before giving up.
            kwargs["connect_args"] = {"timeout": STATEMENT_TIMEOUT_S}
        try:
            self.engine: AsyncEngine = create_async_engine(parsed, **kwargs)
        except (ArgumentError, InvalidRequestError, ImportError) as exc:
            raise InvalidDatabaseUrl(url, f"{type(exc).__name__}: {exc}") from None
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self.settings = SettingsRepository(self.session)
        self.audit = AuditRepository(self.session)
        self.conversations = ConversationRepository(self.session)
        self.usage = UsageRepository(self.session)
        self.documents = DocumentRepository(self.session)
        self.state = StateRepository(self.session)
        self.teaching = TeachingRepository(self.session)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A transaction: committed on success, rolled back on any error.

        After a database that hung (a timeout), further sessions fail at once for
        HUNG_BACKOFF_S instead of each waiting out its own timeout: one chat line touches the
        database several times, and the member should hear "unreachable" in seconds.
        """
        if time.monotonic() < self._hung_until:
            raise StoreUnavailable(self._hung_detail)
        try:
            async with self.sessions.begin() as session:
                yield session
        except (OperationalError, DBAPIError, OSError) as exc:
            if _is_damage(exc):
                log.error("the database file is damaged: %s", _detail(exc))
                raise StoreDamaged(_detail(exc)) from exc
            if _is_connection_error(exc):
                log.warning("database unavailable: %s", type(exc).__name__)
                if _is_timeout(exc):
                    self._hung_until = time.monotonic() + HUNG_BACKOFF_S
                    self._hung_detail = f"the database did not answer: {_detail(exc)}"
                raise StoreUnavailable(_detail(exc)) from exc
            raise

    async def ping(self, check_integrity: bool = False) -> None:
        """Raise StoreUnavailable unless the database answers; `check_integrity` also reads
        every page of a SQLite file (slow on big files: `sohbet doctor`, not health probes)."""
        self._check_sqlite_folder()
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
                if check_integrity and self.dialect == "sqlite":
                    result = await conn.execute(text("PRAGMA quick_check"))
                    verdict = str(result.scalar())
                    if verdict != "ok":
                        raise StoreDamaged(f"quick_check: {verdict[:200]}")
        except (OperationalError, DBAPIError, OSError) as exc:
            if _is_damage(exc):
                raise StoreDamaged(_detail(exc)) from exc
            raise StoreUnavailable(_detail(exc)) from exc

    async def purge_deleted(self) -> None:
        """Make deletions final on disk: SQLite's write-ahead log still holds the old pages
        until a checkpoint, so fold it into the (securely deleted) file and truncate it.
        PostgreSQL reclaims dead rows with its own vacuum."""
        if self.dialect != "sqlite":
            return
        async with self.engine.connect() as conn:
            await conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))

    async def upgrade(self) -> None:
        """Apply all Alembic migrations (idempotent)."""
        self._check_sqlite_folder()
        try:
            await migrations.upgrade(self.engine)
        except (OperationalError, DBAPIError, OSError) as exc:
            if _is_damage(exc):
                raise StoreDamaged(_detail(exc)) from exc
            if _is_connection_error(exc):
                raise StoreUnavailable(_detail(exc)) from exc
            raise

    async def close(self) -> None:
        await self.engine.dispose()

    def _check_sqlite_folder(self) -> None:
        """Say so plainly, before aiosqlite fails (and leaves its worker thread behind)."""
        database = self.engine.url.database
        if self.dialect != "sqlite" or not database or database.startswith((":memory:", "file:")):
            return
        folder = Path(database).expanduser().parent
        if not folder.is_dir():
            raise StoreUnavailable(f"unable to open database file: no folder {folder}")

    def __repr__(self) -> str:
        return f"Store({mask_url(self.url)})"


def _detail(exc: BaseException) -> str:
    """The driver's own words, without SQLAlchemy's wrapper prefix."""
    source = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    return str(source).strip() or type(source).__name__


# SQLSTATE classes that mean "can't get to the data", not "this statement is wrong":
# connection exception, invalid authorization, unknown database, insufficient resources,
# operator intervention (shutdown, cannot connect now).
_UNAVAILABLE_SQLSTATES = ("08", "28", "3D", "53", "57P")
_UNAVAILABLE_HINTS = ("unable to open", "locked", "connection", "timeout", "refused")


def _is_timeout(exc: BaseException) -> bool:
    source = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    return isinstance(source, TimeoutError) or "timeout" in str(source).lower()


def _is_connection_error(exc: BaseException) -> bool:
    if isinstance(exc, OSError):  # refused, unreachable host, DNS failure, timeout
        return True
    if not isinstance(exc, DBAPIError) or isinstance(exc, IntegrityError):
        return False
    if exc.connection_invalidated:
        return True
    sqlstate = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    if isinstance(sqlstate, str) and sqlstate:
        return sqlstate.startswith(_UNAVAILABLE_SQLSTATES)
    if isinstance(exc.orig, OSError):
        return True
    message = str(exc.orig).lower()
    return isinstance(exc, OperationalError) and any(h in message for h in _UNAVAILABLE_HINTS)
