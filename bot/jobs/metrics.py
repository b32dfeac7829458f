"""The job queue in the Prometheus metrics: depth, oldest job's age, workers, dead jobs.

The numbers live in Redis, and a scrape must not wait on the network: a background task
refreshes them every few seconds and the collector reports the latest reading.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector, CollectorRegistry

from bot.jobs.models import QueueStats

__all__ = ["JobCollector", "export_job_metrics"]

log = logging.getLogger(__name__)

REFRESH_EVERY = 5.0

_GAUGES = (
    ("sohbet_jobs_queued", "Jobs waiting for a worker", "queued"),
    ("sohbet_jobs_running", "Jobs a worker is running", "running"),
    (
        "sohbet_jobs_oldest_queued_seconds",
        "Wait so far of the oldest waiting job",
        "oldest_queued_s",
    ),
    (
        "sohbet_jobs_oldest_running_seconds",
        "Run time so far of the oldest running job",
        "oldest_running_s",
    ),
    ("sohbet_workers", "Live `sohbet worker` processes", "workers"),
    ("sohbet_jobs_dead", "Jobs in the dead-letter list (sohbet jobs dead)", "dead"),
)


class JobCollector(Collector):
    def __init__(self) -> None:
        self.latest: QueueStats | None = None

    def collect(self) -> Iterator[GaugeMetricFamily]:
        if self.latest is None:
            return
        for name, help_text, field in _GAUGES:
            yield GaugeMetricFamily(name, help_text, value=float(getattr(self.latest, field)))


_collectors: dict[int, JobCollector] = {}


def export_job_metrics(
    registry: CollectorRegistry, stats: Callable[[], Awaitable[QueueStats]]
) -> asyncio.Task[None]:
    """Register the collector on `registry` (once) and refresh it from `stats` until the
    returned task is cancelled."""
    collector = _collectors.get(id(registry))
    if collector is None:
        collector = _collectors[id(registry)] = JobCollector()
        registry.register(collector)

    async def refresh() -> None:
        while True:
            try:
                collector.latest = await stats()
            except Exception as exc:  # the broker is down: /readyz says so; keep trying
                log.debug("job metrics not refreshed: %s", exc)
            await asyncio.sleep(REFRESH_EVERY)

    return asyncio.get_running_loop().create_task(refresh(), name="job-metrics")


async def stop(task: asyncio.Task[None] | None) -> None:
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
