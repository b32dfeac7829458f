"""Jobs on Redis through saq: the bot enqueues, `sohbet worker` processes run them.

Delivery: a worker moves a job to saq's active list and takes it off only once the function
returned, i.e. once its result is committed (the document row ready, its chunks published). A
running job touches its heartbeat every few seconds; a job whose heartbeat stops (the worker was
killed, its machine died) is swept back to the queue by any live worker and runs again, which
is harmless: document ids come from the file's hash, chunk ids from the document id, and the
upload lease names the job, so the new attempt replaces what the dead one left. A job that
fails (or kills its worker) `attempts` times lands in the dead-letter hash, for
`sohbet jobs dead` / `sohbet jobs retry ID`.

Progress is stored on the job (its `meta`), so whichever process waits for the job, the one
holding the member's shard, reads it back and edits the member's status message.

Why saq: it has what acknowledged-after-commit delivery of long jobs needs, per job: a
heartbeat, a sweep that puts a silent job back in the queue, retries with a count, stored
status, progress and metadata, and a registry of live workers. taskiq-redis's stream broker
(1.2) reclaims an unacknowledged message only after a fixed idle time (10 minutes by default)
and only when new messages arrive, and a running task cannot renew its message, so a long
ingestion would either be delivered twice or wait long after its worker died. saq's own sweep
is replaced here (`SohbetQueue.sweep`): it also took a job that was just dequeued but not yet
marked active, aborted through the dead worker, and ran once a minute at most.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import asdict
from typing import Any

from redis import asyncio as aioredis
from redis.exceptions import RedisError
from saq import Job, Status
from saq.queue.redis import RedisQueue

from bot.core.errors import SohbetError
from bot.i18n import _
from bot.jobs.models import (
    DeadJob,
    IngestRequest,
    QueueStats,
    UploadPending,
    report_from_json,
)
from bot.jobs.reply import reply
from bot.knowledge import (
    BatchProgress,
    BatchReport,
    IngestResult,
    OnProgress,
    Progress,
    document_id_for,
)

__all__ = [
    "INGEST",
    "INGEST_BATCH",
    "BrokerUnavailable",
    "JobFailed",
    "RedisJobs",
    "SohbetQueue",
]

log = logging.getLogger(__name__)

INGEST = "ingest"
INGEST_BATCH = "ingest_batch"  # several files of one member to one place, in one run
QUEUE_NAME = "sohbet"
DEAD_KEY = "sohbet:jobs:dead"
BLOB_TTL = 7 * 24 * 3600  # an upload's bytes wait this long for a worker (and a retry)
RESULT_TTL = 24 * 3600


# (server id, document id) -> the document's row (bot.store.models.Document) or None.
FindDocument = Callable[[int, str], Awaitable[Any]]


def blob_key(job_key: str) -> str:
    return f"sohbet:jobs:blob:{job_key}"


def batch_blob_key(job_key: str, index: int) -> str:
    return f"sohbet:jobs:blob:{job_key}:{index}"


def result_key(job_key: str) -> str:
    return f"sohbet:jobs:result:{job_key}"


def lock_key(job_key: str) -> str:
    return f"sohbet:jobs:lock:{job_key}"


class BrokerUnavailable(SohbetError):
    """Redis does not answer: one sentence for members, the reason for the operator's log."""

    def __init__(self, reason: str) -> None:
        super().__init__(
            _(
                "The job queue is unreachable right now, so I can't take this; try again in a "
                "minute."
            )
        )
        self.reason = reason


@contextlib.contextmanager
def _broker() -> Iterator[None]:
    try:
        yield
    except RedisError as exc:
        log.warning("job queue: Redis does not answer: %s", exc)
        raise BrokerUnavailable(str(exc)) from exc


class JobFailed(SohbetError):
    def __init__(self, filename: str, key: str) -> None:
        super().__init__(
            _(
                "**{name}** could not be added: it failed on every try. An operator can retry it "
                "with `sohbet jobs retry {key}`.",
                name=filename,
                key=key,
            )
        )
        self.key = key


class SohbetQueue(RedisQueue):
    """saq's Redis queue, with a sweep as often as configured and a dead-letter hash."""

    def __init__(self, redis: Any, *, sweep_lock: int = 5, **kwargs: Any) -> None:
        super().__init__(redis, name=QUEUE_NAME, swept_error_message="worker lost", **kwargs)
        self.sweep_lock = sweep_lock

    async def sweep(self, lock: int = 60, abort: float = 5.0) -> list[str]:
        """Give back to the queue the active jobs whose heartbeat stopped (their worker died).

        Replaces saq's sweep, which also takes a job that a worker has just dequeued but not
        yet marked active (so it ran twice at once), aborts through the dead worker, and runs
        once a minute at most. One worker sweeps per `sweep_lock` seconds.
        """
        if not await self.redis.set(self._sweep, 1, ex=self.sweep_lock, nx=True):
            return []
        swept = []
        for job_id in await reply(self.redis.lrange(self._active, 0, -1)):
            job = await self._get_job_by_id(job_id)
            if job is None:
                await reply(self.redis.lrem(self._active, 0, _text(job_id)))
                continue
            if job.status != Status.ACTIVE:  # just dequeued? its worker marks it in a moment
                await asyncio.sleep(1.0)
                job = await self._get_job_by_id(job_id)
                if job is None or job.status == Status.ACTIVE:
                    continue
            elif not job.stuck:
                continue
            log.warning("job %s lost its worker (attempt %d); queued again", job.key, job.attempts)
            swept.append(job.key)
            if job.retryable:
                await self.retry(job, error=self.swept_error_message)
            else:
                await self.finish(job, Status.ABORTED, error=self.swept_error_message)
        return swept

    async def finish(
        self,
        job: Job,
        status: Status,
        *,
        result: Any = None,
        error: str | None = None,
        **kwargs: Any,
    ) -> None:
        await super().finish(job, status, result=result, error=error, **kwargs)
        if status in (Status.FAILED, Status.ABORTED):
            record = {
                "key": job.key,
                "function": job.function,
                "kwargs": job.kwargs or {},
                "attempts": job.attempts,
                "error": (error or "")[-2000:],
                "failed_at": time.time(),
            }
            await reply(self.redis.hset(DEAD_KEY, job.key, json.dumps(record)))
            log.error(
                "job %s (%s) is dead after %d attempt(s)", job.key, job.function, job.attempts
            )


class RedisJobs:
    """Enqueue jobs for workers and wait for them; the numbers and the dead letters."""

    backend = "redis"

    def __init__(
        self,
        url: str,
        *,
        heartbeat_s: int = 30,
        sweep_s: int = 5,
        attempts: int = 3,
        poll_s: float = 0.25,
        find_document: FindDocument | None = None,
        lost_after_s: float = 60.0,
    ) -> None:
        self.redis: aioredis.Redis = aioredis.from_url(url)
        # The database's word on an upload when Redis can't give it: the worker writes the
        # document there whether or not the queue answers (the bot side passes it).
        self.find_document = find_document
        self.lost_after_s = lost_after_s  # Redis silent this long: stop waiting, say why
        self.queue = SohbetQueue(self.redis, sweep_lock=sweep_s)
        self.heartbeat_s = heartbeat_s
        self.sweep_s = sweep_s
        self.attempts = attempts
        self.poll_s = poll_s
        self._metrics: asyncio.Task[None] | None = None

    def export_metrics(self) -> None:
        """Queue depth, job age, workers and dead jobs in this process's /metrics."""
        from bot.jobs.metrics import export_job_metrics
        from bot.observability import default_metrics

        if self._metrics is None:
            self._metrics = export_job_metrics(default_metrics().registry, self.stats)

    async def ping(self) -> None:
        with _broker():
            await reply(self.redis.ping())

    # ----- the bot side ------------------------------------------------------------------

    async def submit(self, request: IngestRequest, data: bytes, key: str | None = None) -> str:
        key = key or uuid.uuid4().hex
        await self.redis.set(blob_key(key), data, ex=BLOB_TTL)
        job = self._job(INGEST, {"request": request.to_json()}, key)
        if await self.queue.enqueue(job) is None:
            raise SohbetError(_("That upload is already queued."))
        return key

    def _job(self, function: str, kwargs: dict[str, Any], key: str) -> Job:
        return Job(
            function,
            kwargs=kwargs,
            key=key,
            timeout=0,  # no limit: the heartbeat tells a live job from a dead one
            heartbeat=self.heartbeat_s,
            retries=self.attempts,
            ttl=RESULT_TTL,
        )

    async def ingest(
        self, request: IngestRequest, data: bytes, progress: Progress | None = None
    ) -> IngestResult:
        with _broker():
            key = await self.submit(request, data)
        document_id = document_id_for(request.server_id, hashlib.sha256(data).hexdigest())
        return await self.wait(key, request.filename, progress, (request.server_id, document_id))

    async def ingest_many(
        self,
        requests: list[IngestRequest],
        blobs: list[bytes],
        progress: OnProgress | None = None,
    ) -> BatchReport:
        """One job for all the files: a worker ingests them in one run."""
        with _broker():
            key = await self.submit_many(requests, blobs)
        names = ", ".join(r.filename for r in requests[:3]) + ("…" if len(requests) > 3 else "")
        shown: dict[str, Any] | None = None
        while True:
            try:
                job = await self.queue.job(key)
            except RedisError as exc:
                log.warning("job %s: Redis does not answer (%s)", key, exc)
                raise UploadPending(names, started=True) from None
            if job is None:
                raise SohbetError(f"**{names}** were lost from the job queue; send them again.")
            state = job.meta.get("progress")
            if progress is not None and isinstance(state, dict) and state != shown:
                shown = state
                progress(BatchProgress.from_json(state))
            if job.status == Status.COMPLETE:
                outcome: dict[str, Any] = job.result or {}
                if "refused" in outcome:
                    raise SohbetError(str(outcome["refused"]))
                return report_from_json(outcome)
            if job.status in (Status.FAILED, Status.ABORTED):
                raise JobFailed(names, key)
            await asyncio.sleep(self.poll_s)

    async def submit_many(
        self, requests: list[IngestRequest], blobs: list[bytes], key: str | None = None
    ) -> str:
        key = key or uuid.uuid4().hex
        async with self.redis.pipeline(transaction=False) as pipe:
            for index, data in enumerate(blobs):
                pipe.set(batch_blob_key(key, index), data, ex=BLOB_TTL)
            await pipe.execute()
        kwargs = {"requests": [r.to_json() for r in requests]}
        if await self.queue.enqueue(self._job(INGEST_BATCH, kwargs, key)) is None:
            raise SohbetError("That upload is already queued.")
        return key

    async def wait(
        self,
        key: str,
        filename: str,
        progress: Progress | None = None,
        document: tuple[int, str] | None = None,
    ) -> IngestResult:
        """Poll the job's stored state: relay its progress, return its result, raise its
        refusal (one sentence for the member) or JobFailed once it is dead.

        While Redis doesn't answer, the database says how far the upload (`document`: server
        and document id) got: ready there is done, whatever the queue could say."""
        shown: tuple[Any, ...] | None = None
        lost_since: float | None = None
        started = time.monotonic()
        while True:
            try:
                job = await self.queue.job(key)
                lost_since = None
            except RedisError as exc:  # a blip: the job goes on; the database may know more
                if lost_since is None:
                    lost_since = time.monotonic()
                    log.warning("job %s: Redis does not answer (%s); asking the database", key, exc)
                row = await self._recorded(document)
                if row is not None and row.status == "ready":
                    return IngestResult(
                        row.id, row.name, row.pages, row.chunks, time.monotonic() - started
                    )
                if time.monotonic() - lost_since > self.lost_after_s:
                    raise UploadPending(filename, started=row is not None) from None
                await asyncio.sleep(1.0)
                continue
            if job is None:
                raise SohbetError(
                    _("**{name}** was lost from the job queue; send it again.", name=filename)
                )
            state = job.meta.get("progress")
            if progress is not None and state and tuple(state) != shown:
                shown = tuple(state)
                progress(str(state[0]), int(state[1]), int(state[2]))
            if job.status == Status.COMPLETE:
                outcome: dict[str, Any] = job.result or {}
                if "refused" in outcome:
                    raise SohbetError(str(outcome["refused"]))
                return IngestResult(**outcome)
            if job.status in (Status.FAILED, Status.ABORTED):
                raise JobFailed(filename, key)
            await asyncio.sleep(self.poll_s)

    async def _recorded(self, document: tuple[int, str] | None) -> Any:
        """The upload's document row, or None (not written yet, or no way to ask)."""
        if document is None or self.find_document is None:
            return None
        try:
            return await self.find_document(*document)
        except SohbetError:  # the database is away too: nothing more is known
            return None

    # ----- operations --------------------------------------------------------------------

    async def stats(self) -> QueueStats:
        info = await self.queue.info()
        now_ms = time.time() * 1000
        oldest_queued = 0.0
        head = await reply(self.redis.lindex(self.queue._queued, 0))
        if head is not None:
            job = self.queue.deserialize(await self.redis.get(head))
            if job is not None and job.queued:
                oldest_queued = max(0.0, (now_ms - job.queued) / 1000)
        oldest_running = 0.0
        for job_id in await reply(self.redis.lrange(self.queue._active, 0, 99)):
            job = self.queue.deserialize(await self.redis.get(job_id))
            if job is not None and job.started:
                oldest_running = max(oldest_running, (now_ms - job.started) / 1000)
        return QueueStats(
            self.backend,
            queued=int(info["queued"]),
            running=int(info["active"]),
            oldest_queued_s=oldest_queued,
            oldest_running_s=oldest_running,
            workers=len(info["workers"]),
            dead=int(await reply(self.redis.hlen(DEAD_KEY))),
        )

    async def dead(self) -> list[DeadJob]:
        jobs = []
        for raw in (await reply(self.redis.hgetall(DEAD_KEY))).values():
            record = json.loads(raw)
            request = record["kwargs"].get("request") or {
                **(record["kwargs"].get("requests") or [{}])[0],
                "filename": f"{len(record['kwargs'].get('requests', []))} files",
            }
            what = f"{request.get('filename', '?')} (server {request.get('server_id', '?')})"
            jobs.append(
                DeadJob(
                    record["key"],
                    record["function"],
                    int(record["attempts"]),
                    _last_line(record["error"]),
                    float(record["failed_at"]),
                    what,
                )
            )
        return sorted(jobs, key=lambda job: job.failed_at)

    async def retry(self, key: str) -> bool:
        """Queue a dead job again with fresh attempts; False when no dead job has that key
        (or a unique prefix of it)."""
        keys = [_text(k) for k in await reply(self.redis.hkeys(DEAD_KEY))]
        matches = [k for k in keys if k == key] or [k for k in keys if k.startswith(key)]
        if len(matches) != 1:
            return False
        raw = await reply(self.redis.hget(DEAD_KEY, matches[0]))
        record = json.loads(raw or "{}")
        blob = blob_key(record["key"])
        if record["function"] == INGEST_BATCH:
            blob = batch_blob_key(record["key"], 0)
        if not await self.redis.exists(blob):
            raise SohbetError(f"The upload of job {record['key']} has expired; send it again.")
        await self.redis.delete(result_key(record["key"]))
        job = self._job(record["function"], record["kwargs"], record["key"])
        await self.queue.enqueue(job)
        await reply(self.redis.hdel(DEAD_KEY, record["key"]))
        return True

    async def close(self) -> None:
        from bot.jobs.metrics import stop

        await stop(self._metrics)
        with contextlib.suppress(RedisError, OSError):  # nothing to say goodbye to
            await self.queue.disconnect()


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _last_line(error: str) -> str:
    lines = [line for line in error.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else "no error recorded"


def result_json(result: IngestResult) -> dict[str, Any]:
    return asdict(result)
