"""What a long-running adapter starts next to the App, and how it stops.

`Operations` bundles the pieces every runner needs: metrics and probes (on
SOHBET_METRICS_HOST/PORT), the in-flight registry, the retention job (each server's
`privacy.retention_days`), and a graceful shutdown on SIGTERM/SIGINT:

    app = await build_app(config)
    ops = await Operations.start(app)
    client = SohbetClient(app, settings, inflight=ops.inflight)
    ops.on_stop(client.close)       # what ends the adapter's main loop once drained
    ops.install_signals()           # SIGTERM/SIGINT: refuse new events, drain, then stop
    try:
        await client.start(token)
    finally:
        await ops.close()
        await app.close()
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Protocol

from bot.core.inflight import DrainReport, InFlight, on_signals
from bot.maintenance.retention import PeriodicJob, retention_from_settings, start_retention

if TYPE_CHECKING:
    from bot.core.app import App
    from bot.observability import Metrics, Observability

__all__ = ["DEFAULT_GRACE", "RETENTION_INTERVAL", "Companion", "Operations"]

log = logging.getLogger(__name__)

DEFAULT_GRACE = 20.0  # seconds running replies get to finish (compose: stop_grace_period 30 s)
RETENTION_INTERVAL = 6 * 3600.0
RETENTION_FIRST_DELAY = 60.0  # let start-up (models, gateway) settle before the first pass

StopCallback = Callable[[], Awaitable[object]]


class Companion(Protocol):
    """Something a runner starts beside its platform client in the same process, once the App
    and its Operations are up (another platform's adapter, the dashboard), and closes first."""

    async def start(self, app: App, ops: Operations) -> None: ...

    async def close(self) -> None: ...


class Operations:
    """Observability, retention, in-flight tracking and shutdown for one running App."""

    def __init__(
        self,
        app: App,
        inflight: InFlight,
        observability: Observability,
        retention: PeriodicJob | None,
        grace: float,
    ) -> None:
        self.app = app
        self.inflight = inflight
        self.observability = observability
        self.retention = retention
        self.reconciler: PeriodicJob | None = None
        self.grace = grace
        self.drain_report: DrainReport | None = None
        self._stop_callbacks: list[StopCallback] = []
        self._undo_signals: Callable[[], None] | None = None
        self._shutdown: asyncio.Task[DrainReport] | None = None
        self._closed = False

    @classmethod
    async def start(
        cls,
        app: App,
        *,
        inflight: InFlight | None = None,
        grace: float = DEFAULT_GRACE,
        retention: bool = True,
        retention_interval: float = RETENTION_INTERVAL,
        retention_first_delay: float = RETENTION_FIRST_DELAY,
        metrics: Metrics | None = None,
        metrics_port: int | None = None,
        freeze_gc: bool = True,
        reconcile_documents: bool = True,
    ) -> Operations:
        """Start observability (port: `metrics_port`, else config.metrics_port; none when
        neither is set) and the retention job. Raises MetricsPortUnavailable, having started
        nothing, when the port can't be opened."""
        from bot.observability import start_observability

        inflight = inflight if inflight is not None else InFlight()
        observability = await start_observability(
            app, inflight=inflight, metrics=metrics, port=metrics_port, freeze_gc=freeze_gc
        )
        job = None
        days = retention_from_settings(app.registry, app.services.settings) if retention else None
        if days is not None:
            job = start_retention(
                app.store, days, interval=retention_interval, first_delay=retention_first_delay
            )
        ops = cls(app, inflight, observability, job, grace)
        if reconcile_documents:
            from bot.knowledge.reconcile import start_reconciler

            ops.reconciler = start_reconciler(app)
        return ops

    # ----- shutdown ------------------------------------------------------------------------

    def on_stop(self, callback: StopCallback) -> None:
        """Await `callback()` once running handlers are drained (e.g. the Discord client's
        close(), which ends its start())."""
        self._stop_callbacks.append(callback)

    def install_signals(
        self, signals: tuple[signal.Signals, ...] = (signal.SIGTERM, signal.SIGINT)
    ) -> None:
        """SIGTERM/SIGINT start a graceful shutdown (where the loop supports signal handlers)."""
        if self._undo_signals is None:
            self._undo_signals = on_signals(self._signalled, signals)

    def _signalled(self) -> None:
        if self._shutdown is not None:
            log.warning("already shutting down: waiting for running replies (%.0f s)", self.grace)
            return
        log.info("stop requested: finishing running replies (up to %.0f s)", self.grace)
        self.request_shutdown()

    @property
    def shutting_down(self) -> bool:
        return self._shutdown is not None

    def request_shutdown(self) -> asyncio.Task[DrainReport]:
        """Start the shutdown in the background (idempotent); returns its task."""
        if self._shutdown is None:
            self._shutdown = asyncio.get_running_loop().create_task(
                self._drain_and_stop(), name="sohbet-shutdown"
            )
        return self._shutdown

    async def _drain_and_stop(self) -> DrainReport:
        report = await self.inflight.drain(self.grace)
        self.drain_report = report
        log.info(
            "drained in %.1f s: %d finished, %d cut off (%d told)",
            report.seconds,
            report.finished,
            len(report.cut_off),
            report.notified,
        )
        for callback in self._stop_callbacks:
            try:
                await callback()
            except Exception:
                log.exception("stopping %r failed", callback)
        return report

    async def close(self) -> None:
        """Drain what still runs (without waiting for it: the adapter is gone), then stop the
        retention job, the probe server and the metrics hooks. Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._undo_signals is not None:
            self._undo_signals()
            self._undo_signals = None
        if self._shutdown is None and len(self.inflight):
            self.inflight.stop_accepting()
            self.drain_report = await self.inflight.drain(0)
        elif self._shutdown is not None and not self._shutdown.done():
            with contextlib.suppress(Exception):
                await self._shutdown
        self.inflight.stop_accepting()
        if self.retention is not None:
            await self.retention.stop()
        if self.reconciler is not None:
            await self.reconciler.stop()
        await self.observability.close()
