"""Repositories on SQLite and PostgreSQL: what is written, read, accumulated and deleted."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, inspect, select, update
from sqlalchemy.exc import IntegrityError

from bot.core.events import ConversationKey
from bot.store.database import Store
from bot.store.models import Conversation, ConversationMessage, Document, UsageDaily

S1, S2 = 1, 2
ALICE, BOB = 10, 11


def key(scope: str, server: int = S1) -> ConversationKey:
    return ConversationKey(server, scope)


async def count(store: Store, model: type) -> int:
    async with store.session() as s:
        return int(await s.scalar(select(func.count()).select_from(model)) or 0)


# ----- conversations -------------------------------------------------------------------------


async def test_append_and_history(store: Store) -> None:
    k = key(f"user:{ALICE}:chan:5")
    first = await store.conversations.append(
        k, "user", "merhaba", author_id=ALICE, author_name="alice", tokens=3,
        platform_message_id=900,
    )  # fmt: skip
    second = await store.conversations.append(k, "assistant", "selam!", tokens=2)
    assert second > first
    summary, turns = await store.conversations.history(k)
    assert summary == ""
    assert [(t.role, t.content, t.author_id, t.author_name, t.tokens) for t in turns] == [
        ("user", "merhaba", ALICE, "alice", 3),
        ("assistant", "selam!", 0, "", 2),
    ]
    assert turns[0].id == first
    assert all(t.created_at.tzinfo is not None for t in turns)
    assert abs(turns[0].created_at - datetime.now(UTC)) < timedelta(minutes=1)
    assert await store.conversations.history(key("user:99:chan:5")) == ("", [])


async def test_history_limit_keeps_the_latest_turns_oldest_first(store: Store) -> None:
    k = key("channel:5")
    await store.conversations.append_many(
        [(k, "user", f"m{i}", ALICE, "alice", 1, None) for i in range(6)]
    )
    _, turns = await store.conversations.history(k, limit=3)
    assert [t.content for t in turns] == ["m3", "m4", "m5"]


async def test_conversations_are_isolated_by_scope_and_server(store: Store) -> None:
    await store.conversations.append(key("channel:5", S1), "user", "server one")
    await store.conversations.append(key("channel:5", S2), "user", "server two")
    await store.conversations.append(key("channel:6", S1), "user", "other channel")
    _, turns = await store.conversations.history(key("channel:5", S1))
    assert [t.content for t in turns] == ["server one"]
    assert await count(store, Conversation) == 3


async def test_append_many_across_conversations(store: Store) -> None:
    a, b = key("thread:1"), key("thread:2")
    ids = await store.conversations.append_many(
        [
            (a, "user", "a1", ALICE, "alice", 0, None),
            (b, "user", "b1", BOB, "bob", 0, None),
            (a, "assistant", "a2", 0, "", 0, 77),
        ]
    )
    assert ids == sorted(ids) and len(set(ids)) == 3
    assert [t.content for t in (await store.conversations.history(a))[1]] == ["a1", "a2"]
    assert [t.content for t in (await store.conversations.history(b))[1]] == ["b1"]


async def test_a_failed_append_writes_nothing(store: Store) -> None:
    k = key("thread:3")
    with pytest.raises(IntegrityError):
        await store.conversations.append_many(
            [
                (k, "user", "fine", ALICE, "alice", 0, None),
                (k, "user", None, ALICE, "alice", 0, None),  # type: ignore[list-item]
            ]
        )
    assert await count(store, Conversation) == 0
    assert await count(store, ConversationMessage) == 0
    await store.conversations.append(k, "user", "the store still works")
    assert await count(store, ConversationMessage) == 1


async def test_summarize_hides_covered_turns(store: Store) -> None:
    k = key("channel:7")
    ids = await store.conversations.append_many(
        [(k, "user", f"m{i}", ALICE, "alice", 0, None) for i in range(4)]
    )
    await store.conversations.summarize(k, "they said m0 and m1", up_to_id=ids[1])
    summary, turns = await store.conversations.history(k)
    assert summary == "they said m0 and m1"
    assert [t.content for t in turns] == ["m2", "m3"]
    _, everything = await store.conversations.history(k, include_summarized=True)
    assert [t.content for t in everything] == ["m0", "m1", "m2", "m3"]


async def test_reset_removes_the_conversation_and_its_turns(store: Store) -> None:
    k, other = key("channel:8"), key("channel:9")
    await store.conversations.append_many(
        [(k, "user", "x", ALICE, "a", 0, None), (other, "user", "y", ALICE, "a", 0, None)]
    )
    assert await store.conversations.reset(k) == 1
    assert await store.conversations.history(k) == ("", [])
    assert await count(store, ConversationMessage) == 1  # cascaded, the other one kept
    assert await store.conversations.reset(k) == 0


async def test_delete_user(store: Store) -> None:
    shared, private = key("channel:5"), key(f"user:{ALICE}:chan:5")
    bob_private = key(f"user:{BOB}:chan:5")
    elsewhere = key(f"user:{ALICE}:chan:5", S2)
    await store.conversations.append_many(
        [
            (shared, "user", "alice in channel", ALICE, "alice", 0, None),
            (shared, "user", "bob in channel", BOB, "bob", 0, None),
            (private, "user", "alice private", ALICE, "alice", 0, None),
            (private, "assistant", "reply to alice", 0, "", 0, None),
            (bob_private, "user", "bob private", BOB, "bob", 0, None),
            (elsewhere, "user", "alice on server 2", ALICE, "alice", 0, None),
        ]
    )
    deleted = await store.conversations.delete_user(ALICE, server_id=S1)
    assert deleted >= 2
    assert [t.content for t in (await store.conversations.history(shared))[1]] == [
        "bob in channel"
    ]
    assert await store.conversations.history(private) == ("", [])
    assert len((await store.conversations.history(bob_private))[1]) == 1
    assert len((await store.conversations.history(elsewhere))[1]) == 1  # other server kept
    await store.conversations.delete_user(ALICE)  # every server
    assert await store.conversations.history(elsewhere) == ("", [])
    assert await count(store, ConversationMessage) == 2


async def test_delete_older_than(store: Store) -> None:
    old, recent = key("channel:1"), key("channel:2")
    await store.conversations.append(old, "user", "ancient")
    await store.conversations.append(recent, "user", "fresh")
    long_ago = datetime.now(UTC) - timedelta(days=40)
    async with store.session() as s:
        await s.execute(
            update(Conversation).where(Conversation.scope == old.scope).values(updated_at=long_ago)
        )
    assert await store.conversations.delete_older_than(30, server_id=S2) == 0
    assert await store.conversations.delete_older_than(30) == 1
    assert await store.conversations.history(old) == ("", [])
    assert len((await store.conversations.history(recent))[1]) == 1
    assert await count(store, ConversationMessage) == 1


async def test_find_by_platform_message(store: Store) -> None:
    k = key("reply:500")
    await store.conversations.append(k, "assistant", "answer", platform_message_id=501)
    assert await store.conversations.find_by_platform_message(S1, 501) == k
    assert await store.conversations.find_by_platform_message(S1, 502) is None
    assert await store.conversations.find_by_platform_message(S2, 501) is None


async def test_bot_messages_are_found_by_index(store: Store) -> None:
    """Every reply to the bot looks its message up: an index, not a scan of all history."""

    def indexed_columns(conn) -> list[list[str]]:
        return [i["column_names"] for i in inspect(conn).get_indexes("conversation_messages")]

    async with store.engine.connect() as conn:
        assert ["platform_message_id"] in await conn.run_sync(indexed_columns)


async def test_large_discord_ids_fit(store: Store) -> None:
    snowflake = 1_234_567_890_123_456_789  # 64-bit ids everywhere
    k = ConversationKey(snowflake, f"user:{snowflake}:chan:{snowflake}")
    await store.conversations.append(
        k, "user", "hi", author_id=snowflake, platform_message_id=snowflake
    )
    assert await store.conversations.find_by_platform_message(snowflake, snowflake) == k


# ----- usage ---------------------------------------------------------------------------------


async def test_usage_accumulates_per_user_and_day(store: Store) -> None:
    await store.usage.add(S1, ALICE, 10, 5)
    await store.usage.add(S1, ALICE, 1, 2)
    await store.usage.add(S1, BOB, 100, 0)
    await store.usage.add(S1, ALICE, 1000, 1000, day=date.today() - timedelta(days=2))
    await store.usage.add(S2, ALICE, 7, 7)
    assert await store.usage.tokens_today(S1, ALICE) == 18
    assert await store.usage.tokens_today(S1) == 118
    assert await store.usage.tokens_today(S2) == 14
    assert await store.usage.tokens_today(S1, 999) == 0
    async with store.session() as s:
        row = await s.scalar(
            select(UsageDaily).where(
                UsageDaily.server_id == S1,
                UsageDaily.user_id == ALICE,
                UsageDaily.day == datetime.now(UTC).date(),
            )
        )
        assert row is not None and (row.tokens_in, row.tokens_out, row.calls) == (11, 7, 2)
    assert await store.usage.delete_user(ALICE, server_id=S1) == 2
    assert await store.usage.tokens_today(S2, ALICE) == 14
    assert await store.usage.delete_user(ALICE) == 1


# ----- documents -----------------------------------------------------------------------------


def doc(server: int = S1, sha: str = "a" * 64, uploader: int = ALICE, **kw: object) -> Document:
    return Document(
        id=str(uuid.uuid4()),
        server_id=server,
        channel_id=kw.pop("channel_id", None),
        uploader_id=uploader,
        name=str(kw.pop("name", "guide.pdf")),
        kind="pdf",
        sha256=sha,
        size=1234,
        status=str(kw.pop("status", "ingesting")),
    )


async def test_documents(store: Store) -> None:
    first = doc(name="first.pdf", channel_id=5)
    second = doc(sha="b" * 64, uploader=BOB, name="second.pdf")
    await store.documents.add(first)
    await store.documents.add(second)
    got = await store.documents.get(S1, first.id)
    assert got is not None and got.name == "first.pdf" and got.status == "ingesting"
    assert got.created_at.tzinfo is not None
    assert await store.documents.get(S2, first.id) is None  # never across servers
    found = await store.documents.by_hash(S1, "b" * 64)
    assert found is not None and found.id == second.id
    assert await store.documents.by_hash(S2, "b" * 64) is None
    assert {d.name for d in await store.documents.list(S1)} == {"first.pdf", "second.pdf"}
    assert [d.name for d in await store.documents.list(S1, channel_id=5)] == ["first.pdf"]
    assert [d.name for d in await store.documents.list(S1, uploader_id=BOB)] == ["second.pdf"]

    await store.documents.mark_ready(S1, first.id, pages=3, chunks=12)
    ready = await store.documents.get(S1, first.id)
    assert ready is not None and (ready.status, ready.pages, ready.chunks) == ("ready", 3, 12)

    assert await store.documents.delete(S2, first.id) is False
    assert await store.documents.delete(S1, first.id) is True
    assert await store.documents.delete(S1, first.id) is False
    removed = await store.documents.delete_by_uploader(BOB)
    assert [d.id for d in removed] == [second.id]
    assert await store.documents.list(S1) == []


async def test_same_document_once_per_server(store: Store) -> None:
    await store.documents.add(doc())
    await store.documents.add(doc(server=S2))  # another server may have it too
    with pytest.raises(IntegrityError):
        await store.documents.add(doc())
    assert len(await store.documents.list(S1)) == 1


# ----- state and settings --------------------------------------------------------------------


async def test_state(store: Store) -> None:
    assert await store.state.get("commands_hash") is None
    await store.state.set("commands_hash", "abc")
    await store.state.set("commands_hash", "def")
    assert await store.state.get("commands_hash") == "def"


async def test_settings_snapshot(store: Store) -> None:
    repo = store.settings
    await repo.set_enabled(S1, "chat", False)
    await repo.set_enabled(S1, "chat", True)
    await repo.set_enabled(S1, "translate", False)
    await repo.set_value(S1, 0, "chat", "persona", "friendly")
    await repo.set_value(S1, 0, "chat", "limits", {"daily": 1000, "models": ["a", "b"]})
    await repo.set_value(S1, 0, "chat", "persona", "terse")  # overwrite
    await repo.set_value(S1, 5, "chat", "persona", "pirate")
    await repo.set_value(S2, 0, "chat", "persona", "other server")
    await repo.set_allowed_roles(S1, "chat", {1, 2})
    await repo.set_allowed_roles(S1, "chat", {2, 3})  # replaces
    await repo.set_allowed_roles(S1, "translate", set())
    snap = await repo.snapshot(S1)
    assert snap.enabled == {"chat": True, "translate": False}
    assert snap.overrides == {
        (0, "chat"): {"persona": "terse", "limits": {"daily": 1000, "models": ["a", "b"]}},
        (5, "chat"): {"persona": "pirate"},
    }
    assert snap.allowed_roles == {"chat": {2, 3}}
    assert await repo.reset_value(S1, 0, "chat", "persona") == 1
    assert await repo.reset_value(S1, 5, "chat") == 1
    assert (await repo.snapshot(S1)).overrides == {
        (0, "chat"): {"limits": {"daily": 1000, "models": ["a", "b"]}}
    }
    empty = await repo.snapshot(99)
    assert (empty.enabled, empty.overrides, empty.allowed_roles) == ({}, {}, {})


async def test_audit_recent_is_newest_first_and_limited(store: Store) -> None:
    for i in range(5):
        await store.audit.record(S1, ALICE, "setting.set", f"demo.k{i}", i, i + 1)
    await store.audit.record(S2, BOB, "plugin.disable", "demo", True, False)
    entries = await store.audit.recent(S1, limit=3)
    assert [e.target for e in entries] == ["demo.k4", "demo.k3", "demo.k2"]
    assert (entries[0].actor_id, entries[0].old_value, entries[0].new_value) == (ALICE, 4, 5)


async def test_concurrent_appends_lose_nothing(store: Store) -> None:
    """Many conversations writing at once (the bot's normal day), including a new one
    created by several writers at the same moment."""
    keys = [key(f"user:{u}:chan:1") for u in range(8)] + [key("channel:busy")] * 8
    await asyncio.gather(
        *(
            store.conversations.append(k, "user", f"turn {i}", author_id=i)
            for i, k in enumerate(keys * 3)
        )
    )
    assert await count(store, Conversation) == 9
    assert await count(store, ConversationMessage) == 48
    _, busy = await store.conversations.history(key("channel:busy"), limit=100)
    assert len(busy) == 24
