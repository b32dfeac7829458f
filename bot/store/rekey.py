"""Moving everything stored under one id to another: a Telegram group that became a
supergroup gets a new chat id, and its settings, documents, conversations, budgets and audit
log go with it.

Schema-wide, so a table added later can't be forgotten: every id column (each 64-bit integer
column but a few counts) that holds the old id gets the new one, and so do the ids in
text keys (conversation scopes `user:<id>:chan:<id>`, `memory:<user>:<server>` choices). The
old id is the group as a server, as its own channel, and as the author of what its anonymous
administrators wrote; no other id can be equal to it (platform-qualified, `bot.core.identity`).

Should the new id already hold something (the supergroup was used before the move was seen),
what the new id holds wins, except token usage, which is added up, and conversations, whose
messages are joined. One transaction: all of it moves, or nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    BigInteger,
    Column,
    Table,
    UniqueConstraint,
    and_,
    delete,
    exists,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import (
    Base,
    Conversation,
    ConversationMessage,
    Document,
    KeyValue,
    UsageDaily,
)

if TYPE_CHECKING:
    from bot.store.database import Store

__all__ = ["ServerMove", "id_columns", "move_server"]

# 64-bit columns that count or number something else: every other one holds a server, channel,
# role or person (servers.id, *_id, trained_by, ...), so a new table's ids are moved unasked.
_NOT_IDS = {"platform_message_id", "tokens_in", "tokens_out", "size"}


@dataclass
class ServerMove:
    """What moved: rows per table, and the documents dropped because the new id already had
    the same file (their chunks must go from the vector store too)."""

    rows: dict[str, int] = field(default_factory=dict)
    dropped_documents: list[str] = field(default_factory=list)


def id_columns(table: Table) -> list[Column[Any]]:
    """The columns of `table` that hold a server, channel or user id."""
    return [
        column
        for column in table.columns
        if isinstance(column.type, BigInteger) and column.name not in _NOT_IDS
    ]


async def move_server(store: Store, old: int, new: int) -> ServerMove:
    """Move everything stored under `old` to `new` (see the module docstring)."""
    if old == new:
        return ServerMove()
    moved = ServerMove()
    async with store.session() as session:
        await _merge_usage(session, old, new)
        await _merge_conversations(session, old, new)
        moved.dropped_documents = await _drop_duplicate_documents(session, old, new)
        await _rewrite_keys(session, old, new)
        for table in Base.metadata.sorted_tables:
            for column in id_columns(table):
                await _drop_collisions(session, table, column, old, new)
                result = await session.execute(
                    update(table).where(column == old).values({column.name: new})
                )
                count = int(getattr(result, "rowcount", 0) or 0)
                if count:
                    moved.rows[table.name] = moved.rows.get(table.name, 0) + count
    return moved


def _unique_keys(table: Table) -> list[list[Column[Any]]]:
    keys = [list(table.primary_key.columns)]
    for constraint in table.constraints:
        columns = list(getattr(constraint, "columns", []))
        if columns and isinstance(constraint, UniqueConstraint):
            keys.append(columns)
    return keys


async def _drop_collisions(
    session: AsyncSession, table: Table, column: Column[Any], old: int, new: int
) -> None:
    """Rows at `old` whose key, once moved, is already taken at `new`: the new id's row wins."""
    for key in _unique_keys(table):
        if column not in key:
            continue
        other = table.alias("taken")
        same = [other.c[c.name] == (literal(new) if c is column else c) for c in key]
        await session.execute(
            delete(table).where(column == old, exists(select(1).where(and_(*same))))
        )


async def _merge_usage(session: AsyncSession, old: int, new: int) -> None:
    """Token usage of a day the new id already has is added to it (the budgets count both)."""
    rows = (
        await session.execute(
            select(UsageDaily).where(or_(UsageDaily.server_id == old, UsageDaily.user_id == old))
        )
    ).scalars()
    for row in list(rows):
        server = new if row.server_id == old else row.server_id
        user = new if row.user_id == old else row.user_id
        target = await session.get(UsageDaily, (server, user, row.day))
        if target is None:
            continue  # moved by the schema-wide update
        target.tokens_in += row.tokens_in
        target.tokens_out += row.tokens_out
        target.calls += row.calls
        await session.delete(row)
    await session.flush()


def _scope_at(scope: str, old: int, new: int) -> str:
    parts = scope.split(":")
    return ":".join(str(new) if part == str(old) else part for part in parts)


async def _merge_conversations(session: AsyncSession, old: int, new: int) -> None:
    """A conversation the new id already has (same scope, once moved) gets the old one's
    messages."""
    rows = (await session.execute(select(Conversation).where(Conversation.server_id == old))).all()
    for (conversation,) in rows:
        moved_scope = _scope_at(conversation.scope, old, new)
        target = (
            await session.execute(
                select(Conversation.id).where(
                    Conversation.server_id == new, Conversation.scope == moved_scope
                )
            )
        ).scalar_one_or_none()
        if target is None:
            continue
        await session.execute(
            update(ConversationMessage)
            .where(ConversationMessage.conversation_id == conversation.id)
            .values(conversation_id=target)
        )
        await session.execute(delete(Conversation).where(Conversation.id == conversation.id))


async def _drop_duplicate_documents(session: AsyncSession, old: int, new: int) -> list[str]:
    """The same file at both ids: the new id's copy stays."""
    taken = select(Document.sha256).where(Document.server_id == new)
    ids = list(
        await session.scalars(
            select(Document.id).where(Document.server_id == old, Document.sha256.in_(taken))
        )
    )
    if ids:
        await session.execute(delete(Document).where(Document.id.in_(ids)))
    return ids


async def _rewrite_keys(session: AsyncSession, old: int, new: int) -> None:
    """Ids inside text keys: conversation scopes (`user:<old>:chan:<old>`) and bot_state keys
    (`memory:<user>:<server>`). Ids are whole `:`-separated parts; a key the new id already
    has wins."""
    for column, owner in ((Conversation.scope, None), (KeyValue.key, KeyValue)):
        table = column.table
        rows = (await session.execute(select(column).where(column.like(f"%{old}%")))).scalars()
        for key in list(rows):
            moved = _scope_at(key, old, new)
            if moved == key:
                continue
            if owner is not None and await session.get(owner, moved) is not None:
                await session.execute(delete(table).where(column == key))
                continue
            where = column == key
            if owner is None:  # a scope is unique per server: only this server's
                where = and_(where, Conversation.server_id == old)
            await session.execute(update(table).where(where).values({column.name: moved}))
