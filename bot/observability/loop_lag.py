"""Event-loop lag: how late a sleeping task wakes up tells how long something blocked the loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["LagStats", "LoopLagMonitor"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LagStats:
    samples: int
    max: float
    p50: float
    p99: float
    mean: float

    def as_dict(self) -> dict[str, float | int]:
        return {
            "samples": self.samples,
            "max_ms": round(self.max * 1000, 2),
            "p99_ms": round(self.p99 * 1000, 2),
            "p50_ms": round(self.p50 * 1000, 2),
            "mean_ms": round(self.mean * 1000, 2),
        }


def _percentile(ordered: list[float], q: float) -> float:
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))
    return ordered[index]


class LoopLagMonitor:
    """Sleeps `interval` seconds in a loop and records how much later than asked it woke up.

    Each sample goes to `on_sample` (the Prometheus gauge + histogram) and to a bounded window
    kept for `stats()`. A blocking call of N seconds shows up as one sample of about N.
    """

    def __init__(
        self,
        interval: float = 0.5,
        *,
        on_sample: Callable[[float], None] | None = None,
        window: int = 10_000,
        warn_above: float | None = 0.5,
    ) -> None:
        if interval <= 0:
            raise ValueError("interval must be positive")
        self.interval = interval
        self.on_sample = on_sample
        self.warn_above = warn_above
        self.samples: deque[float] = deque(maxlen=window)
        self.max_lag = 0.0
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        if self.running:
            return
        self._task = asyncio.get_running_loop().create_task(self._run(), name="loop-lag-monitor")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    def reset(self) -> None:
        self.samples.clear()
        self.max_lag = 0.0

    def record(self, lag: float) -> None:
        lag = max(lag, 0.0)
        self.samples.append(lag)
        self.max_lag = max(self.max_lag, lag)
        if self.on_sample is not None:
            self.on_sample(lag)
        if self.warn_above is not None and lag > self.warn_above:
            log.warning("event loop was blocked for %.0f ms", lag * 1000)

    def stats(self) -> LagStats:
        ordered = sorted(self.samples)
        mean = sum(ordered) / len(ordered) if ordered else 0.0
        return LagStats(
            samples=len(ordered),
            max=self.max_lag,
            p50=_percentile(ordered, 0.50),
            p99=_percentile(ordered, 0.99),
            mean=mean,
        )

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            await asyncio.sleep(self.interval)
            self.record(loop.time() - started - self.interval)
