"""Repositories: the only code that speaks SQL. Each method is one short transaction."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Collection, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.shared.records import AuditChange, ConversationKey, ServerSettingsSnapshot
from bot.store.models import (
    AuditEntry,
    Conversation,
    ConversationMessage,
    Document,
    KeyValue,
    PluginRoleRule,
    PluginSetting,
    PluginState,
    UsageDaily,
    utcnow,
)

# Store.session: a transaction, committed on success, rolled back on any error.
Sessions = Callable[[], AbstractAsyncContextManager[AsyncSession]]
# The uploader of a document its member chose to leave for others when deleting their data.
NOBODY = 0

__all__ = [
    "NOBODY",
    "AuditRepository",
    "ConversationRepository",
    "DocumentRepository",
    "HistoryTurn",
    "ServerSettingsSnapshot",
    "SettingsRepository",
    "StateRepository",
    "UsageRepository",
]


async def _upsert(
    session: AsyncSession,
    model: type[Any],
    values: dict[str, Any],
    keys: Sequence[str],
    updates: dict[str, Any],
) -> None:
    insert = pg_insert if _dialect(session) == "postgresql" else sqlite_insert
    stmt = insert(model).values(**values)
    await session.execute(stmt.on_conflict_do_update(index_elements=list(keys), set_=updates))


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def _rowcount(result: Any) -> int:
    return int(result.rowcount or 0)


class _Repository:
    def __init__(self, session: Sessions) -> None:
        self.session = session


class SettingsRepository(_Repository):
    async def snapshot(self, server_id: int) -> ServerSettingsSnapshot:
        async with self.session() as s:
            states = await s.execute(
                select(PluginState.plugin, PluginState.enabled).where(
                    PluginState.server_id == server_id
                )
            )
            rows = await s.execute(
                select(
                    PluginSetting.channel_id,
                    PluginSetting.plugin,
                    PluginSetting.key,
                    PluginSetting.value,
                ).where(PluginSetting.server_id == server_id)
            )
            rules = await s.execute(
                select(PluginRoleRule.plugin, PluginRoleRule.role_id).where(
                    PluginRoleRule.server_id == server_id
                )
            )
            overrides: dict[tuple[int, str], dict[str, Any]] = {}
            for channel_id, plugin, key, value in rows:
                overrides.setdefault((channel_id, plugin), {})[key] = value
            allowed: dict[str, set[int]] = {}
            for plugin, role_id in rules:
                allowed.setdefault(plugin, set()).add(role_id)
            return ServerSettingsSnapshot(dict(states.tuples().all()), overrides, allowed)

    async def set_enabled(
        self, server_id: int, plugin: str, enabled: bool, audit: AuditChange | None = None
    ) -> None:
        async with self.session() as s:
            _audit(s, server_id, audit)
            await _upsert(
                s,
                PluginState,
                {"server_id": server_id, "plugin": plugin, "enabled": enabled},
                ("server_id", "plugin"),
                {"enabled": enabled, "updated_at": utcnow()},
            )

    async def set_value(
        self,
        server_id: int,
        channel_id: int,
        plugin: str,
        key: str,
        value: Any,
        audit: AuditChange | None = None,
    ) -> None:
        async with self.session() as s:
            _audit(s, server_id, audit)
            await _upsert(
                s,
                PluginSetting,
                {
                    "server_id": server_id,
                    "channel_id": channel_id,
                    "plugin": plugin,
                    "key": key,
                    "value": value,
                },
                ("server_id", "channel_id", "plugin", "key"),
                {"value": value, "updated_at": utcnow()},
            )

    async def reset_value(
        self,
        server_id: int,
        channel_id: int,
        plugin: str,
        key: str | None = None,
        audit: AuditChange | None = None,
    ) -> int:
        """Remove an override (or all of a plugin's overrides at that level)."""
        stmt = delete(PluginSetting).where(
            PluginSetting.server_id == server_id,
            PluginSetting.channel_id == channel_id,
            PluginSetting.plugin == plugin,
        )
        if key is not None:
            stmt = stmt.where(PluginSetting.key == key)
        async with self.session() as s:
            _audit(s, server_id, audit)
            result = await s.execute(stmt)
            return _rowcount(result)

    async def set_allowed_roles(
        self,
        server_id: int,
        plugin: str,
        role_ids: Collection[int],
        audit: AuditChange | None = None,
    ) -> None:
        async with self.session() as s:
            _audit(s, server_id, audit)
            await s.execute(
                delete(PluginRoleRule).where(
                    PluginRoleRule.server_id == server_id, PluginRoleRule.plugin == plugin
                )
            )
            s.add_all(
                PluginRoleRule(server_id=server_id, plugin=plugin, role_id=r) for r in set(role_ids)
            )


def _audit(session: AsyncSession, server_id: int, change: AuditChange | None) -> None:
    """Record the change in the same transaction as the write it describes."""
    if change is not None:
        session.add(
            AuditEntry(
                server_id=server_id,
                actor_id=change.actor_id,
                action=change.action,
                target=change.target,
                old_value=change.old_value,
                new_value=change.new_value,
            )
        )


class AuditRepository(_Repository):
    async def record(
        self,
        server_id: int,
        actor_id: int,
        action: str,
        target: str = "",
        old_value: Any = None,
        new_value: Any = None,
    ) -> None:
        change = AuditChange(actor_id, action, target, old_value, new_value)
        async with self.session() as s:
            _audit(s, server_id, change)

    async def redact_actor(self, actor_id: int, server_id: int | None = None) -> int:
        """Forget what a member typed into settings: their audit entries keep who did what
        to which setting and when (admins need that), never the values."""
        stmt = update(AuditEntry).where(AuditEntry.actor_id == actor_id)
        if server_id is not None:
            stmt = stmt.where(AuditEntry.server_id == server_id)
        stmt = stmt.where(
            (AuditEntry.old_value.is_not(None)) | (AuditEntry.new_value.is_not(None))
        ).values(old_value=None, new_value=None)
        async with self.session() as s:
            return _rowcount(await s.execute(stmt))

    async def recent(self, server_id: int, limit: int = 20) -> list[AuditEntry]:
        async with self.session() as s:
            rows = await s.scalars(
                select(AuditEntry)
                .where(AuditEntry.server_id == server_id)
                .order_by(AuditEntry.id.desc())
                .limit(limit)
            )
            return list(rows)


@dataclass(frozen=True)
class HistoryTurn:
    id: int
    role: str
    content: str
    author_id: int
    author_name: str
    tokens: int
    created_at: datetime


class ConversationRepository(_Repository):
    async def _conversation_id(self, s: AsyncSession, key: ConversationKey) -> int:
        found = await s.scalar(
            select(Conversation.id).where(
                Conversation.server_id == key.server_id, Conversation.scope == key.scope
            )
        )
        if found is not None:
            return int(found)
        insert = pg_insert if _dialect(s) == "postgresql" else sqlite_insert
        await s.execute(
            insert(Conversation)
            .values(server_id=key.server_id, scope=key.scope, summary="")
            .on_conflict_do_nothing()
        )
        conv_id = await s.scalar(
            select(Conversation.id).where(
                Conversation.server_id == key.server_id, Conversation.scope == key.scope
            )
        )
        assert conv_id is not None
        return int(conv_id)

    async def append(
        self,
        key: ConversationKey,
        role: str,
        content: str,
        *,
        author_id: int = 0,
        author_name: str = "",
        tokens: int = 0,
        platform_message_id: int | None = None,
    ) -> int:
        return (
            await self.append_many(
                [(key, role, content, author_id, author_name, tokens, platform_message_id)]
            )
        )[0]

    async def append_many(
        self, turns: Sequence[tuple[ConversationKey, str, str, int, str, int, int | None]]
    ) -> list[int]:
        """Append several turns in one transaction (used by the history write-behind)."""
        ids: list[int] = []
        now = utcnow()
        async with self.session() as s:
            conv_ids: dict[ConversationKey, int] = {}
            for key, role, content, author_id, author_name, tokens, message_id in turns:
                if key not in conv_ids:
                    conv_ids[key] = await self._conversation_id(s, key)
                row = ConversationMessage(
                    conversation_id=conv_ids[key],
                    role=role,
                    content=content,
                    author_id=author_id,
                    author_name=author_name[:100],
                    tokens=tokens,
                    platform_message_id=message_id,
                    created_at=now,
                )
                s.add(row)
                await s.flush()
                ids.append(row.id)
            await s.execute(
                update(Conversation)
                .where(Conversation.id.in_(conv_ids.values()))
                .values(updated_at=now)
            )
        return ids

    async def history(
        self, key: ConversationKey, limit: int = 50, include_summarized: bool = False
    ) -> tuple[str, list[HistoryTurn]]:
        """The running summary and the most recent turns, oldest first."""
        async with self.session() as s:
            conv = await s.scalar(
                select(Conversation).where(
                    Conversation.server_id == key.server_id, Conversation.scope == key.scope
                )
            )
            if conv is None:
                return "", []
            stmt = select(ConversationMessage).where(ConversationMessage.conversation_id == conv.id)
            if not include_summarized:
                stmt = stmt.where(ConversationMessage.summarized.is_(False))
            rows = list(await s.scalars(stmt.order_by(ConversationMessage.id.desc()).limit(limit)))
            turns = [
                HistoryTurn(
                    r.id, r.role, r.content, r.author_id, r.author_name, r.tokens, r.created_at
                )
                for r in reversed(rows)
            ]
            return conv.summary, turns

    async def summarize(self, key: ConversationKey, summary: str, up_to_id: int) -> None:
        """Store a running summary and mark the turns it covers as summarized."""
        async with self.session() as s:
            conv_id = await self._conversation_id(s, key)
            await s.execute(
                update(Conversation).where(Conversation.id == conv_id).values(summary=summary)
            )
            await s.execute(
                update(ConversationMessage)
                .where(
                    ConversationMessage.conversation_id == conv_id,
                    ConversationMessage.id <= up_to_id,
                )
                .values(summarized=True)
            )

    async def find_by_platform_message(
        self, server_id: int, message_id: int
    ) -> ConversationKey | None:
        """The conversation a bot message belongs to (for reply-chain conversations)."""
        async with self.session() as s:
            row = await s.execute(
                select(Conversation.server_id, Conversation.scope)
                .join(ConversationMessage, ConversationMessage.conversation_id == Conversation.id)
                .where(
                    Conversation.server_id == server_id,
                    ConversationMessage.platform_message_id == message_id,
                )
                .limit(1)
            )
            found = row.first()
            return ConversationKey(found[0], found[1]) if found else None

    async def reset(self, key: ConversationKey) -> int:
        async with self.session() as s:
            result = await s.execute(
                delete(Conversation).where(
                    Conversation.server_id == key.server_id, Conversation.scope == key.scope
                )
            )
            return _rowcount(result)

    async def delete_user(self, user_id: int, server_id: int | None = None) -> int:
        """Delete a user's messages, the bot's replies to them, and their private conversations.

        Returns the number of messages deleted. A reply is every non-user row after one of the
        user's messages and before the next person's message in the same conversation. A shared
        conversation whose running summary covers their messages loses that summary too.
        """
        conversations = select(Conversation.id)
        if server_id is not None:
            conversations = conversations.where(Conversation.server_id == server_id)
        mine = aliased(ConversationMessage)
        between = aliased(ConversationMessage)
        row = ConversationMessage
        replies = delete(row).where(
            row.conversation_id.in_(conversations),
            row.role != "user",
            select(mine.id)
            .where(
                mine.conversation_id == row.conversation_id,
                mine.author_id == user_id,
                mine.role == "user",
                mine.id < row.id,
                ~select(between.id)
                .where(
                    between.conversation_id == row.conversation_id,
                    between.role == "user",
                    between.id > mine.id,
                    between.id < row.id,
                )
                .correlate_except(between)
                .exists(),
            )
            .correlate_except(mine)
            .exists(),
        )
        private = conversations.where(Conversation.scope.like(f"user:{user_id}:%"))
        summarized = select(row.conversation_id).where(
            row.author_id == user_id,
            row.summarized.is_(True),
            row.conversation_id.in_(conversations),
        )
        async with self.session() as s:
            await s.execute(
                update(Conversation).where(Conversation.id.in_(summarized)).values(summary="")
            )
            deleted = _rowcount(await s.execute(replies))
            deleted += _rowcount(
                await s.execute(
                    delete(row).where(
                        row.author_id == user_id, row.conversation_id.in_(conversations)
                    )
                )
            )
            # What is left in their private conversations goes with them (cascade).
            deleted += int(
                await s.scalar(
                    select(func.count()).select_from(row).where(row.conversation_id.in_(private))
                )
                or 0
            )
            await s.execute(delete(Conversation).where(Conversation.id.in_(private)))
            return deleted

    async def delete_older_than(self, days: int, server_id: int | None = None) -> int:
        cutoff = datetime.now(UTC) - timedelta(days=days)
        stmt = delete(Conversation).where(Conversation.updated_at < cutoff)
        if server_id is not None:
            stmt = stmt.where(Conversation.server_id == server_id)
        async with self.session() as s:
            result = await s.execute(stmt)
            return _rowcount(result)


class UsageRepository(_Repository):
    async def add(
        self, server_id: int, user_id: int, tokens_in: int, tokens_out: int, day: date | None = None
    ) -> None:
        day = day or datetime.now(UTC).date()
        async with self.session() as s:
            await _upsert(
                s,
                UsageDaily,
                {
                    "server_id": server_id,
                    "user_id": user_id,
                    "day": day,
                    "tokens_in": tokens_in,
                    "tokens_out": tokens_out,
                    "calls": 1,
                },
                ("server_id", "user_id", "day"),
                {
                    "tokens_in": UsageDaily.tokens_in + tokens_in,
                    "tokens_out": UsageDaily.tokens_out + tokens_out,
                    "calls": UsageDaily.calls + 1,
                },
            )

    async def tokens_today(self, server_id: int, user_id: int | None = None) -> int:
        day = datetime.now(UTC).date()
        total = func.coalesce(func.sum(UsageDaily.tokens_in + UsageDaily.tokens_out), 0)
        stmt = select(total).where(UsageDaily.server_id == server_id, UsageDaily.day == day)
        if user_id is not None:
            stmt = stmt.where(UsageDaily.user_id == user_id)
        async with self.session() as s:
            return int(await s.scalar(stmt) or 0)

    async def delete_user(self, user_id: int, server_id: int | None = None) -> int:
        stmt = delete(UsageDaily).where(UsageDaily.user_id == user_id)
        if server_id is not None:
            stmt = stmt.where(UsageDaily.server_id == server_id)
        async with self.session() as s:
            result = await s.execute(stmt)
            return _rowcount(result)


class DocumentRepository(_Repository):
    async def add(self, document: Document) -> None:
        async with self.session() as s:
            s.add(document)

    async def add_many(self, documents: Sequence[Document]) -> None:
        """All rows in one transaction, or none (IntegrityError when one of them exists)."""
        async with self.session() as s:
            s.add_all(documents)

    async def get(self, server_id: int, document_id: str) -> Document | None:
        async with self.session() as s:
            return await s.scalar(
                select(Document).where(Document.server_id == server_id, Document.id == document_id)
            )

    async def by_hash(self, server_id: int, sha256: str) -> Document | None:
        async with self.session() as s:
            return await s.scalar(
                select(Document).where(Document.server_id == server_id, Document.sha256 == sha256)
            )

    async def by_hashes(self, server_id: int, hashes: Collection[str]) -> builtins.list[Document]:
        """The server's documents with any of these sha256 hashes (one query)."""
        if not hashes:
            return []
        stmt = select(Document).where(
            Document.server_id == server_id, Document.sha256.in_(set(hashes))
        )
        async with self.session() as s:
            return list(await s.scalars(stmt))

    async def by_names(
        self, server_id: int, names: Collection[str], uploader_id: int
    ) -> builtins.list[Document]:
        """The documents of this server named any of `names` that `uploader_id` added."""
        if not names:
            return []
        stmt = select(Document).where(
            Document.server_id == server_id,
            Document.uploader_id == uploader_id,
            Document.name.in_(set(names)),
        )
        async with self.session() as s:
            return list(await s.scalars(stmt))

    async def list(
        self, server_id: int, channel_id: int | None = None, uploader_id: int | None = None
    ) -> list[Document]:
        stmt = select(Document).where(Document.server_id == server_id)
        if channel_id is not None:
            stmt = stmt.where(Document.channel_id == channel_id)
        if uploader_id is not None:
            stmt = stmt.where(Document.uploader_id == uploader_id)
        async with self.session() as s:
            return list(await s.scalars(stmt.order_by(Document.created_at.desc())))

    async def ready_ids(self, server_id: int, document_ids: Collection[str]) -> set[str]:
        """Which of these documents of the server are listed and ready: the only ones whose
        chunks search may serve (a chunk without such a row is an orphan or half-written)."""
        if not document_ids:
            return set()
        stmt = select(Document.id).where(
            Document.server_id == server_id,
            Document.id.in_(set(document_ids)),
            Document.status == "ready",
        )
        async with self.session() as s:
            return set(await s.scalars(stmt))

    async def states(self) -> builtins.list[tuple[str, int, str]]:
        """(id, server id, status) of every document, for reconciling vectors."""
        stmt = select(Document.id, Document.server_id, Document.status)
        async with self.session() as s:
            return [(r[0], r[1], r[2]) for r in await s.execute(stmt)]

    async def mark_ready(self, server_id: int, document_id: str, pages: int, chunks: int) -> None:
        async with self.session() as s:
            await s.execute(
                update(Document)
                .where(Document.server_id == server_id, Document.id == document_id)
                .values(status="ready", pages=pages, chunks=chunks)
            )

    async def mark_ready_many(self, server_id: int, document_ids: Collection[str]) -> None:
        """These documents (written with their page and chunk counts) ready, in one statement."""
        if not document_ids:
            return
        async with self.session() as s:
            await s.execute(
                update(Document)
                .where(Document.server_id == server_id, Document.id.in_(set(document_ids)))
                .values(status="ready")
            )

    async def delete(self, server_id: int, document_id: str) -> bool:
        async with self.session() as s:
            result = await s.execute(
                delete(Document).where(Document.server_id == server_id, Document.id == document_id)
            )
            return _rowcount(result) > 0

    async def delete_many(self, server_id: int, document_ids: Collection[str]) -> int:
        if not document_ids:
            return 0
        async with self.session() as s:
            result = await s.execute(
                delete(Document).where(
                    Document.server_id == server_id, Document.id.in_(set(document_ids))
                )
            )
            return _rowcount(result)

    async def count_by_uploader(self, user_id: int, server_id: int | None = None) -> int:
        stmt = select(func.count()).select_from(Document).where(Document.uploader_id == user_id)
        if server_id is not None:
            stmt = stmt.where(Document.server_id == server_id)
        async with self.session() as s:
            return int(await s.scalar(stmt) or 0)

    async def delete_by_uploader(
        self, user_id: int, server_id: int | None = None
    ) -> builtins.list[Document]:
        stmt = select(Document).where(Document.uploader_id == user_id)
        if server_id is not None:
            stmt = stmt.where(Document.server_id == server_id)
        async with self.session() as s:
            docs = list(await s.scalars(stmt))
            for doc in docs:
                await s.delete(doc)
            return docs


    async def disown_by_uploader(self, user_id: int, server_id: int | None = None) -> int:
        """Keep what a member uploaded but forget that they did (uploader `NOBODY`)."""
        stmt = update(Document).where(Document.uploader_id == user_id)
        if server_id is not None:
            stmt = stmt.where(Document.server_id == server_id)
        async with self.session() as s:
            result = await s.execute(stmt.values(uploader_id=NOBODY))
            return int(getattr(result, "rowcount", 0) or 0)


class StateRepository(_Repository):
    async def get(self, key: str) -> str | None:
        async with self.session() as s:
            return await s.scalar(select(KeyValue.value).where(KeyValue.key == key))

    async def set(self, key: str, value: str) -> None:
        async with self.session() as s:
            await _upsert(s, KeyValue, {"key": key, "value": value}, ("key",), {"value": value})

    async def delete(self, key: str) -> None:
        async with self.session() as s:
            await s.execute(delete(KeyValue).where(KeyValue.key == key))

    async def set_many(self, values: dict[str, str]) -> None:
        """Every key set, in one statement."""
        if not values:
            return
        async with self.session() as s:
            insert = pg_insert if _dialect(s) == "postgresql" else sqlite_insert
            stmt = insert(KeyValue).values([{"key": k, "value": v} for k, v in values.items()])
            await s.execute(
                stmt.on_conflict_do_update(
                    index_elements=["key"], set_={"value": stmt.excluded.value}
                )
            )

    async def get_many(self, keys: Collection[str]) -> dict[str, str]:
        if not keys:
            return {}
        stmt = select(KeyValue.key, KeyValue.value).where(KeyValue.key.in_(set(keys)))
        async with self.session() as s:
            return {row[0]: row[1] for row in await s.execute(stmt)}

    async def delete_many(self, keys: Collection[str]) -> None:
        if not keys:
            return
        async with self.session() as s:
            await s.execute(delete(KeyValue).where(KeyValue.key.in_(set(keys))))
