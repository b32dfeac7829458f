"""The platform's own reply chain as history, for members who chose not to be remembered."""

from __future__ import annotations

import logging

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage

from bot.core import Context, Message

__all__ = ["reply_chain"]

log = logging.getLogger(__name__)


async def reply_chain(ctx: Context, limit: int = 20, window: int = 100) -> list[BaseMessage]:
    """The messages this one replies to, oldest first: followed through the channel's recent
    `window` messages (what the platform shows), at most `limit` of them. Nothing is stored."""
    event = ctx.event
    if not isinstance(event, Message) or event.reply_to_id is None:
        return []
    try:
        recent = {m.id: m for m in await ctx.channel_history(window)}
    except Exception as exc:  # no history to read here: answer from the message alone
        log.info("no reply chain for message %s: %r", event.id, exc)
        return []
    chain: list[Message] = []
    next_id: int | None = event.reply_to_id
    while next_id is not None and next_id in recent and len(chain) < limit:
        message = recent[next_id]
        chain.append(message)
        next_id = message.reply_to_id
    return [
        AIMessage(m.content) if m.author.is_bot else HumanMessage(m.content)
        for m in reversed(chain)
        if m.content.strip()
    ]
