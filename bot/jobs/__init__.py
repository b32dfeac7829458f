"""Long work (document ingestion) as jobs: in this process, or on workers through a broker.

    jobs = make_job_queue(config, store, ai)      # SOHBET_BROKER_URL unset: InProcessJobs
    result = await jobs.ingest(request, data, progress)
    report = await jobs.ingest_many(requests, blobs, on_progress)   # several files, one job

With `SOHBET_BROKER_URL=redis://...` the upload is queued and a `sohbet worker` process runs
it (bot.jobs.redis_queue); the caller waits the same way and sees the same progress, whichever
process runs the job.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from bot.jobs.inprocess import InProcessJobs
from bot.jobs.models import DeadJob, IngestRequest, QueueStats, UploadPending
from bot.knowledge import BatchReport, IngestResult, OnProgress, Progress

if TYPE_CHECKING:
    from bot.config import Config
    from bot.core.router import Cooldowns, Router
    from bot.providers import AIProviders
    from bot.store.database import Store

__all__ = [
    "DeadJob",
    "InProcessJobs",
    "IngestRequest",
    "JobQueue",
    "QueueStats",
    "UploadPending",
    "make_job_queue",
    "share_limits",
    "shared_cooldowns",
]


class JobQueue(Protocol):
    backend: str

    async def ingest(
        self, request: IngestRequest, data: bytes, progress: Progress | None = None
    ) -> IngestResult: ...

    async def ingest_many(
        self,
        requests: list[IngestRequest],
        blobs: list[bytes],
        progress: OnProgress | None = None,
    ) -> BatchReport:
        """Several files of one member to one place, in one ingestion run (one job)."""
        ...

    async def stats(self) -> QueueStats: ...

    async def close(self) -> None: ...


def make_job_queue(config: Config, store: Store, ai: AIProviders) -> JobQueue:
    """Workers through the broker when one is configured, else this process."""
    if not config.broker_url:
        return InProcessJobs(store, ai)
    from bot.jobs.redis_queue import RedisJobs  # imports redis and saq only when used

    jobs = RedisJobs(
        config.broker_url,
        heartbeat_s=config.job_heartbeat_s,
        sweep_s=config.job_sweep_s,
        attempts=config.job_attempts,
        find_document=store.documents.get,
    )
    jobs.export_metrics()
    return jobs


def shared_cooldowns(jobs: JobQueue) -> Cooldowns | None:
    """Cooldowns kept in the broker, so every bot process sees the same ones; None without."""
    if jobs.backend != "redis":
        return None
    from bot.jobs.redis_queue import RedisJobs

    assert isinstance(jobs, RedisJobs)
    from bot.jobs.cooldowns import RedisCooldowns

    return RedisCooldowns(jobs.redis)


def share_limits(jobs: JobQueue, router: Router, ai: AIProviders) -> None:
    """With a broker: the Router's cooldowns and the local model's turns are kept in Redis,
    so several bot processes give a member one allowance and one fair place in line."""
    cooldowns = shared_cooldowns(jobs)
    if cooldowns is None:
        return
    from bot.jobs.fair_queue import RedisFairQueue
    from bot.jobs.redis_queue import RedisJobs

    assert isinstance(jobs, RedisJobs)
    redis = jobs.redis
    router.cooldowns = cooldowns
    ai.runner.make_queue = lambda name: RedisFairQueue(redis, name)
