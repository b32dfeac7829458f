"""Shared fixtures: an isolated Config, an App built from given plugins, real databases.

PostgreSQL: the session creates a fresh database `sohbet_test_<random>` on the server named by
SOHBET_TEST_POSTGRES (default postgresql://postgres@127.0.0.1:5432/postgres, trust auth) and
drops it at the end. Tests that need it are skipped, with the reason, only when the server is
unreachable.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.ai.catalog import models_dir
from bot.app import App, build_app
from bot.config import Config
from bot.core.plugin import Plugin
from bot.store.database import Store
from bot.store.models import Base

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# Pulled models (`sohbet models pull`) of the developer or of CI's end-to-end check must not
# change which model the other tests talk to: an empty models folder for this run, also for
# subprocesses that drop SOHBET_* variables (XDG_DATA_HOME is the folder's default root).
USER_MODELS_DIR = models_dir()  # the end-to-end check keeps the real default model there
_TEST_DATA_HOME = tempfile.mkdtemp(prefix="sohbet-test-data-home-")
os.environ["XDG_DATA_HOME"] = _TEST_DATA_HOME
os.environ["SOHBET_MODELS_DIR"] = os.path.join(_TEST_DATA_HOME, "sohbet", "models")

POSTGRES_ADMIN_URL = os.environ.get(
    "SOHBET_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)
DIALECTS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]

AppFactory = Callable[..., Awaitable[App]]


def isolate_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No SOHBET_* variable, secret or sohbet.toml from the developer's shell leaks in."""
    for name in list(os.environ):
        if name.startswith("SOHBET_") and name not in ("SOHBET_TEST_POSTGRES", "SOHBET_MODELS_DIR"):
            monkeypatch.delenv(name)
    for name in ("DISCORD_TOKEN", "TELEGRAM_TOKEN", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SOHBET_CONFIG_FILE", str(tmp_path / "absent.toml"))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database migrated once per session; tests get copies (much faster)."""
    path = tmp_path_factory.mktemp("template") / "sohbet.db"

    async def migrate() -> None:
        store = Store(f"sqlite+aiosqlite:///{path}")
        try:
            await store.upgrade()
        finally:
            await store.close()

    asyncio.run(migrate())
    return path


def migrated_sqlite(template: Path, path: Path) -> str:
    """Copy the migrated template to `path`; returns its URL."""
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
def fast_dir(tmp_path: Path) -> Iterator[Path]:
    """tmpfs when available: the embedded vector store fsyncs each write, and on a busy disk
    that alone made tests slow."""
    if not os.access("/dev/shm", os.W_OK):
        yield tmp_path
        return
    with tempfile.TemporaryDirectory(prefix="sohbet-test-", dir="/dev/shm") as folder:
        yield Path(folder)


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sqlite_template: Path) -> Config:
    """A Config whose data folder and (already migrated) SQLite database live in tmp_path."""
    isolate_environment(monkeypatch, tmp_path)
    config = Config(data_dir=tmp_path / "data")
    migrated_sqlite(sqlite_template, config.data_dir / "sohbet.db")
    return config


@pytest.fixture
async def make_app(config: Config) -> AsyncIterator[AppFactory]:
    """`await make_app(PluginA(), PluginB(), config=...)`: a migrated App, closed afterwards."""
    apps: list[App] = []

    async def factory(*plugins: Plugin, config: Config = config) -> App:
        app = await build_app(config, plugins=list(plugins))
        apps.append(app)
        return app

    yield factory
    for app in apps:
        await app.close()


# ----- PostgreSQL ------------------------------------------------------------------------


def _asyncpg_dsn(url: str, database: str | None = None) -> str:
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


async def _admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(_asyncpg_dsn(POSTGRES_ADMIN_URL), timeout=3)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def skip_without_postgres(exc: BaseException) -> None:
    """Skip a PostgreSQL test when no server runs here; CI (SOHBET_REQUIRE_POSTGRES=1) fails."""
    reason = f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: {exc}"
    if os.environ.get("SOHBET_REQUIRE_POSTGRES") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """URL of a fresh, empty PostgreSQL database for this test session (dropped afterwards)."""
    name = f"sohbet_test_{secrets.token_hex(4)}"
    try:
        asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    except (TimeoutError, OSError) as exc:
        skip_without_postgres(exc)
    url = make_url(POSTGRES_ADMIN_URL).set(drivername="postgresql+asyncpg", database=name)
    yield url.render_as_string(hide_password=False)
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
async def postgres_url(postgres_database: str) -> str:
    """The session's PostgreSQL database, migrated to head and emptied for this test."""
    store = Store(postgres_database)
    try:
        await store.upgrade()
        async with store.engine.begin() as conn:  # DELETE: much faster than TRUNCATE here
            for table in reversed(Base.metadata.sorted_tables):
                await conn.execute(table.delete())
    finally:
        await store.close()
    return postgres_database


@pytest.fixture(params=DIALECTS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """A migrated, empty database: a SQLite file, then the session's PostgreSQL database."""
    if request.param == "sqlite":
        return migrated_sqlite(sqlite_template, tmp_path / "test.db")
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    """A real Store on each dialect, migrated to head."""
    store = Store(database_url)
    yield store
    await store.close()
