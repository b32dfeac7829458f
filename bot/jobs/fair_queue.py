"""The local model's turns shared by every process on one machine (or one model server).

Each process keeps its own `FairQueue` (round-robin by server, then user, among its own
waiters); its front-runner then asks Redis for the global turn. Redis grants the turn to the
waiting front-runner whose server, then user, was served longest ago (one Lua script, so two
processes never both get it), so N processes sharing one model neither run N answers at once
nor let one process's members go first. A holder renews its turn while it runs; a process that
dies loses it after `TURN_TTL_MS`, and a waiter that dies is forgotten after `ALIVE_TTL_MS`.

The API is FairQueue's (`acquire(who)`, sync `release()`), so bot.ai.runner uses either.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Hashable

from redis import asyncio as aioredis

from bot.ai.fair_queue import FairQueue, Who
from bot.jobs.reply import reply

__all__ = ["RedisFairQueue"]

log = logging.getLogger(__name__)

TURN_TTL_MS = 30_000
ALIVE_TTL_MS = 5_000
POLL_S = 0.05
SEP = "\x1f"

_GRANT = """
local holder = redis.call('GET', KEYS[1])
if holder then return holder end
local best, bs, bu, bq, bserver, buser
local all = redis.call('HGETALL', KEYS[2])
for i = 1, #all, 2 do
  local ticket, value = all[i], all[i + 1]
  if redis.call('EXISTS', ARGV[2] .. ticket) == 0 then
    redis.call('HDEL', KEYS[2], ticket)
  else
    local server, user, q = string.match(value, '^(.-)\\31(.-)\\31(%d+)$')
    local s = tonumber(redis.call('HGET', KEYS[3], server) or '0')
    local u = tonumber(redis.call('HGET', KEYS[4], server .. '\\31' .. user) or '0')
    q = tonumber(q)
    if best == nil or s < bs or (s == bs and (u < bu or (u == bu and q < bq))) then
      best, bs, bu, bq, bserver, buser = ticket, s, u, q, server, user
    end
  end
end
if best == nil then return false end
local n = redis.call('INCR', KEYS[5])
redis.call('HSET', KEYS[3], bserver, n)
redis.call('HSET', KEYS[4], bserver .. '\\31' .. buser, n)
redis.call('HDEL', KEYS[2], best)
redis.call('SET', KEYS[1], best, 'PX', ARGV[1])
return best
"""

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""


class RedisFairQueue(FairQueue):
    """A FairQueue whose turns are also shared through Redis under `name` (one model)."""

    def __init__(self, redis: aioredis.Redis, name: str) -> None:
        super().__init__()
        self.redis = redis
        prefix = f"sohbet:model-turns:{name}:"
        self._keys = [
            prefix + k for k in ("holder", "waiting", "served-server", "served-user", "seq")
        ]
        self._alive = prefix + "alive:"
        self._grant = redis.register_script(_GRANT)
        self._release = redis.register_script(_RELEASE)
        self._renew = redis.register_script(_RENEW)
        self._ticket: str | None = None
        self._renewer: asyncio.Task[None] | None = None
        self._pending: set[asyncio.Task[None]] = set()

    async def acquire(self, who: Who = ("", "")) -> bool:
        await super().acquire(who)  # this process's fair turn first
        try:
            await self._acquire_global(who)
        except BaseException:
            super().release()
            raise
        return True

    def release(self) -> None:
        ticket, self._ticket = self._ticket, None
        renewer, self._renewer = self._renewer, None
        if renewer is not None:
            renewer.cancel()
        if ticket is not None:
            task = asyncio.get_running_loop().create_task(self._release_global(ticket))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)
        super().release()

    async def _acquire_global(self, who: Who) -> None:
        ticket = uuid.uuid4().hex
        server, user = (_label(part) for part in who)
        seq = await self.redis.incr(self._keys[4])
        await self.redis.set(self._alive + ticket, 1, px=ALIVE_TTL_MS)
        await reply(self.redis.hset(self._keys[1], ticket, f"{server}{SEP}{user}{SEP}{seq}"))
        try:
            polls = 0
            while True:
                holder = await self._grant(keys=self._keys, args=[TURN_TTL_MS, self._alive])
                if _text(holder) == ticket:
                    break
                polls += 1
                if polls % 20 == 0:  # about once a second: still waiting
                    await self.redis.pexpire(self._alive + ticket, ALIVE_TTL_MS)
                await asyncio.sleep(POLL_S)
        except BaseException:
            await asyncio.shield(self._give_up(ticket))
            raise
        finally:
            await asyncio.shield(self.redis.delete(self._alive + ticket))
        self._ticket = ticket
        self._renewer = asyncio.get_running_loop().create_task(self._keep(ticket))

    async def _give_up(self, ticket: str) -> None:
        await reply(self.redis.hdel(self._keys[1], ticket))
        await self._release_global(ticket)  # granted just as we gave up: pass it on

    async def _keep(self, ticket: str) -> None:
        while True:
            await asyncio.sleep(TURN_TTL_MS / 3000)
            await self._renew(keys=self._keys[:1], args=[ticket, TURN_TTL_MS])

    async def _release_global(self, ticket: str) -> None:
        try:
            await self._release(keys=self._keys[:1], args=[ticket])
            await self._grant(keys=self._keys, args=[TURN_TTL_MS, self._alive])  # next, now
        except Exception:  # the turn expires on its own after TURN_TTL_MS
            log.warning("could not hand the model's turn on through Redis", exc_info=True)

    async def drain(self) -> None:
        """Wait for background releases (tests, shutdown)."""
        with contextlib.suppress(Exception):
            await asyncio.gather(*self._pending)


def _label(part: Hashable) -> str:
    return str(part).replace(SEP, " ")


def _text(value: object) -> str | None:
    if isinstance(value, bytes):
        return value.decode()
    return value if isinstance(value, str) else None
