"""What the core tables hold about one member: counts for `/privacy info`, a full export.

"Their" conversation turns are the ones `ConversationRepository.delete_user` deletes: their own
messages, the bot's replies to them (every non-user row after one of their messages and before
the next person's), and everything in their private conversations.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, or_, select

from bot.store.database import Store
from bot.store.models import AuditEntry, Conversation, ConversationMessage, Document, UsageDaily

__all__ = ["MemberCounts", "member_counts", "member_export"]

_LINK_ROLE = "link"  # rows that only map a platform message id to its conversation


@dataclass(frozen=True)
class MemberCounts:
    conversation_turns: int
    documents: int
    document_chunks: int
    usage_days: int
    audit_entries: int


async def member_counts(store: Store, user_id: int, server_id: int | None) -> MemberCounts:
    """How much the core tables hold about `user_id` (on `server_id`, or everywhere: None)."""
    conversations = await _conversations(store, user_id, server_id)
    turns = sum(len(c["turns"]) for c in conversations)
    async with store.session() as s:
        docs = select(func.count(), func.coalesce(func.sum(Document.chunks), 0)).where(
            Document.uploader_id == user_id
        )
        usage = select(func.count()).select_from(UsageDaily).where(UsageDaily.user_id == user_id)
        audit = select(func.count()).select_from(AuditEntry).where(AuditEntry.actor_id == user_id)
        if server_id is not None:
            docs = docs.where(Document.server_id == server_id)
            usage = usage.where(UsageDaily.server_id == server_id)
            audit = audit.where(AuditEntry.server_id == server_id)
        documents, chunks = (await s.execute(docs)).one()
        return MemberCounts(
            conversation_turns=turns,
            documents=int(documents),
            document_chunks=int(chunks),
            usage_days=int(await s.scalar(usage) or 0),
            audit_entries=int(await s.scalar(audit) or 0),
        )


async def member_export(store: Store, user_id: int, server_id: int | None) -> dict[str, Any]:
    """Everything the core tables hold about `user_id`, as JSON-ready data."""
    async with store.session() as s:
        usage = select(UsageDaily).where(UsageDaily.user_id == user_id)
        audit = select(AuditEntry).where(AuditEntry.actor_id == user_id)
        if server_id is not None:
            usage = usage.where(UsageDaily.server_id == server_id)
            audit = audit.where(AuditEntry.server_id == server_id)
        usage_rows = list(await s.scalars(usage.order_by(UsageDaily.day)))
        audit_rows = list(await s.scalars(audit.order_by(AuditEntry.id)))
    return {
        "conversations": await _conversations(store, user_id, server_id),
        "token_usage_per_day": [
            {
                "server_id": str(row.server_id),
                "day": _json(row.day),
                "tokens_in": row.tokens_in,
                "tokens_out": row.tokens_out,
                "calls": row.calls,
            }
            for row in usage_rows
        ],
        "setting_changes_in_audit_log": [
            {
                "server_id": str(row.server_id),
                "action": row.action,
                "target": row.target,
                "old_value": row.old_value,
                "new_value": row.new_value,
                "at": _json(row.created_at),
            }
            for row in audit_rows
        ],
    }


async def _conversations(
    store: Store, user_id: int, server_id: int | None
) -> list[dict[str, Any]]:
    """Each conversation with turns of theirs: its key and those turns, oldest first."""
    row = ConversationMessage
    theirs = select(row.conversation_id).where(row.author_id == user_id, row.role == "user")
    private = Conversation.scope.like(f"user:{user_id}:%")
    query = select(Conversation).where(or_(Conversation.id.in_(theirs), private))
    if server_id is not None:
        query = query.where(Conversation.server_id == server_id)
    out: list[dict[str, Any]] = []
    async with store.session() as s:
        for conversation in list(await s.scalars(query.order_by(Conversation.id))):
            messages = list(
                await s.scalars(
                    select(row).where(row.conversation_id == conversation.id).order_by(row.id)
                )
            )
            is_private = conversation.scope.startswith(f"user:{user_id}:")
            turns = _their_turns(messages, user_id, everything=is_private)
            if not turns:
                continue
            out.append(
                {
                    "server_id": str(conversation.server_id),
                    "conversation": conversation.scope,
                    "summary": conversation.summary if is_private else "",
                    "turns": turns,
                }
            )
    return out


def _their_turns(
    messages: Sequence[ConversationMessage], user_id: int, *, everything: bool
) -> list[dict[str, Any]]:
    turns: list[dict[str, Any]] = []
    after_theirs = False
    for message in messages:
        if message.role == "user":
            after_theirs = message.author_id == user_id
        if message.role == _LINK_ROLE or not (everything or after_theirs):
            continue
        turns.append(
            {
                "role": message.role,
                "author": message.author_name if message.role == "user" else "Sohbet",
                "text": message.content,
                "at": _json(message.created_at),
            }
        )
    return turns


def _json(value: date | datetime) -> str:
    return value.isoformat()
