"""Wiring for runners: metrics on the Router, the loop-lag monitor, and the probe server.

A runner starts it once the app is built and closes it before the app:

    app = await build_app(config)
    obs = await start_observability(app, inflight=inflight)  # port: SOHBET_METRICS_PORT
    try:
        ...
    finally:
        await obs.close()
        await app.close()
"""

from __future__ import annotations

import inspect
import logging
from typing import TYPE_CHECKING, Any

from bot.observability.gc_pauses import GCPauseRecorder, freeze_startup_objects
from bot.observability.health import Check, HealthServer
from bot.observability.loop_lag import LoopLagMonitor
from bot.observability.metrics import (
    CONTENT_TYPE_LATEST,
    ErrorLogCounter,
    Metrics,
    RouterMetrics,
    default_metrics,
)

if TYPE_CHECKING:
    from bot.core.app import App
    from bot.core.inflight import InFlight

__all__ = ["Observability", "readiness_checks", "start_observability"]

log = logging.getLogger(__name__)

# Services in App.services.extras that are not dependencies to probe.
_NOT_PROBED = {"registry", "router"}


def readiness_checks(app: App, inflight: InFlight | None = None) -> dict[str, Check]:
    """The database, every extra service with an async `ping()` (e.g. "vectors"), the Qdrant
    server when one is configured, and, with an InFlight registry, whether the bot still
    accepts events (not ready once shutdown began)."""
    checks: dict[str, Check] = {"database": app.store.ping}
    for name, service in app.services.extras.items():
        ping = getattr(service, "ping", None)
        if name not in _NOT_PROBED and ping is not None and inspect.iscoroutinefunction(ping):
            checks[name] = ping
    ai = app.services.extras.get("ai")
    if "vectors" not in checks and app.config.qdrant_url and hasattr(ai, "vectors"):
        checks["vectors"] = _vector_server(ai)  # an operator-run Qdrant server is a dependency
    if inflight is not None:
        checks["accepting_events"] = _accepting(inflight)
    return checks


def _vector_server(ai: Any) -> Check:
    async def check() -> None:
        store = await ai.vectors()  # opened on first use (the embedder loads once)
        await store.ping()

    return check


def _accepting(inflight: InFlight) -> Check:
    async def check() -> None:
        if not inflight.accepting:
            raise RuntimeError("shutting down")

    return check


class Observability:
    """What `start_observability` started; `close()` undoes all of it."""

    def __init__(
        self,
        app: App,
        metrics: Metrics,
        lag_monitor: LoopLagMonitor,
        server: HealthServer | None,
        error_counter: ErrorLogCounter,
        observer: RouterMetrics,
        gc_recorder: GCPauseRecorder,
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.lag_monitor = lag_monitor
        self.server = server
        self._error_counter = error_counter
        self._observer = observer
        self._gc_recorder = gc_recorder
        self._inflight: InFlight | None = None
        self.extra_checks: dict[str, Check] = {}

    @property
    def url(self) -> str | None:
        """Base URL of the probe server (None when no port is configured)."""
        return self.server.url if self.server else None

    def watch_inflight(self, inflight: InFlight) -> None:
        """Export the number of running handlers and fail readiness once shutdown begins."""
        self._inflight = inflight
        inflight.on_change = lambda n: self.metrics.inflight.set(n)
        self.metrics.inflight.set(len(inflight))

    def checks(self) -> dict[str, Check]:
        """The readiness checks as of now (services registered after start are included)."""
        return {**readiness_checks(self.app, self._inflight), **self.extra_checks}

    async def close(self) -> None:
        if self._observer in self.app.router.observers:
            self.app.router.observers.remove(self._observer)
        logging.getLogger().removeHandler(self._error_counter)
        self._gc_recorder.remove()
        if self._inflight is not None:
            self._inflight.on_change = None
        await self.lag_monitor.stop()
        if self.server is not None:
            await self.server.close()


async def start_observability(
    app: App,
    *,
    host: str | None = None,
    port: int | None = None,
    metrics: Metrics | None = None,
    lag_interval: float = 0.5,
    inflight: InFlight | None = None,
    extra_checks: dict[str, Check] | None = None,
    freeze_gc: bool = True,
) -> Observability:
    """Observe the Router, watch the event loop, and serve /healthz, /readyz and /metrics.

    `port` defaults to config.metrics_port (no server when neither is set; 0 picks a free
    port) and `host` to config.metrics_host (127.0.0.1). With `freeze_gc`, every object that
    exists now (imported libraries, loaded plugins) is excluded from garbage collection, which
    otherwise stops the event loop for hundreds of milliseconds (see gc_pauses.py).
    """
    metrics = metrics or default_metrics()
    observer = RouterMetrics(metrics)
    app.router.observers.append(observer)
    error_counter = ErrorLogCounter(metrics)
    logging.getLogger().addHandler(error_counter)
    gc_recorder = GCPauseRecorder(metrics.observe_gc_pause)
    gc_recorder.install()
    if freeze_gc:
        frozen = freeze_startup_objects()
        log.debug("froze %d startup objects out of garbage collection", frozen)
    monitor = LoopLagMonitor(lag_interval, on_sample=metrics.observe_loop_lag)
    monitor.start()
    observability = Observability(app, metrics, monitor, None, error_counter, observer, gc_recorder)
    observability.extra_checks.update(extra_checks or {})
    if inflight is not None:
        observability.watch_inflight(inflight)
    port = port if port is not None else app.config.metrics_port
    if port is not None:
        server = HealthServer(
            render_metrics=metrics.render,
            metrics_content_type=CONTENT_TYPE_LATEST,
            checks=observability.checks,
            host=host or _config_value(app, "metrics_host", "127.0.0.1"),
            port=port,
        )
        try:
            await server.start()
        except BaseException:
            await observability.close()
            raise
        observability.server = server
        log.info("health and metrics on %s (/healthz /readyz /metrics)", server.url)
    return observability


def _config_value(app: App, name: str, default: Any) -> Any:
    value = getattr(app.config, name, None)
    return default if value is None else value
