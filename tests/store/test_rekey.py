"""A Telegram group that becomes a supergroup: everything stored under its old id moves to the
new one, on SQLite and PostgreSQL, and no column anywhere keeps the old id."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import func, select

from bot.core.consent import memory_key
from bot.core.events import ConversationKey
from bot.core.identity import core_id
from bot.core.settings import AuditChange
from bot.store.database import Store
from bot.store.models import Base, Conversation, Document, KeyValue, Server, UsageDaily
from bot.store.rekey import id_columns, move_server

OLD = core_id("telegram", -4001234)  # the basic group
NEW = core_id("telegram", -1001234567890)  # the supergroup it became
OTHER = core_id("telegram", -4009999)  # another group: untouched
ALICE = core_id("telegram", 111)


def _document(server: int, sha: str, channel: int | None, uploader: int) -> Document:
    return Document(
        id=str(uuid.uuid4()),
        server_id=server,
        channel_id=channel,
        uploader_id=uploader,
        name=f"{sha}.txt",
        kind="txt",
        sha256=sha * 64,
    )


async def _fill(store: Store, server: int) -> dict[str, str]:
    """A group's life: settings (server-wide and for the chat itself), roles, audit, the
    three kinds of conversation, usage and documents, some by its anonymous admin."""
    anonymous = server  # a group's anonymous administrator writes as the group
    change = AuditChange(anonymous, "plugin.disable", "translate")
    await store.settings.set_enabled(server, "translate", False, change)
    await store.settings.set_value(server, 0, "chat", "persona", "Be brief.")
    await store.settings.set_value(server, server, "chat", "history_turns", 5)
    await store.settings.set_allowed_roles(server, "chat", [7])
    await store.audit.record(server, ALICE, "setting.set", "chat.persona")
    for scope in (
        f"user:{ALICE}:chan:{server}",
        f"channel:{server}",
        f"user:{server}:chan:{server}",
    ):
        await store.conversations.append(
            ConversationKey(server, scope), "user", f"hi in {scope}", author_id=ALICE
        )
    await store.conversations.append(
        ConversationKey(server, f"channel:{server}"), "user", "anon", author_id=anonymous
    )
    await store.usage.add(server, ALICE, 100, 50)
    await store.usage.add(server, anonymous, 10, 5)
    documents = {}
    for sha, channel, uploader in (("a", None, ALICE), ("b", server, anonymous)):
        document = _document(server, sha, channel, uploader)
        await store.documents.add(document)
        documents[sha] = document.id
    await store.state.set(memory_key(ALICE, server), "off")  # /privacy memory off, here
    async with store.session() as s:
        s.add(Server(id=server, name="group", platform="telegram"))
    return documents


async def _rows_with(store: Store, ident: int) -> dict[str, int]:
    """Per table, how many rows hold `ident` in any id column (or inside a scope)."""
    found: dict[str, int] = {}
    async with store.session() as s:
        for table in Base.metadata.sorted_tables:
            for column in id_columns(table):
                n = int(await s.scalar(select(func.count()).where(column == ident)) or 0)
                if n:
                    found[f"{table.name}.{column.name}"] = n
        for column in (Conversation.scope, KeyValue.key):
            inside = sum(str(ident) in key for key in await s.scalars(select(column)))
            if inside:
                found[str(column)] = inside
    return found


def test_every_id_column_is_moved() -> None:
    """Schema-wide: every column holding a server, channel or person (each 64-bit integer but a
    few counts). A new one lands here for a look: is it an id?"""
    covered = {f"{t.name}.{c.name}" for t in Base.metadata.sorted_tables for c in id_columns(t)}
    assert covered == {
        "servers.id",
        "plugin_states.server_id",
        "plugin_settings.server_id",
        "plugin_settings.channel_id",
        "plugin_role_rules.server_id",
        "plugin_role_rules.role_id",
        "audit_log.server_id",
        "audit_log.actor_id",
        "conversations.server_id",
        "conversation_messages.author_id",
        "usage_daily.server_id",
        "usage_daily.user_id",
        "documents.server_id",
        "documents.channel_id",
        "documents.uploader_id",
        "taught_answers.server_id",
        "taught_answers.asker_id",
        "taught_answers.teacher_id",
        "taught_examples.server_id",
        "taught_examples.writer_id",
        "taught_examples.teacher_id",
        "taught_heads.server_id",
        "taught_heads.trained_by",
        "taught_persona.server_id",
        "taught_persona.channel_id",
        "taught_persona.teacher_id",
        "taught_terms.server_id",
        "taught_terms.teacher_id",
    }


async def test_a_group_moves_to_its_supergroup(store: Store) -> None:
    old_documents = await _fill(store, OLD)
    await _fill(store, OTHER)
    before_other = await _rows_with(store, OTHER)
    # The supergroup was already used before the move was seen: its own values win, usage
    # adds up, a conversation with the same scope is joined, the same file is kept once.
    await store.settings.set_value(NEW, 0, "chat", "persona", "Be thorough.")
    await store.usage.add(NEW, ALICE, 1, 1)
    await store.conversations.append(
        ConversationKey(NEW, f"channel:{NEW}"), "user", "first in the supergroup", author_id=ALICE
    )
    kept = _document(NEW, "a", None, ALICE)
    await store.documents.add(kept)

    moved = await move_server(store, OLD, NEW)

    assert await _rows_with(store, OLD) == {}
    assert await _rows_with(store, OTHER) == before_other
    assert moved.dropped_documents == [old_documents["a"]]
    snapshot = await store.settings.snapshot(NEW)
    assert snapshot.enabled == {"translate": False}
    assert snapshot.overrides[(0, "chat")] == {"persona": "Be thorough."}
    assert snapshot.overrides[(NEW, "chat")] == {"history_turns": 5}  # the chat's own value
    assert snapshot.allowed_roles == {"chat": {7}}
    assert [e.actor_id for e in await store.audit.recent(NEW)] == [ALICE, NEW]
    assert await store.usage.tokens_today(NEW) == 150 + 15 + 2
    assert await store.usage.tokens_today(NEW, ALICE) == 152
    assert await store.usage.tokens_today(NEW, NEW) == 15  # the anonymous admin's budget
    _, turns = await store.conversations.history(ConversationKey(NEW, f"channel:{NEW}"))
    assert sorted(t.content for t in turns) == [
        "anon",
        "first in the supergroup",
        f"hi in channel:{OLD}",
    ]
    assert {t.author_id for t in turns} == {ALICE, NEW}
    _, mine = await store.conversations.history(ConversationKey(NEW, f"user:{NEW}:chan:{NEW}"))
    assert [t.content for t in mine] == [f"hi in user:{OLD}:chan:{OLD}"]
    documents = {d.sha256[0]: d for d in await store.documents.list(NEW)}
    assert documents["a"].id == kept.id
    assert documents["b"].id == old_documents["b"]
    assert (documents["b"].channel_id, documents["b"].uploader_id) == (NEW, NEW)
    async with store.session() as s:
        servers = {row.id: row.platform for row in await s.scalars(select(Server))}
        days = list(await s.scalars(select(UsageDaily.day).where(UsageDaily.server_id == NEW)))
    assert servers == {NEW: "telegram", OTHER: "telegram"}
    assert await store.state.get(memory_key(ALICE, NEW)) == "off"
    assert days and all(day == datetime.now(UTC).date() for day in days)

    assert (await move_server(store, OLD, NEW)).rows == {}  # seen twice: nothing left to move
