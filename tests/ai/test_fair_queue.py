"""Turns at a local model: round-robin between servers and users, so nobody is starved."""

from __future__ import annotations

import asyncio
from collections.abc import Hashable
from pathlib import Path

import pytest
from langchain_core.messages import HumanMessage

from bot.ai.fair_queue import FairQueue
from bot.ai.local_engine import load_engine
from bot.ai.models import ModelConfig
from bot.ai.runner import ChatRunner
from tests.ai.models_support import build_tiny_llama


async def _serve(queue: FairQueue, requests: list[tuple[Hashable, Hashable]]) -> list[tuple]:
    """Queue `requests` (in this order) behind a busy model; the order they get their turns."""
    served: list[tuple] = []

    async def one(who: tuple[Hashable, Hashable]) -> None:
        await queue.acquire(who)
        served.append(who)
        await asyncio.sleep(0)  # "generating"
        queue.release()

    await queue.acquire(("someone", "else"))  # the model is busy when they arrive
    tasks = []
    for who in requests:
        tasks.append(asyncio.create_task(one(who)))
        await asyncio.sleep(0)  # arrive in this order
    assert queue.waiting() == len(requests)
    queue.release()
    await asyncio.gather(*tasks)
    return served


async def test_a_heavy_user_does_not_starve_the_others() -> None:
    # One member sends 6 questions before two others send one each.
    heavy = [("s1", "heavy")] * 6
    served = await _serve(FairQueue(), [*heavy, ("s1", "ann"), ("s1", "bob")])
    # Ann and Bob are answered after at most one of the heavy user's questions each.
    assert served.index(("s1", "ann")) <= 1
    assert served.index(("s1", "bob")) <= 2
    assert served[3:] == [("s1", "heavy")] * 5


async def test_a_busy_server_does_not_starve_another_server() -> None:
    # Server 1 has 4 members asking; server 2 has one. Round-robin is by server first.
    busy = [("s1", f"u{i}") for i in range(4)]
    served = await _serve(FairQueue(), [*busy, ("s2", "solo")])
    assert served.index(("s2", "solo")) == 1
    # Within server 1, members still take turns in arrival order.
    assert [w for w in served if w[0] == "s1"] == busy


async def test_the_user_just_answered_waits_behind_the_others() -> None:
    queue = FairQueue()
    await queue.acquire(("s1", "heavy"))
    order: list[str] = []

    async def ask(user: str) -> None:
        await queue.acquire(("s1", user))
        order.append(user)
        queue.release()

    again = asyncio.create_task(ask("heavy"))  # asks again while being answered
    await asyncio.sleep(0)
    other = asyncio.create_task(ask("ann"))  # arrives later, but hasn't had a turn
    await asyncio.sleep(0)
    queue.release()
    await asyncio.gather(again, other)
    assert order == ["ann", "heavy"]


async def test_giving_up_leaves_the_queue_clean() -> None:
    queue = FairQueue()
    await queue.acquire(("s1", "a"))
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.05):
            await queue.acquire(("s1", "b"))
    assert queue.waiting() == 0
    queue.release()
    assert not queue.busy
    async with asyncio.timeout(1):  # free: the next request gets its turn at once
        await queue.acquire(("s2", "c"))
    queue.release()
    with pytest.raises(RuntimeError):
        queue.release()


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_llama(tmp_path_factory.mktemp("tiny-llama-fair"))


async def test_runner_streams_take_fair_turns_and_report_the_queue(tiny_dir: Path) -> None:
    """Through ChatRunner with a real (tiny) local model: streams wait in the fair queue."""
    runner = ChatRunner()
    cfg = ModelConfig(model=str(tiny_dir), temperature=0, max_new_tokens=4)
    queue = runner.serial_lock(cfg)
    await asyncio.to_thread(load_engine, str(tiny_dir))  # loading is not part of the wait
    await queue.acquire(("s0", "holder"))
    assert runner.queue_length(cfg) == (0, True)
    answered: list[str] = []

    async def ask(server: str, user: str) -> None:
        await runner.complete([HumanMessage("hello")], cfg, who=(server, user))
        answered.append(user)

    tasks = [asyncio.create_task(ask("s1", f"heavy{i}")) for i in range(3)]
    await asyncio.sleep(0.2)  # each builds its (cached) model in a thread, then queues
    tasks.append(asyncio.create_task(ask("s2", "other")))
    await asyncio.sleep(0.2)
    assert runner.queue_length(cfg) == (4, True)
    queue.release()
    await asyncio.gather(*tasks)
    assert answered.index("other") == 1  # after one of server 1's, not after all three
    assert runner.queue_length(cfg) == (0, False)
