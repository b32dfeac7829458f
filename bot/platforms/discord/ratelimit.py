"""Pacing of message edits: at most one per interval, and longer after Discord says 429."""

from __future__ import annotations

import time
from collections.abc import Callable

import discord

__all__ = ["DISCORD_ERRORS", "EditThrottle", "is_rate_limit", "retry_after_of"]

# What a best-effort Discord call can raise. RateLimited is not an HTTPException: discord.py
# raises it instead of waiting when Discord asks for more than `max_ratelimit_timeout`.
DISCORD_ERRORS: tuple[type[discord.DiscordException], ...] = (
    discord.HTTPException,
    discord.RateLimited,
)

DEFAULT_RETRY_AFTER = 1.0  # when a 429 carries no Retry-After
MAX_RETRY_AFTER = 60.0


def is_rate_limit(error: BaseException) -> bool:
    """discord.py raises RateLimited (long waits) or HTTPException 429 (e.g. no Via header)."""
    if isinstance(error, discord.RateLimited):
        return True
    return isinstance(error, discord.HTTPException) and error.status == 429


def retry_after_of(error: BaseException, fallback: float = DEFAULT_RETRY_AFTER) -> float:
    """Seconds Discord asked us to wait, from the exception or the response headers."""
    if isinstance(error, discord.RateLimited):
        return min(max(error.retry_after, 0.0), MAX_RETRY_AFTER)
    headers = getattr(getattr(error, "response", None), "headers", None) or {}
    for name in ("Retry-After", "X-RateLimit-Reset-After"):
        value = headers.get(name)
        if value is None:
            continue
        try:
            return min(max(float(value), 0.0), MAX_RETRY_AFTER)
        except (TypeError, ValueError):
            continue
    return fallback


class EditThrottle:
    """Decides when the next edit of a streamed message may go out.

    Edits are spaced by `interval`; a rate limit pushes the next edit to `retry_after` (or
    later, doubling while 429s repeat without a Retry-After). Reads time through `clock`.
    """

    def __init__(self, interval: float = 1.0, clock: Callable[[], float] | None = None) -> None:
        self.interval = interval
        self._clock = clock or (lambda: time.monotonic())
        self._next_at = float("-inf")
        self._backoff = DEFAULT_RETRY_AFTER
        self.rate_limited = 0  # how many 429s were absorbed

    def due(self) -> bool:
        return self._clock() >= self._next_at

    def wait_time(self) -> float:
        return max(0.0, self._next_at - self._clock())

    def sent(self) -> None:
        """An edit went out: the next one waits a full interval."""
        self._next_at = self._clock() + self.interval
        self._backoff = DEFAULT_RETRY_AFTER

    def limited(self, error: BaseException) -> float:
        """Discord refused with 429: wait what it asked (at least one interval). Returns it."""
        self.rate_limited += 1
        retry_after = retry_after_of(error, fallback=self._backoff)
        self._backoff = min(self._backoff * 2, MAX_RETRY_AFTER)
        delay = max(retry_after, self.interval)
        self._next_at = self._clock() + delay
        return delay
