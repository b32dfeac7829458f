"""The loop-lag monitor notices when something blocks the event loop."""

from __future__ import annotations

import asyncio
import gc
import logging
import time

import pytest

from bot.observability import GCPauseRecorder, LoopLagMonitor, Metrics, freeze_startup_objects


async def test_a_blocking_call_shows_up_as_lag(caplog: pytest.LogCaptureFixture) -> None:
    metrics = Metrics(process=False)
    monitor = LoopLagMonitor(0.02, on_sample=metrics.observe_loop_lag, warn_above=0.2)
    monitor.start()
    try:
        await asyncio.sleep(0.1)
        calm = monitor.stats()
        assert calm.samples >= 2
        with caplog.at_level(logging.WARNING, logger="bot.observability.loop_lag"):
            time.sleep(0.3)  # noqa: ASYNC251 -- deliberately block the loop
            await asyncio.sleep(0.1)
        stats = monitor.stats()
    finally:
        await monitor.stop()
    assert calm.max < 0.2
    assert 0.25 <= stats.max < 1.0
    assert stats.p99 >= 0.25  # the block is among the worst 1 %
    assert stats.p50 < 0.1  # ... but not typical
    assert next(iter(metrics.loop_lag_samples.collect())).samples  # exported to Prometheus
    assert any("blocked for" in r.getMessage() for r in caplog.records)
    assert not monitor.running


async def test_stop_is_clean_and_restartable() -> None:
    monitor = LoopLagMonitor(0.01)
    monitor.start()
    monitor.start()  # a second start is a no-op
    await asyncio.sleep(0.05)
    await monitor.stop()
    count = monitor.stats().samples
    await asyncio.sleep(0.05)
    assert monitor.stats().samples == count
    monitor.reset()
    assert monitor.stats().samples == 0 and monitor.stats().max == 0
    monitor.start()
    await asyncio.sleep(0.05)
    await monitor.stop()
    assert monitor.stats().samples > 0


def test_interval_must_be_positive() -> None:
    with pytest.raises(ValueError):
        LoopLagMonitor(0)


class _Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector frees it


def test_gc_pauses_are_recorded_by_generation() -> None:
    metrics = Metrics(process=False)
    recorder = GCPauseRecorder(metrics.observe_gc_pause)
    recorder.install()
    try:
        gc.collect(2)
        gc.collect(0)
    finally:
        recorder.remove()
    counts = {
        s.labels["generation"]: s.value
        for s in next(iter(metrics.gc_pauses.collect())).samples
        if s.name.endswith("_count")
    }
    assert counts["2"] >= 1 and counts["0"] >= 1
    gc.collect(2)  # after remove(): nothing more is recorded
    after = [
        s.value
        for s in next(iter(metrics.gc_pauses.collect())).samples
        if s.name.endswith("_count")
    ]
    assert sum(after) == sum(counts.values())


def test_freezing_startup_objects_shrinks_full_collections() -> None:
    startup = [_Node() for _ in range(50_000)]  # long-lived objects, like imported libraries
    try:
        gc.collect()
        assert len(gc.get_objects(generation=2)) >= len(startup)
        assert freeze_startup_objects() >= len(startup)
        # A full collection now walks only what was allocated after the freeze.
        assert len(gc.get_objects(generation=2)) < len(startup) / 10
    finally:
        gc.unfreeze()
    assert len(gc.get_objects(generation=2)) >= len(startup)
