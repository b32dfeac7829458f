"""Operations with a broker: /ai status and the metrics show queue depth, the oldest job's
age and the live workers."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from bot.app import build_app
from bot.config import Config
from bot.jobs.metrics import export_job_metrics, stop
from bot.jobs.models import IngestRequest
from bot.jobs.redis_queue import RedisJobs
from plugins.ai import AIPlugin
from tests.conftest import isolate_environment, migrated_sqlite
from tests.docs.conftest import SERVER_A, Member
from tests.jobs.conftest import Workers


async def test_status_and_metrics_show_the_queue(
    workers: Workers, monkeypatch: pytest.MonkeyPatch, sqlite_template: Path
) -> None:
    isolate_environment(monkeypatch, workers.data_dir)
    migrated_sqlite(sqlite_template, workers.data_dir / "sohbet.db")
    config = Config(data_dir=workers.data_dir, broker_url=workers.broker, model_provider="fake")
    app = await build_app(config, plugins=[AIPlugin()])
    jobs = app.services.extras["jobs"]
    assert isinstance(jobs, RedisJobs)
    try:
        # Two uploads waiting and no worker yet: the depth and the oldest one's age grow.
        for name in ("a.txt", "b.txt"):
            await jobs.submit(IngestRequest(name, server_id=SERVER_A, uploader_id=1), b"hello")
        await asyncio.sleep(1.1)
        stats = await jobs.stats()
        assert (stats.queued, stats.workers) == (2, 0) and stats.oldest_queued_s >= 1.0
        registry = CollectorRegistry()
        task = export_job_metrics(registry, jobs.stats)
        await asyncio.sleep(0.3)
        text = generate_latest(registry).decode()
        await stop(task)
        assert "sohbet_jobs_queued 2.0" in text and "sohbet_workers 0.0" in text
        assert "sohbet_jobs_oldest_queued_seconds 1." in text

        workers.start()
        for _ in range(150):  # the worker registers, then runs both jobs
            stats = await jobs.stats()
            if stats.workers == 1 and stats.queued == stats.running == 0:
                break
            await asyncio.sleep(0.2)
        alice = Member(app, 100, "alice", SERVER_A, 11, admin=False)
        out = await alice.say("/ai status")
        assert "Jobs: 0 waiting (oldest 0 s), 0 running, 1 worker(s), 0 dead" in out
    finally:
        await app.close()
