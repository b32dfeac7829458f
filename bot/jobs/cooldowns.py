"""Cooldowns shared by every bot process through Redis.

One key per member and command, set only if absent and expiring after the cooldown: whichever
process sees the member first takes the turn, and every other process is refused until the key
expires. So N processes (shards, DMs) don't give a member N times the allowance.
"""

from __future__ import annotations

import logging
import math
import time

from redis import asyncio as aioredis
from redis.exceptions import RedisError

from bot.core.errors import CooldownActive
from bot.core.router import Cooldowns

__all__ = ["RedisCooldowns"]

PREFIX = "sohbet:cooldown:"

log = logging.getLogger(__name__)


class RedisCooldowns(Cooldowns):
    """The Router's cooldowns kept in Redis; `remaining` (the console's scripted wait) stays
    this process's own view."""

    def __init__(self, redis: aioredis.Redis) -> None:
        super().__init__()
        self.redis = redis

    async def acheck(self, command: str, user_id: int, seconds: float) -> None:
        if seconds <= 0:
            return
        key = f"{PREFIX}{command}:{user_id}"
        try:
            took = await self.redis.set(key, "1", px=max(1, math.ceil(seconds * 1000)), nx=True)
            left_ms = 0 if took else await self.redis.pttl(key)
        except RedisError as exc:  # the broker is away: this process's own cooldowns meanwhile
            log.warning("shared cooldowns unavailable (%s); using this process's own", exc)
            self.check(command, user_id, seconds)
            return
        if not took:
            raise CooldownActive(left_ms / 1000 if left_ms and left_ms > 0 else seconds)
        self._last[(command, user_id)] = time.monotonic()
        if len(self._last) > 50_000:
            self._last.clear()
