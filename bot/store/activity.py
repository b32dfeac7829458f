"""Read-only activity queries: token use over time, top members, audit entries, what is stored
about a member. The dashboard and reports read these; nothing here writes."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, or_, select

from bot.store.models import (
    AuditEntry,
    Conversation,
    ConversationMessage,
    Document,
    UsageDaily,
)

if TYPE_CHECKING:
    from bot.store.database import Store

__all__ = ["ActivityQueries", "MemberUsage"]


@dataclass(frozen=True)
class MemberUsage:
    user_id: int
    name: str
    tokens: int


class ActivityQueries:
    def __init__(self, store: Store) -> None:
        self.store = store

    # ----- usage -------------------------------------------------------------------------

    async def tokens_per_day(self, server_id: int, days: int = 30) -> list[tuple[date, int]]:
        """Model tokens used on the server each day of the last `days` days (today last)."""
        today = datetime.now(UTC).date()
        first = today - timedelta(days=days - 1)
        total = func.sum(UsageDaily.tokens_in + UsageDaily.tokens_out)
        stmt = (
            select(UsageDaily.day, total)
            .where(UsageDaily.server_id == server_id, UsageDaily.day >= first)
            .group_by(UsageDaily.day)
        )
        async with self.store.session() as s:
            found = {row[0]: int(row[1] or 0) for row in await s.execute(stmt)}
        return [
            (first + timedelta(days=i), found.get(first + timedelta(days=i), 0))
            for i in range(days)
        ]

    async def top_members(
        self, server_id: int, days: int = 30, limit: int = 10
    ) -> list[MemberUsage]:
        first = datetime.now(UTC).date() - timedelta(days=days - 1)
        total = func.sum(UsageDaily.tokens_in + UsageDaily.tokens_out).label("tokens")
        stmt = (
            select(UsageDaily.user_id, total)
            .where(UsageDaily.server_id == server_id, UsageDaily.day >= first)
            .group_by(UsageDaily.user_id)
            .order_by(total.desc())
            .limit(limit)
        )
        async with self.store.session() as s:
            rows = [(int(r[0]), int(r[1] or 0)) for r in await s.execute(stmt)]
            names = await self._names(s, server_id, [r[0] for r in rows])
        return [MemberUsage(uid, names.get(uid, ""), tokens) for uid, tokens in rows]

    async def member_names(self, server_id: int, user_ids: list[int]) -> dict[int, str]:
        """The name each member last had in a conversation here (when they had one)."""
        async with self.store.session() as s:
            return await self._names(s, server_id, user_ids)

    async def _names(self, s: Any, server_id: int, user_ids: list[int]) -> dict[int, str]:
        """The name each member last had in a conversation here (when they had one)."""
        if not user_ids:
            return {}
        latest = (
            select(ConversationMessage.author_id, func.max(ConversationMessage.id))
            .join(Conversation, Conversation.id == ConversationMessage.conversation_id)
            .where(
                Conversation.server_id == server_id,
                ConversationMessage.author_id.in_(user_ids),
                ConversationMessage.author_name != "",
            )
            .group_by(ConversationMessage.author_id)
        )
        ids = [row[1] for row in await s.execute(latest)]
        if not ids:
            return {}
        rows = await s.execute(
            select(ConversationMessage.author_id, ConversationMessage.author_name).where(
                ConversationMessage.id.in_(ids)
            )
        )
        return {int(r[0]): str(r[1]) for r in rows}

    # ----- audit -------------------------------------------------------------------------

    async def audit(
        self,
        server_id: int,
        *,
        plugin: str | None = None,
        actor_id: int | None = None,
        limit: int = 100,
    ) -> list[AuditEntry]:
        stmt = select(AuditEntry).where(AuditEntry.server_id == server_id)
        if plugin:
            stmt = stmt.where(
                or_(AuditEntry.target == plugin, AuditEntry.target.like(f"{plugin}.%"))
            )
        if actor_id is not None:
            stmt = stmt.where(AuditEntry.actor_id == actor_id)
        async with self.store.session() as s:
            return list(await s.scalars(stmt.order_by(AuditEntry.id.desc()).limit(limit)))

    async def audit_actors(self, server_id: int) -> list[int]:
        stmt = select(AuditEntry.actor_id).where(AuditEntry.server_id == server_id).distinct()
        async with self.store.session() as s:
            return sorted(int(a) for a in await s.scalars(stmt))

    # ----- a member's own data -----------------------------------------------------------

    def _mine(self, user_id: int) -> Any:
        """Messages the member wrote, and every message of their private conversations."""
        private = select(Conversation.id).where(Conversation.scope.like(f"user:{user_id}:%"))
        return or_(
            ConversationMessage.author_id == user_id,
            ConversationMessage.conversation_id.in_(private),
        )

    async def member_counts(self, user_id: int) -> dict[int, dict[str, int]]:
        """What is stored about the member, per server (0: direct messages), by kind."""
        counts: dict[int, dict[str, int]] = defaultdict(
            lambda: {
                "conversation messages": 0,
                "usage records": 0,
                "documents": 0,
                "audit entries": 0,
            }
        )
        async with self.store.session() as s:
            messages = await s.execute(
                select(Conversation.server_id, func.count())
                .join(ConversationMessage, Conversation.id == ConversationMessage.conversation_id)
                .where(self._mine(user_id))
                .group_by(Conversation.server_id)
            )
            for server_id, n in messages:
                counts[int(server_id)]["conversation messages"] = int(n)
            queries = {
                "usage records": select(UsageDaily.server_id, func.count())
                .where(UsageDaily.user_id == user_id)
                .group_by(UsageDaily.server_id),
                "documents": select(Document.server_id, func.count())
                .where(Document.uploader_id == user_id)
                .group_by(Document.server_id),
                "audit entries": select(AuditEntry.server_id, func.count())
                .where(AuditEntry.actor_id == user_id)
                .group_by(AuditEntry.server_id),
            }
            for kind, stmt in queries.items():
                for server_id, n in await s.execute(stmt):
                    counts[int(server_id)][kind] = int(n)
        return dict(sorted(counts.items()))

