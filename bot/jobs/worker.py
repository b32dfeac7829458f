"""`sohbet worker`: run queued jobs (document ingestion) in a process of their own.

A worker builds the same App as the bot (database, embedder, vector store) and runs
`concurrency` jobs at a time. Each job holds a Redis lock named after it while it runs (so a
job swept back to the queue by mistake never runs twice at once), touches its heartbeat and
stores its progress every half second, and stores its outcome before it returns, so a second
delivery of a finished job only returns that outcome.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

from redis.exceptions import LockError
from saq import Job, Worker
from saq.types import Context

from bot.core.errors import SohbetError
from bot.i18n import _, use_locale
from bot.jobs.inprocess import run_ingest, run_ingest_many
from bot.jobs.models import IngestRequest, report_json
from bot.jobs.redis_queue import (
    INGEST,
    INGEST_BATCH,
    RESULT_TTL,
    BrokerUnavailable,
    RedisJobs,
    batch_blob_key,
    blob_key,
    lock_key,
    result_json,
    result_key,
)
from bot.knowledge import BatchProgress

if TYPE_CHECKING:
    from bot.config import Config
    from bot.core.app import App

__all__ = ["ingest_batch_job", "ingest_job", "run_worker"]

log = logging.getLogger(__name__)

PROGRESS_EVERY = 0.5  # seconds between stored progress updates


class JobContext(Context, total=False):
    app: App
    jobs: RedisJobs


class _Tracker:
    """Latest progress of the running attempt (written from any thread), stored on the job
    with each heartbeat; the heartbeat also renews the job's lock."""

    def __init__(self, job: Job, jobs: RedisJobs, lock: Any, attempt: asyncio.Task[Any]) -> None:
        self.job = job
        self.jobs = jobs
        self.lock = lock
        self.attempt = attempt  # cancelled if this attempt loses its lock
        self.latest: Any = None  # [stage, done, total] of one file, or a batch's progress
        self._stored: Any = None
        self._loop = asyncio.get_running_loop()

    def report(self, stage: str, done: int, total: int) -> None:  # any thread
        self._loop.call_soon_threadsafe(setattr, self, "latest", [stage, done, total])

    def report_batch(self, progress: BatchProgress) -> None:  # the event loop
        self.latest = progress.to_json()

    async def beat(self) -> None:
        touched = time.monotonic()
        renewed = time.monotonic()
        every = max(0.2, self.jobs.heartbeat_s / 3)
        while True:
            await asyncio.sleep(PROGRESS_EVERY)
            now = time.monotonic()
            if self.latest != self._stored or now - touched >= every:
                self._stored = self.latest
                meta = {**self.job.meta, "progress": self.latest}
                try:
                    await self.job.update(meta=meta)  # also the heartbeat (touched)
                    touched = now
                except Exception as exc:  # Redis away for a moment: try again next beat
                    log.warning("job %s: heartbeat not stored: %s", self.job.key, exc)
            if now - renewed >= every:
                try:
                    await self.lock.reacquire()
                    renewed = now
                except LockError:
                    # Silent longer than the heartbeat (the loop stalled, Redis was away): the
                    # job may already run again elsewhere, so this attempt stops here.
                    log.error("job %s lost its lock; this attempt stops", self.job.key)
                    self.attempt.cancel()
                    return
                except Exception as exc:
                    log.warning("job %s: lock not renewed: %s", self.job.key, exc)


@contextlib.asynccontextmanager
async def _exclusive(job: Job, jobs: RedisJobs) -> AsyncIterator[_Tracker]:
    lock = jobs.redis.lock(lock_key(job.key), timeout=jobs.heartbeat_s, sleep=0.2)
    await lock.acquire()  # another delivery of this job still alive: wait for it
    attempt = asyncio.current_task()
    assert attempt is not None
    tracker = _Tracker(job, jobs, lock, attempt)
    beat = asyncio.create_task(tracker.beat())
    try:
        yield tracker
    finally:
        beat.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await beat
        with contextlib.suppress(LockError):
            await lock.release()


async def _once(
    ctx: JobContext, blobs: list[str], work: Callable[[_Tracker], Awaitable[dict[str, Any]]]
) -> dict[str, Any]:
    """Run `work` once per job, however often the broker delivers it: the outcome is kept
    for later deliveries, and the uploaded `blobs` are dropped once it is known."""
    job: Job = ctx["job"]
    jobs: RedisJobs = ctx["jobs"]
    async with _exclusive(job, jobs) as tracker:
        earlier = await jobs.redis.get(result_key(job.key))
        if earlier is not None:  # a delivery before this one finished the job
            outcome: dict[str, Any] = json.loads(earlier)
            return outcome
        outcome = await work(tracker)
        await jobs.redis.set(result_key(job.key), json.dumps(outcome), ex=RESULT_TTL)
        if blobs:
            await jobs.redis.delete(*blobs)
        return outcome


async def ingest_job(ctx: JobContext, *, request: dict[str, Any]) -> dict[str, Any]:
    """One upload into the documents; the outcome is a result or {"refused": sentence}."""
    key: str = ctx["job"].key
    app: App = ctx["app"]
    jobs: RedisJobs = ctx["jobs"]
    upload = IngestRequest.from_json(request)

    async def work(tracker: _Tracker) -> dict[str, Any]:
        data = await jobs.redis.get(blob_key(key))
        if isinstance(data, bytes):
            return await _ingest(app, upload, data, key, tracker)
        with use_locale(upload.locale):
            expired = _("The upload of **{name}** expired; send it again.", name=upload.filename)
        return {"refused": expired}

    return await _once(ctx, [blob_key(key)], work)


async def ingest_batch_job(ctx: JobContext, *, requests: list[dict[str, Any]]) -> dict[str, Any]:
    """Several files in one ingestion run; the outcome holds every file's (a result, skipped
    or refused, with its sentence)."""
    key: str = ctx["job"].key
    app: App = ctx["app"]
    jobs: RedisJobs = ctx["jobs"]
    uploads = [IngestRequest.from_json(r) for r in requests]
    keys = [batch_blob_key(key, i) for i in range(len(uploads))]
    locale = uploads[0].locale if uploads else "en"

    async def work(tracker: _Tracker) -> dict[str, Any]:
        blobs = await jobs.redis.mget(keys) if keys else []
        if not uploads or any(not isinstance(b, bytes) for b in blobs):
            with use_locale(locale):
                return {"refused": _("The upload expired before it was added; send it again.")}
        from bot.providers import AIProviders

        ai = app.services.get("ai", AIProviders)
        with use_locale(locale):  # the sentences are read by the uploader
            report = await run_ingest_many(
                app.store, ai, uploads, blobs, tracker.report_batch, attempt_of=key
            )
            return report_json(report)

    return await _once(ctx, keys, work)


async def _ingest(
    app: App, upload: IngestRequest, data: bytes, key: str, tracker: _Tracker
) -> dict[str, Any]:
    from bot.providers import AIProviders

    ai = app.services.get("ai", AIProviders)
    try:
        with use_locale(upload.locale):  # the refusal is read by the uploader
            result = await run_ingest(app.store, ai, upload, data, tracker.report, attempt_of=key)
    except SohbetError as exc:  # a refusal (too big, a duplicate, unreadable): not retried
        with use_locale(upload.locale):
            return {"refused": exc.user_message}
    return result_json(result)


async def _warm_up(app: App) -> None:
    """Before the first job: load the embedder, open the vector store and start a parsing
    worker. Opening the embedded store (replaying what a killed worker left in its log) keeps
    the GIL for a while; done inside a job, it stalled the heartbeat past its lock."""
    from bot.documents.budget import prestart_workers
    from bot.providers import AIProviders

    try:
        await asyncio.to_thread(prestart_workers)
        await app.services.get("ai", AIProviders).vectors()
    except Exception as exc:  # the first job says what is wrong, to whoever sent it
        log.warning("worker warm-up: %s", exc)


def jobs_from_config(config: Config) -> RedisJobs:
    if not config.broker_url:
        raise SohbetError(
            "No broker configured: set SOHBET_BROKER_URL (e.g. redis://localhost:6379/0)."
        )
    return RedisJobs(
        config.broker_url,
        heartbeat_s=config.job_heartbeat_s,
        sweep_s=config.job_sweep_s,
        attempts=config.job_attempts,
    )


async def check_broker(jobs: RedisJobs, config: Config) -> None:
    """Raise one sentence for the operator when Redis does not answer."""
    from bot.config import mask_url

    try:
        await jobs.ping()
    except BrokerUnavailable as exc:
        await jobs.close()
        raise SohbetError(
            f"The broker at {mask_url(config.broker_url or '')} does not answer "
            f"({exc.reason.rstrip('.')}). Check SOHBET_BROKER_URL and that Redis runs."
        ) from None


async def run_worker(app: App, jobs: RedisJobs, concurrency: int = 1) -> int:
    """Run jobs until SIGTERM/SIGINT (a running job is given back to the queue on a hard
    stop: its heartbeat ends and it is swept). Closes `jobs` and `app` on the way out."""
    config = app.config

    async def startup(ctx: JobContext) -> None:
        ctx["app"] = app
        ctx["jobs"] = jobs
        await _warm_up(app)

    worker: Worker[JobContext] = Worker(
        jobs.queue,
        functions=[(INGEST, ingest_job), (INGEST_BATCH, ingest_batch_job)],
        concurrency=concurrency,
        startup=startup,
        timers={"sweep": config.job_sweep_s, "worker_info": 5, "schedule": 1, "abort": 1},
        dequeue_timeout=1.0,
    )
    log.info("worker %s: %d job(s) at a time from %s", worker.id, concurrency, jobs.queue.name)
    from bot.observability import start_observability

    # /healthz, /readyz (database, broker) and /metrics when SOHBET_METRICS_PORT is set.
    observability = await start_observability(app)
    try:
        await worker.start()
    finally:
        await observability.close()
        await jobs.close()
        await app.close()
    return 0
