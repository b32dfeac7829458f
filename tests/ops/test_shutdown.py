"""Graceful shutdown: finish what can finish, cut off the rest politely, refuse new events."""

from __future__ import annotations

import asyncio
import os
import signal
import warnings

import pytest

from bot.core.inflight import RESTART_MESSAGE, InFlight, ShuttingDown, on_signals
from tests.conftest import AppFactory
from tests.ops.helpers import OpsPlugin, RecordingResponder, call


async def test_drain_waits_for_handlers_that_finish_within_the_grace_period() -> None:
    inflight = InFlight()
    told: list[str] = []
    done: list[str] = []

    async def handler(name: str, seconds: float) -> None:
        async def notify(text: str) -> None:
            told.append(name)

        async with inflight.track(notify=notify, name=name):
            await asyncio.sleep(seconds)
            done.append(name)

    tasks = [asyncio.create_task(handler(f"h{i}", 0.05 * i)) for i in range(1, 4)]
    await asyncio.sleep(0)
    assert len(inflight) == 3
    report = await inflight.drain(grace=2)
    assert report.finished == 3 and report.cut_off == [] and report.notified == 0
    assert done == ["h1", "h2", "h3"] and told == []
    assert report.seconds < 1
    await asyncio.gather(*tasks)


async def test_drain_cuts_off_slow_handlers_and_tells_their_users() -> None:
    inflight = InFlight()
    told: list[tuple[str, str]] = []
    finished: list[str] = []

    async def handler(name: str, seconds: float) -> None:
        async def notify(text: str) -> None:
            told.append((name, text))

        async with inflight.track(notify=notify, name=name):
            await asyncio.sleep(seconds)
            finished.append(name)

    quick = asyncio.create_task(handler("quick", 0.01))
    slow = asyncio.create_task(handler("slow", 30))
    silent = asyncio.create_task(handler("no-notify", 30))
    await asyncio.sleep(0)
    report = await inflight.drain(grace=1.0)
    assert report.finished == 1
    assert sorted(report.cut_off) == ["no-notify", "slow"]
    assert report.notified == 2
    assert sorted(told) == [("no-notify", RESTART_MESSAGE), ("slow", RESTART_MESSAGE)]
    assert finished == ["quick"]
    assert quick.done() and slow.cancelled() and silent.cancelled()
    assert len(inflight) == 0
    assert report.seconds < 2


async def test_new_events_are_refused_once_draining() -> None:
    inflight = InFlight()
    await inflight.drain(grace=0)
    assert not inflight.accepting
    with pytest.raises(ShuttingDown) as caught:
        async with inflight.track():
            pytest.fail("the block must not run")
    assert "restarting" in caught.value.user_message

    async def never() -> None:
        pytest.fail("must not run")

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "coroutine was never awaited" would be a leak
        with pytest.raises(ShuttingDown):
            inflight.spawn(never())


async def test_a_notification_that_fails_does_not_stop_the_others() -> None:
    inflight = InFlight()
    told: list[str] = []

    async def broken(_text: str) -> None:
        raise ConnectionError("channel is gone")

    async def works(text: str) -> None:
        told.append(text)

    inflight.spawn(asyncio.sleep(30), notify=broken, name="a")
    inflight.spawn(asyncio.sleep(30), notify=works, name="b")
    report = await inflight.drain(grace=0.05)
    assert report.notified == 1 and told == [RESTART_MESSAGE]
    assert sorted(report.cut_off) == ["a", "b"]


async def test_a_hanging_notification_is_given_up_on() -> None:
    inflight = InFlight()

    async def hangs(_text: str) -> None:
        await asyncio.sleep(60)

    inflight.spawn(asyncio.sleep(30), notify=hangs)
    report = await inflight.drain(grace=0.05, notify_timeout=0.1)
    assert report.notified == 0 and len(report.cut_off) == 1
    assert report.seconds < 1


async def test_router_handlers_cut_off_by_shutdown_tell_the_member(make_app: AppFactory) -> None:
    plugin = OpsPlugin()
    app = await make_app(plugin)
    inflight = InFlight()
    quick_responder, slow_responder = RecordingResponder(), RecordingResponder()

    async def adapter_event(name: str, responder: RecordingResponder) -> None:
        # What the Discord adapter does for each interaction.
        async with inflight.track(notify=lambda text: responder.send_text(text)):
            await app.router.handle_command(call(name), responder)

    slow = asyncio.create_task(adapter_event("slow", slow_responder))
    quick = asyncio.create_task(adapter_event("ping", quick_responder))
    await asyncio.wait_for(plugin.started.wait(), 2)
    report = await inflight.drain(grace=2.0)  # "slow" takes 10 s; "ping" needs well under 2
    assert report.finished == 1 and len(report.cut_off) == 1 and report.notified == 1
    assert quick_responder.texts == ["pong"]
    assert slow_responder.texts == [RESTART_MESSAGE]  # never "finally done"
    assert slow.cancelled() and quick.done()

    late = RecordingResponder()
    with pytest.raises(ShuttingDown):
        await adapter_event("ping", late)
    assert late.texts == []


async def test_on_signals_calls_back_and_can_be_undone() -> None:
    # SIGUSR1 rather than SIGTERM: a failure here must not terminate the test run.
    received = asyncio.Event()
    undo = on_signals(received.set, (signal.SIGUSR1,))
    try:
        os.kill(os.getpid(), signal.SIGUSR1)
        await asyncio.wait_for(received.wait(), 2)
    finally:
        undo()
    assert received.is_set()
    assert signal.getsignal(signal.SIGUSR1) == signal.SIG_DFL
