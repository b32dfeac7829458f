"""A database that is down, misnamed or misconfigured gives a friendly error, not a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from bot.app import build_app
from bot.config import Config
from bot.core.errors import SohbetError
from bot.core.events import ConversationKey
from bot.store.database import (
    InvalidDatabaseUrl,
    Store,
    StoreUnavailable,
    normalize_database_url,
)
from bot.store.models import Document

UNREACHABLE = "postgresql+asyncpg://nobody:secret@127.0.0.1:1/x"


def assert_friendly(error: StoreUnavailable) -> None:
    assert isinstance(error, SohbetError)
    assert "unreachable" in error.user_message
    assert "Nothing was changed" not in error.user_message  # it may not be true


async def test_unreachable_postgres_raises_store_unavailable() -> None:
    store = Store(UNREACHABLE)
    try:
        with pytest.raises(StoreUnavailable) as ping:
            await store.ping()
        assert_friendly(ping.value)
        assert "refused" in ping.value.reason.lower() or "connect" in ping.value.reason.lower()
        with pytest.raises(StoreUnavailable) as write:
            await store.state.set("k", "v")
        assert_friendly(write.value)
        with pytest.raises(StoreUnavailable):
            await store.conversations.history(ConversationKey(1, "x"))
        with pytest.raises(StoreUnavailable):
            await store.upgrade()
        assert "secret" not in repr(store)
    finally:
        await store.close()


async def test_build_app_fails_cleanly_when_the_database_is_down(
    config: Config,
) -> None:
    broken = config.model_copy(update={"database_url": UNREACHABLE})
    with pytest.raises(StoreUnavailable):
        await build_app(broken, plugins=[])


@pytest.mark.postgres
async def test_missing_database_and_unknown_role_are_unavailable(postgres_database: str) -> None:
    for url in (
        make_url(postgres_database).set(database="sohbet_no_such_db"),
        make_url(postgres_database).set(username="sohbet_no_such_role"),
    ):
        store = Store(url.render_as_string(hide_password=False))
        try:
            with pytest.raises(StoreUnavailable) as info:
                await store.state.get("k")
            assert "does not exist" in info.value.reason
        finally:
            await store.close()


async def test_sqlite_in_a_missing_folder_is_unavailable(tmp_path: Path) -> None:
    store = Store(f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'dir' / 'x.db'}")
    try:
        with pytest.raises(StoreUnavailable) as info:
            await store.upgrade()
        assert "unable to open" in info.value.reason
    finally:
        await store.close()


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("nonsense", "not a database URL"),
        ("mysql+aiomysql://u:hunter2@db/x", "`mysql` databases are not supported"),
        ("postgresql+nodriver://u@db/x", "Can't load plugin"),
    ],
)
def test_unusable_urls_are_explained(url: str, problem: str) -> None:
    with pytest.raises(InvalidDatabaseUrl) as info:
        Store(url)
    message = info.value.user_message
    assert problem in message
    assert "postgresql+asyncpg://" in message and "sqlite+aiosqlite:///" in message
    assert "hunter2" not in message
    assert isinstance(info.value, StoreUnavailable)


@pytest.mark.parametrize(
    ("url", "driver"),
    [
        ("postgresql://u@h/db", "postgresql+asyncpg"),
        ("postgres://u@h/db", "postgresql+asyncpg"),
        ("postgresql+psycopg2://u@h/db", "postgresql+asyncpg"),
        ("sqlite:///x.db", "sqlite+aiosqlite"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite"),
    ],
)
def test_sync_driver_urls_get_the_async_driver(url: str, driver: str) -> None:
    assert normalize_database_url(url).drivername == driver


async def test_statement_errors_are_not_mistaken_for_outages(store: Store) -> None:
    doc = {"server_id": 1, "uploader_id": 2, "name": "a", "kind": "txt", "sha256": "f" * 64}
    await store.documents.add(Document(id="1", **doc))
    with pytest.raises(IntegrityError):
        await store.documents.add(Document(id="2", **doc))
