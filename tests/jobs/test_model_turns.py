"""The local model's turns through Redis: two queues on their own connections (as two bot
processes have) never both hold a turn, and turns go round-robin by server across them."""

from __future__ import annotations

import asyncio
import itertools
import subprocess
import sys
from pathlib import Path

from redis import asyncio as aioredis

from bot.jobs.fair_queue import RedisFairQueue
from bot.jobs.reply import reply


async def test_turns_are_shared_and_fair_across_processes(redis_url: str) -> None:
    one_redis, two_redis = aioredis.from_url(redis_url), aioredis.from_url(redis_url)
    one, two = RedisFairQueue(one_redis, "m"), RedisFairQueue(two_redis, "m")
    order: list[str] = []
    holding = 0

    async def ask(queue: RedisFairQueue, server: str, name: str) -> None:
        nonlocal holding
        await queue.acquire((server, name))
        holding += 1
        assert holding == 1, "two processes held the model at once"
        order.append(name)
        await asyncio.sleep(0.15)
        holding -= 1
        queue.release()

    await one.acquire(("busy", "x"))  # the model is busy; everyone below waits
    # Process one: a member of server A sends three questions; process two: server B, one.
    waiting = [asyncio.create_task(ask(one, "A", f"a{i}")) for i in range(3)]
    await asyncio.sleep(0.2)
    waiting.append(asyncio.create_task(ask(two, "B", "b0")))
    await asyncio.sleep(0.2)
    one.release()
    await asyncio.wait_for(asyncio.gather(*waiting), 10)
    # B's one question doesn't wait behind all of A's (first or second: neither server was
    # served yet), and A's go in the order they were asked.
    assert "b0" in order[:2] and [n for n in order if n != "b0"] == ["a0", "a1", "a2"]
    for queue in (one, two):
        await queue.drain()
    await one_redis.aclose()
    await two_redis.aclose()


async def test_a_waiter_that_gives_up_leaves_the_line(redis_url: str) -> None:
    redis = aioredis.from_url(redis_url)
    first, second = RedisFairQueue(redis, "m"), RedisFairQueue(aioredis.from_url(redis_url), "m")
    await first.acquire(("A", "1"))
    try:
        async with asyncio.timeout(0.3):
            await second.acquire(("B", "2"))
    except TimeoutError:
        pass
    first.release()
    await first.drain()
    await asyncio.wait_for(second.acquire(("B", "3")), 5)  # the line is not stuck
    second.release()
    await second.drain()
    await second.redis.aclose()
    await redis.aclose()


# One bot process's requests at the shared model: each holds its turn 0.3 s and records when.
ASKER = """
import asyncio, sys, time
from redis import asyncio as aioredis
from bot.jobs.fair_queue import RedisFairQueue

async def main(url, server, names):
    redis = aioredis.from_url(url)
    queue = RedisFairQueue(redis, "shared-model")
    await redis.incr("ready")
    while not await redis.get("go"):
        await asyncio.sleep(0.01)

    async def ask(name):
        await queue.acquire((server, name))
        start = time.time()
        await asyncio.sleep(0.3)
        await redis.rpush("trace", f"{name} {start} {time.time()}")
        queue.release()

    tasks = []
    for name in names.split(","):
        tasks.append(asyncio.create_task(ask(name)))
        await asyncio.sleep(0.05)  # asked in this order
    await asyncio.gather(*tasks)
    await queue.drain()
    await redis.aclose()

asyncio.run(main(*sys.argv[1:]))
"""


ROOT = Path(__file__).resolve().parents[2]


def start_askers(url: str, who: list[tuple[str, str]]) -> list[subprocess.Popen[bytes]]:
    return [
        subprocess.Popen([sys.executable, "-c", ASKER, url, server, names], cwd=ROOT)
        for server, names in who
    ]


async def test_two_processes_take_turns_fairly(redis_url: str) -> None:
    """Real processes: server A's member asks three times in one, server B's once in the
    other. Never two answers at once, and B's one question doesn't wait behind A's three."""
    redis = aioredis.from_url(redis_url)
    askers = start_askers(redis_url, [("A", "a0,a1,a2"), ("B", "b0")])
    try:
        for _ in range(200):
            if int(await reply(redis.get("ready")) or 0) == 2:
                break
            await asyncio.sleep(0.05)
        await redis.set("go", 1)
        for process in askers:
            assert await asyncio.to_thread(process.wait, 30) == 0
    finally:
        for process in askers:
            process.kill()
    rows = [row.decode().split() for row in await reply(redis.lrange("trace", 0, -1))]
    await redis.aclose()
    turns = sorted((float(start), float(end), name) for name, start, end in rows)
    for (_, end, _), (start, _, _) in itertools.pairwise(turns):
        assert start >= end, f"two turns overlapped: {turns}"
    order = [name for _, _, name in turns]
    assert order.index("b0") <= 1, order  # first or second, not behind all of A's
    assert [n for n in order if n != "b0"] == ["a0", "a1", "a2"]
