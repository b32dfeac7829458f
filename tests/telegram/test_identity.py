"""Platform-qualified ids: the same number on Discord and Telegram is two servers, two users.

Real Store on SQLite (and PostgreSQL when reachable): settings, budgets, documents,
conversations and privacy deletions all stay on their own platform.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from bot.core.events import ConversationKey
from bot.core.identity import TELEGRAM_BASE, Platform, core_id, native_id, platform_of
from bot.store import migrations
from bot.store.database import Store
from bot.store.models import Document

SAME = 1_000_123_456  # a Discord guild id and, by chance, a Telegram chat id
USER = 7_000_001


def test_ids_of_the_two_platforms_never_meet() -> None:
    discord_id = core_id(Platform.DISCORD, SAME)
    telegram_id = core_id(Platform.TELEGRAM, SAME)
    assert discord_id == SAME
    assert telegram_id != discord_id
    assert native_id(telegram_id) == (Platform.TELEGRAM, SAME)
    assert native_id(discord_id) == (Platform.DISCORD, SAME)
    # groups and supergroups have negative ids; users positive; the extremes stay apart
    for native in (-1001234567890, -(2**52), 2**52, 1, 0):
        ident = core_id("telegram", native)
        assert ident < 0 and platform_of(ident) is Platform.TELEGRAM
        assert native_id(ident) == (Platform.TELEGRAM, native)
    largest_snowflake = 2**63 - 1
    assert platform_of(core_id("discord", largest_snowflake)) is Platform.DISCORD
    assert core_id("telegram", 0) == TELEGRAM_BASE
    with pytest.raises(ValueError):
        core_id("discord", -5)
    with pytest.raises(ValueError):
        core_id("telegram", 2**60)
    with pytest.raises(ValueError):
        platform_of(-1)


def _document(server_id: int, uploader: int) -> Document:
    return Document(
        id=str(uuid.uuid4()),
        server_id=server_id,
        uploader_id=uploader,
        name="notes.txt",
        kind="txt",
        sha256="ab" * 32,
    )


async def test_same_number_is_two_servers_in_the_store(store: Store) -> None:
    await store.upgrade()
    discord_server, telegram_server = core_id("discord", SAME), core_id("telegram", SAME)
    discord_user, telegram_user = core_id("discord", USER), core_id("telegram", USER)

    # settings: disabling a plugin in the Telegram chat leaves the Discord guild alone
    await store.settings.set_enabled(telegram_server, "translate", False)
    assert (await store.settings.snapshot(telegram_server)).enabled == {"translate": False}
    assert (await store.settings.snapshot(discord_server)).enabled == {}

    # budgets: tokens are counted per platform-qualified server and user
    await store.usage.add(telegram_server, telegram_user, 100, 50)
    await store.usage.add(discord_server, discord_user, 7, 3)
    assert await store.usage.tokens_today(telegram_server) == 150
    assert await store.usage.tokens_today(discord_server) == 10

    # documents: the same file in both is two documents, each listed only on its own server
    await store.documents.add(_document(telegram_server, telegram_user))
    await store.documents.add(_document(discord_server, discord_user))
    assert len(await store.documents.list(telegram_server)) == 1
    assert len(await store.documents.list(discord_server)) == 1

    # conversations: same scope text, different servers
    for server, user in ((telegram_server, telegram_user), (discord_server, discord_user)):
        key = ConversationKey(server, f"user:{user}:chan:{server}")
        await store.conversations.append(key, "user", f"hi from {server}", author_id=user)

    # privacy: forgetting the Telegram user everywhere leaves the Discord user's data
    assert await store.conversations.delete_user(telegram_user) == 1
    assert await store.usage.delete_user(telegram_user) == 1
    assert await store.documents.count_by_uploader(telegram_user) == 1
    assert await store.documents.count_by_uploader(discord_user) == 1
    discord_key = ConversationKey(discord_server, f"user:{discord_user}:chan:{discord_server}")
    _, turns = await store.conversations.history(discord_key)
    assert [t.content for t in turns] == [f"hi from {discord_server}"]
    assert await store.usage.tokens_today(discord_server, discord_user) == 10


async def test_migration_marks_existing_servers_by_their_id(store: Store) -> None:
    """Rows written before 0003 get their platform from the id range."""
    await store.upgrade()
    await migrations.downgrade(store.engine, "0002")
    try:
        async with store.engine.begin() as conn:
            for ident in (SAME, core_id("telegram", -1001234567890)):
                await conn.execute(
                    text("INSERT INTO servers (id, name, created_at) VALUES (:id, '', :t)"),
                    {"id": ident, "t": datetime(2026, 1, 1, tzinfo=UTC)},
                )
        await store.upgrade()
        async with store.engine.connect() as conn:
            rows: dict[int, str] = dict(
                (await conn.execute(text("SELECT id, platform FROM servers"))).all()
            )
        assert rows == {SAME: "discord", core_id("telegram", -1001234567890): "telegram"}
    finally:
        async with store.engine.begin() as conn:
            await conn.execute(text("DELETE FROM servers"))
