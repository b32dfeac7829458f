"""The runners' wiring: signals drain running replies, retention follows the privacy setting,
the Router reports every outcome, and the Discord client tracks what it is working on."""

from __future__ import annotations

import asyncio
import os
import signal
from typing import Annotated

import aiohttp
import pytest

from bot.config import Config
from bot.core import Context, Option, Plugin, command
from bot.core.events import Author, CommandCall, Location
from bot.core.inflight import RESTART_MESSAGE, ShuttingDown
from bot.observability import Metrics
from bot.operations import Operations
from plugins.ai import AIPlugin
from plugins.privacy import PrivacyPlugin
from tests.conftest import AppFactory
from tests.discord.conftest import StartWorld, start_world  # noqa: F401  (fixture)
from tests.ops.helpers import SERVER, OpsPlugin, RecordingResponder, call
from tests.ops.test_retention import conversation, remaining


def events(metrics: Metrics, plugin: str, handler: str, outcome: str) -> float:
    value = metrics.registry.get_sample_value(
        "sohbet_events_total", {"plugin": plugin, "handler": handler, "outcome": outcome}
    )
    return value or 0.0


async def get_status(url: str) -> int:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status


# ----- signals and drain -------------------------------------------------------------------


async def test_sigterm_drains_running_replies_then_stops_the_adapter(
    make_app: AppFactory,
) -> None:
    plugin = OpsPlugin()
    app = await make_app(plugin)
    metrics = Metrics(process=False)
    ops = await Operations.start(
        app, grace=0.5, metrics=metrics, metrics_port=0, freeze_gc=False, retention=False
    )
    stopped = asyncio.Event()

    async def stop_adapter() -> None:
        stopped.set()

    ops.on_stop(stop_adapter)
    ops.install_signals()
    slow_responder, quick_responder = RecordingResponder(), RecordingResponder()

    async def adapter_event(name: str, responder: RecordingResponder, **options: float) -> None:
        async with ops.inflight.track(notify=responder.send_text, name=name):
            if name == "ping":
                await asyncio.sleep(0.1)  # still running when the signal arrives
            await app.router.handle_command(call(name, **options), responder)

    try:
        slow = asyncio.create_task(adapter_event("slow", slow_responder, seconds=30))
        quick = asyncio.create_task(adapter_event("ping", quick_responder))
        await asyncio.wait_for(plugin.started.wait(), 5)
        assert ops.observability.url is not None
        assert await get_status(f"{ops.observability.url}/readyz") == 200

        os.kill(os.getpid(), signal.SIGTERM)
        await asyncio.sleep(0.05)
        assert ops.shutting_down
        assert await get_status(f"{ops.observability.url}/readyz") == 503  # not ready
        assert await get_status(f"{ops.observability.url}/healthz") == 200  # but alive
        await asyncio.wait_for(stopped.wait(), 5)

        assert quick_responder.texts == ["pong"]  # finished within the grace period
        assert slow_responder.texts == [RESTART_MESSAGE]  # cut off, told, nothing else
        assert slow.cancelled() and quick.done()
        report = ops.drain_report
        assert report is not None and report.finished == 1 and report.cut_off == ["slow"]
        assert events(metrics, "ops", "slow", "cancelled") == 1
        assert events(metrics, "ops", "slow", "ok") == 0
        with pytest.raises(ShuttingDown):
            await adapter_event("ping", RecordingResponder())
    finally:
        await ops.close()
    assert not ops.retention
    # Handlers removed: SIGTERM is back to its default disposition.
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


async def test_close_without_a_signal_cuts_off_what_still_runs(make_app: AppFactory) -> None:
    plugin = OpsPlugin()
    app = await make_app(plugin)
    ops = await Operations.start(app, metrics=Metrics(process=False), freeze_gc=False)
    responder = RecordingResponder()

    async def event() -> None:
        async with ops.inflight.track(notify=responder.send_text):
            await app.router.handle_command(call("slow", seconds=30), responder)

    task = asyncio.create_task(event())
    await asyncio.wait_for(plugin.started.wait(), 5)
    await ops.close()
    assert task.cancelled() and responder.texts == [RESTART_MESSAGE]
    assert not ops.inflight.accepting


# ----- retention ---------------------------------------------------------------------------


async def test_retention_runs_with_each_servers_privacy_setting(make_app: AppFactory) -> None:
    app = await make_app(PrivacyPlugin(), OpsPlugin())
    settings = app.services.settings
    await settings.set(PrivacyPlugin, "retention_days", "30", server_id=1, actor_id=99)
    await settings.set(PrivacyPlugin, "retention_days", "7", server_id=3, actor_id=99)
    await conversation(app.store, 1, "user:7:chan:1", age_days=45)  # older than 30 days
    await conversation(app.store, 1, "user:8:chan:1", age_days=10)
    await conversation(app.store, 2, "channel:2", age_days=400)  # server 2 keeps everything
    await conversation(app.store, 3, "thread:3", age_days=8)  # older than 7 days
    ops = await Operations.start(
        app,
        metrics=Metrics(process=False),
        freeze_gc=False,
        retention_first_delay=0,
        retention_interval=3600,
    )
    try:
        assert ops.retention is not None
        for _ in range(200):
            if ops.retention.runs:
                break
            await asyncio.sleep(0.02)
        assert ops.retention.runs == 1 and ops.retention.failures == 0
        assert await remaining(app.store) == {(1, "user:8:chan:1"), (2, "channel:2")}
    finally:
        await ops.close()
    assert not ops.retention.running


async def test_no_privacy_plugin_means_no_retention_job(make_app: AppFactory) -> None:
    app = await make_app(OpsPlugin())
    ops = await Operations.start(app, metrics=Metrics(process=False), freeze_gc=False)
    try:
        assert ops.retention is None
    finally:
        await ops.close()


# ----- router outcomes ---------------------------------------------------------------------


class CostlyPlugin(Plugin):
    name = "costly"
    description = "Uses the model, with a cooldown"
    uses_model = True

    @command(description="Think hard", cooldown=60)
    async def think(self, ctx: Context, about: Annotated[str, Option("topic")] = "life") -> None:
        await ctx.reply(f"thought about {about}")


async def test_refusals_before_the_handler_and_cancellations_are_observed(
    make_app: AppFactory,
) -> None:
    plugin = OpsPlugin()
    app = await make_app(plugin, CostlyPlugin(), AIPlugin())
    metrics = Metrics(process=False)
    ops = await Operations.start(app, metrics=metrics, freeze_gc=False, retention=False)
    settings = app.services.settings
    try:
        responder = RecordingResponder()
        await app.router.handle_command(call("think"), responder)  # ok
        await app.router.handle_command(call("think"), responder)  # cooldown
        assert responder.texts[0] == "thought about life"
        assert "try again in" in responder.texts[1]

        await settings.set(AIPlugin, "daily_user_tokens", "10", server_id=SERVER, actor_id=1)
        await app.store.usage.add(SERVER, 8, 50, 50)
        budget = RecordingResponder()
        member = CommandCall("think", {}, Author(8, "spender"), Location(SERVER, 50), id=4242)
        await app.router.handle_command(member, budget)
        assert "AI tokens for today" in budget.texts[0]

        await settings.set_enabled(OpsPlugin, False, server_id=SERVER, actor_id=1)
        disabled = RecordingResponder()
        await app.router.handle_command(call("ping"), disabled)
        assert "turned off on this server" in disabled.texts[0]
        await settings.set_enabled(OpsPlugin, True, server_id=SERVER, actor_id=1)

        task = asyncio.create_task(app.router.handle_command(call("slow"), RecordingResponder()))
        await asyncio.wait_for(plugin.started.wait(), 5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

        assert events(metrics, "costly", "think", "ok") == 1
        assert events(metrics, "costly", "think", "refused") == 2  # cooldown, budget
        assert events(metrics, "ops", "ping", "refused") == 1  # disabled plugin
        assert events(metrics, "ops", "slow", "cancelled") == 1
        assert events(metrics, "ops", "slow", "ok") == 0
        assert (
            metrics.registry.get_sample_value(
                "sohbet_handler_seconds_count",
                {"plugin": "costly", "handler": "think", "outcome": "refused"},
            )
            == 2
        )
    finally:
        await ops.close()


# ----- the Discord client ------------------------------------------------------------------


async def test_discord_shutdown_cuts_off_a_streaming_reply_and_tells_the_member(
    start_world: StartWorld,  # noqa: F811
) -> None:
    world = await start_world(settle_timeout=1.0)
    inflight = world.client.inflight
    await world.alice.send(world.general, f"{world.mention} stream 40")  # 10 s of words
    await world.env.advance_time(3)
    assert len(inflight) == 1
    report = await inflight.drain(grace=0.05)
    await world.env.settle()
    assert len(report.cut_off) == 1 and report.notified == 1
    bot_messages = [m for m in world.general.history() if m.author.id == world.client.user.id]
    assert bot_messages[-1].content == RESTART_MESSAGE
    assert "w0" in bot_messages[-2].content  # what was streamed before the cut stays visible

    # After the drain: a mention is answered with "restarting", a slash command too.
    await world.alice.send(world.general, f"{world.mention} hello?")
    assert world.general.last_message.content == ShuttingDown().user_message
    result = await world.alice.slash(world.general, "echo", text="hi")
    assert result.response.content == ShuttingDown().user_message
    assert result.response.ephemeral
    assert world.tools.calls == []  # the command never ran
    assert len(inflight) == 0


async def test_discord_events_are_tracked_while_they_run(start_world: StartWorld) -> None:  # noqa: F811
    world = await start_world(settle_timeout=1.0)
    seen: list[int] = []
    world.client.inflight.on_change = seen.append
    result = await world.alice.slash(world.general, "echo", text="hi")
    assert result.response.content == "hi"
    await world.alice.send(world.general, f"{world.mention} hello")
    assert seen == [1, 0, 1, 0]  # each event was registered, then released


def test_config_carries_metrics_host_and_port(config: Config) -> None:
    assert config.metrics_port is None and config.metrics_host == "127.0.0.1"


# ----- `sohbet run` ------------------------------------------------------------------------


async def test_sohbet_run_drains_running_replies_and_exits_cleanly_on_sigterm(
    config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The runner's wiring, with Discord's gateway (unreachable here) replaced by a wait."""
    from pydantic import SecretStr

    from bot.platforms.discord import runner
    from bot.platforms.discord.client import SohbetClient

    clients: list[SohbetClient] = []
    connected = asyncio.Event()

    gateway_closed = asyncio.Event()

    async def gateway(self: SohbetClient, token: str, *, reconnect: bool = True) -> None:
        clients.append(self)
        connected.set()
        await gateway_closed.wait()  # until close(), like the real connection loop

    async def close(self: SohbetClient) -> None:
        gateway_closed.set()
        await original_close(self)

    original_close = SohbetClient.close
    monkeypatch.setattr(SohbetClient, "start", gateway)
    monkeypatch.setattr(SohbetClient, "close", close)
    config = config.model_copy(
        update={"discord_token": SecretStr("token"), "plugins": ["help", "privacy"]}
    )
    bot = asyncio.create_task(runner.run_bot(config))
    await asyncio.wait_for(connected.wait(), 30)
    client = clients[0]
    finished: list[str] = []

    async def reply_in_progress() -> None:
        async with client.inflight.track(name="reply"):
            await asyncio.sleep(0.3)
            finished.append("reply")

    running = asyncio.create_task(reply_in_progress())
    await asyncio.sleep(0.05)
    os.kill(os.getpid(), signal.SIGTERM)
    assert await asyncio.wait_for(bot, 10) == 0
    assert finished == ["reply"] and running.done()  # drained before the client closed
    assert client.is_closed() and not client.inflight.accepting
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
