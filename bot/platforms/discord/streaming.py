"""Streaming a reply: show text as it arrives by editing at most once per interval.

A 429 never loses text: the throttle waits what Discord asked (Retry-After) and the next edit
carries everything received meanwhile. The final text is always written, waiting for the
throttle first, so even the last edit respects the pace.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

from bot.core.errors import SohbetError
from bot.platforms.discord.messages import MessageGroup
from bot.platforms.discord.ratelimit import EditThrottle, is_rate_limit

__all__ = ["CURSOR", "stream_into"]

log = logging.getLogger(__name__)
CURSOR = " ▌"  # shown while the answer is still being written
FINAL_ATTEMPTS = 6


async def stream_into(
    group: MessageGroup, chunks: AsyncIterator[str], throttle: EditThrottle
) -> str:
    """Consume `chunks` into `group`; returns the full text."""
    text = ""
    async for piece in chunks:
        text += piece
        if text.strip() and throttle.due():
            await _attempt(group, text + CURSOR, throttle)
    for _ in range(FINAL_ATTEMPTS):
        await asyncio.sleep(throttle.wait_time())
        if await _attempt(group, text, throttle):
            return text
    raise SohbetError(_("Discord kept rate limiting me, so the end of this answer is missing."))


async def _attempt(group: MessageGroup, text: str, throttle: EditThrottle) -> bool:
    try:
        await group.render(text)
    except Exception as exc:
        if not is_rate_limit(exc):
            raise
        delay = throttle.limited(exc)
        log.info("rate limited while streaming; next edit in %.2f s", delay)
        return False
    throttle.sent()
    return True
