"""Metrics and probes over real HTTP, fed by a real Router built with build_app."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.app import build_app
from bot.config import Config
from bot.core.inflight import InFlight
from bot.observability import (
    Metrics,
    MetricsPortUnavailable,
    default_metrics,
    record_model_call,
    start_observability,
)
from bot.vectors import open_vector_store
from tests.conftest import AppFactory
from tests.ops.helpers import OpsPlugin, RecordingResponder, call, message

UNREACHABLE_POSTGRES = "postgresql+asyncpg://sohbet:hunter2secret@127.0.0.1:1/sohbet"


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(parsed: dict, name: str, **labels: str) -> float:
    return parsed.get((name, frozenset(labels.items())), 0.0)


async def get(url: str) -> tuple[int, str, str]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, response.headers["Content-Type"], await response.text()


async def get_json(url: str) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, await response.json()


async def test_metrics_endpoint_counts_routed_events(make_app: AppFactory) -> None:
    app = await make_app(OpsPlugin())
    obs = await start_observability(
        app, freeze_gc=False, port=0, metrics=Metrics(), lag_interval=0.02
    )
    try:
        assert obs.url is not None and obs.url.startswith("http://127.0.0.1:")
        responder = RecordingResponder()
        await app.router.handle_command(call("ping"), responder)
        await app.router.handle_command(call("ping"), responder)
        await app.router.handle_command(call("boom"), responder)
        await app.router.handle_command(call("refuse"), responder)
        await app.router.handle_message(message("hi"), responder)
        assert responder.texts[:2] == ["pong", "pong"]
        await asyncio.sleep(0.1)  # let the lag monitor take a few samples

        status, content_type, body = await get(f"{obs.url}/metrics")
        assert status == 200
        assert content_type.startswith("text/plain")
        parsed = samples(body)
        ok = {"plugin": "ops", "handler": "ping", "outcome": "ok"}
        assert value(parsed, "sohbet_events_total", **ok) == 2
        assert value(parsed, "sohbet_handler_seconds_count", **ok) == 2
        assert (
            value(parsed, "sohbet_events_total", plugin="ops", handler="boom", outcome="error") == 1
        )
        refused = {"plugin": "ops", "handler": "refuse", "outcome": "refused"}
        assert value(parsed, "sohbet_events_total", **refused) == 1
        assert value(parsed, "sohbet_events_total", plugin="ops", handler="hear", outcome="ok") == 1
        assert value(parsed, "sohbet_errors_total", component="plugin") == 1
        assert value(parsed, "sohbet_log_errors_total", logger="bot") >= 1  # the router logged it
        assert value(parsed, "sohbet_event_loop_lag_sample_seconds_count") >= 2
        assert value(parsed, "process_cpu_seconds_total") > 0
    finally:
        await obs.close()
    # Closed: the observer is gone and the port no longer answers.
    assert all(o is not obs._observer for o in app.router.observers)
    with pytest.raises(aiohttp.ClientConnectionError):
        await get(f"{obs.url}/healthz")


async def test_model_calls_are_recorded_on_the_default_metrics() -> None:
    metrics = default_metrics()
    before = samples(metrics.render().decode())
    record_model_call("openai", "gpt-test", 1.5, tokens_in=120, tokens_out=30, outcome="ok")
    record_model_call("openai", "gpt-test", 0.2, outcome="timeout")
    after = samples(metrics.render().decode())

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    model = {"provider": "openai", "model": "gpt-test"}
    assert delta("sohbet_model_tokens_total", **model, direction="in") == 120
    assert delta("sohbet_model_tokens_total", **model, direction="out") == 30
    assert delta("sohbet_model_seconds_count", **model, outcome="ok") == 1
    assert delta("sohbet_model_seconds_sum", **model, outcome="ok") == pytest.approx(1.5)
    assert delta("sohbet_model_seconds_count", **model, outcome="timeout") == 1
    assert delta("sohbet_errors_total", component="model") == 1


async def test_liveness_and_readiness_with_a_working_database(make_app: AppFactory) -> None:
    app = await make_app(OpsPlugin())
    obs = await start_observability(app, freeze_gc=False, port=0, metrics=Metrics(process=False))
    try:
        status, body = await get_json(f"{obs.url}/healthz")
        assert status == 200 and body["status"] == "ok"
        status, body = await get_json(f"{obs.url}/readyz")
        assert status == 200
        assert body["status"] == "ready"
        assert body["checks"]["database"]["ok"] is True
    finally:
        await obs.close()


async def test_readiness_is_503_when_the_database_is_down(config: Config) -> None:
    config.database_url = UNREACHABLE_POSTGRES
    app = await build_app(config, plugins=[OpsPlugin()], migrate=False)
    obs = await start_observability(app, freeze_gc=False, port=0, metrics=Metrics(process=False))
    try:
        status, body = await get_json(f"{obs.url}/readyz")
        assert status == 503
        assert body["status"] == "unavailable"
        assert body["checks"]["database"]["ok"] is False
        assert body["checks"]["database"]["error"]
        assert "hunter2secret" not in str(body)
        status, _ = await get_json(f"{obs.url}/healthz")  # alive, just not ready
        assert status == 200
    finally:
        await obs.close()
        await app.close()


async def test_readiness_probes_the_vector_store(make_app: AppFactory, tmp_path: Path) -> None:
    app = await make_app(OpsPlugin())
    obs = await start_observability(app, freeze_gc=False, port=0, metrics=Metrics(process=False))
    vectors = await open_vector_store(None, tmp_path / "vectors", 8)
    try:
        app.services.extras["vectors"] = vectors  # registered after start: still probed
        status, body = await get_json(f"{obs.url}/readyz")
        assert status == 200
        assert body["checks"]["vectors"]["ok"] is True
        await vectors.close()
        status, body = await get_json(f"{obs.url}/readyz")
        assert status == 503
        assert body["checks"]["vectors"]["ok"] is False
        assert body["checks"]["database"]["ok"] is True
    finally:
        app.services.extras.pop("vectors", None)
        await vectors.close()
        await obs.close()


async def test_readiness_fails_once_shutdown_begins(make_app: AppFactory) -> None:
    app = await make_app(OpsPlugin())
    inflight = InFlight()
    obs = await start_observability(
        app, freeze_gc=False, port=0, metrics=Metrics(process=False), inflight=inflight
    )
    try:
        status, _ = await get_json(f"{obs.url}/readyz")
        assert status == 200
        await inflight.drain(grace=0.1)
        status, body = await get_json(f"{obs.url}/readyz")
        assert status == 503
        assert body["checks"]["accepting_events"]["ok"] is False
    finally:
        await obs.close()


async def test_inflight_handlers_are_exported(make_app: AppFactory) -> None:
    app = await make_app(OpsPlugin())
    inflight = InFlight()
    metrics = Metrics(process=False)
    obs = await start_observability(app, freeze_gc=False, metrics=metrics, inflight=inflight)
    release = asyncio.Event()

    async def handler() -> None:
        async with inflight.track():
            await release.wait()

    tasks = [asyncio.create_task(handler()) for _ in range(3)]
    await asyncio.sleep(0)
    try:
        assert value(samples(metrics.render().decode()), "sohbet_inflight_handlers") == 3
        release.set()
        await asyncio.gather(*tasks)
        assert value(samples(metrics.render().decode()), "sohbet_inflight_handlers") == 0
    finally:
        await obs.close()


async def test_no_server_without_a_port_but_events_are_still_counted(
    make_app: AppFactory,
) -> None:
    app = await make_app(OpsPlugin())
    assert app.config.metrics_port is None
    metrics = Metrics(process=False)
    obs = await start_observability(app, freeze_gc=False, metrics=metrics)
    try:
        assert obs.server is None and obs.url is None
        await app.router.handle_command(call("ping"), RecordingResponder())
        parsed = samples(metrics.render().decode())
        assert value(parsed, "sohbet_events_total", plugin="ops", handler="ping", outcome="ok") == 1
    finally:
        await obs.close()


async def test_port_from_config_and_a_busy_port_is_a_clear_error(
    make_app: AppFactory, config: Config
) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        config.metrics_port = busy.getsockname()[1]
        app = await make_app(OpsPlugin(), config=config)
        with pytest.raises(MetricsPortUnavailable) as caught:
            await start_observability(app, freeze_gc=False, metrics=Metrics(process=False))
        assert f"127.0.0.1:{config.metrics_port}" in caught.value.user_message
        assert "SOHBET_METRICS_PORT" in caught.value.user_message
        assert app.router.observers == []  # nothing left half-started
