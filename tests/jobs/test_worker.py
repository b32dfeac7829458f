"""Uploads run on `sohbet worker` processes through Redis: a worker killed with SIGKILL in the
middle of an upload leaves no half-written document, the job runs again on another worker and
the document ends up complete exactly once; progress reaches the member's status message in
the bot process; a job failing every attempt lands in the dead-letter list, from which
`sohbet jobs retry` queues it again."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import time
from pathlib import Path

import pytest
from redis import asyncio as aioredis

from bot.app import App, build_app
from bot.config import Config
from bot.jobs.redis_queue import DEAD_KEY, INGEST, JobFailed, RedisJobs, blob_key
from bot.jobs.reply import reply
from bot.providers import AIProviders
from plugins.admin import AdminPlugin
from plugins.docs import DocsPlugin
from tests.conftest import isolate_environment, migrated_sqlite
from tests.docs.conftest import SERVER_A, Member
from tests.jobs.conftest import SOHBET, Workers, process_env

PARAGRAPH = (
    "Paragraph {i}: the Zephyr kettle's warranty covers {i} months of boiling water, "
    "descaling with citric acid and a replacement lid when the hinge breaks. "
)


def big_text(paragraphs: int = 420) -> bytes:
    """About 400 chunks: several seconds of embedding, time to kill the worker in between."""
    return "\n\n".join(PARAGRAPH.format(i=i) * 3 for i in range(paragraphs)).encode()


async def bot_app(workers: Workers, monkeypatch: pytest.MonkeyPatch, template: Path) -> App:
    """The bot process's App: the workers' database, uploads queued on Redis."""
    isolate_environment(monkeypatch, workers.data_dir)
    migrated_sqlite(template, workers.data_dir / "sohbet.db")
    config = Config(
        data_dir=workers.data_dir,
        broker_url=workers.broker,
        model_provider="fake",
        job_heartbeat_s=2,
        job_sweep_s=1,
    )
    return await build_app(config, plugins=[DocsPlugin(), AdminPlugin()])


async def wait_for(condition: object, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await condition():  # type: ignore[operator]
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


async def test_a_job_survives_its_worker_killed_mid_upload(
    workers: Workers, monkeypatch: pytest.MonkeyPatch, sqlite_template: Path
) -> None:
    app = await bot_app(workers, monkeypatch, sqlite_template)
    jobs = app.services.extras["jobs"]
    assert isinstance(jobs, RedisJobs)
    first = workers.start()
    alice = Member(app, 100, "alice", SERVER_A, 11, admin=False)
    path = workers.data_dir / "big.txt"
    path.write_bytes(big_text())
    upload = asyncio.create_task(alice.say(f"/docs upload file:{path}"))
    try:

        async def embedding() -> bool:
            for key in await reply(jobs.redis.lrange(jobs.queue._active, 0, -1)):
                job = jobs.queue.deserialize(await jobs.redis.get(key))
                state = job.meta.get("progress") if job else None
                if state and state[0] == "embedding" and state[1] >= 64:
                    return True
            return False

        await wait_for(embedding, 60, "the first worker to be embedding")
        first.kill()  # SIGKILL: no clean-up, no goodbye
        first.wait()
        rows = await app.store.documents.list(SERVER_A)
        assert [r.status for r in rows] == ["ingesting"]  # half-done: not listed, not served
        workers.start()  # the job's heartbeat stops; this worker sweeps it and runs it again
        out = await asyncio.wait_for(upload, 90)
    finally:
        upload.cancel()
    # Progress from the workers, in the bot's status message (edited at most once a second).
    assert re.search(r"📄 Embedding \*\*big\.txt\*\*… \d+/420", out), out
    assert "✅ Added **big.txt**: 1 page" in out
    workers.stop_all()  # the embedded vector store has one owner at a time: the test now
    rows = await app.store.documents.list(SERVER_A)
    assert [(r.name, r.status) for r in rows] == [("big.txt", "ready")]
    chunks = rows[0].chunks
    assert chunks > 300
    vectors = await app.services.get("ai", AIProviders).vectors()
    assert await vectors.count(SERVER_A) == chunks  # every chunk once: no duplicates, no gaps
    assert await vectors.document_ids(pending_only=True) == {}
    assert await app.store.state.get(f"ingest:{rows[0].id}") is None  # lease ended
    [job_id] = await jobs.redis.keys("saq:job:sohbet:*")
    job = jobs.queue.deserialize(await jobs.redis.get(job_id))
    assert job is not None and job.attempts == 2  # the killed attempt, then the one that ran
    assert (
        "lost its worker (attempt 1); queued again"
        in (workers.data_dir / "worker1.log").read_text()
    )
    stats = await jobs.stats()
    assert (stats.queued, stats.running, stats.dead) == (0, 0, 0)
    await app.close()


def jobs_cli(workers: Workers, *args: str) -> str:
    env = process_env(workers.data_dir, workers.broker)
    done = subprocess.run(
        [SOHBET, "jobs", *args], env=env, capture_output=True, text=True, timeout=30
    )
    return done.stdout + done.stderr


async def test_a_job_failing_three_times_is_dead_and_can_be_retried(
    workers: Workers, redis_url: str
) -> None:
    jobs = RedisJobs(redis_url, heartbeat_s=2, sweep_s=1)
    redis: aioredis.Redis = jobs.redis
    key = "deadbeef" + "0" * 24
    await redis.set(blob_key(key), b"some text")
    # A payload no worker can read (as from an older, incompatible release): it raises.
    await jobs.queue.enqueue(jobs._job(INGEST, {"request": {"filename": "old.txt"}}, key))
    workers.start()
    with pytest.raises(JobFailed) as failed:
        await asyncio.wait_for(jobs.wait(key, "old.txt"), 60)
    assert f"sohbet jobs retry {key}" in failed.value.user_message
    raw = await reply(redis.hget(DEAD_KEY, key))
    record = json.loads(raw or "{}")
    assert record["attempts"] == 3 and "TypeError" in record["error"]
    assert (await jobs.stats()).dead == 1

    listing = jobs_cli(workers, "dead")
    assert key in listing and "old.txt (server ?)" in listing and "3 attempt(s)" in listing
    assert "1 dead job(s)." in listing
    assert "No single dead job" in jobs_cli(workers, "retry", "nothing-like-it")
    assert f"Job {key[:8]} is queued again." in jobs_cli(workers, "retry", key[:8])

    async def dead_again() -> bool:
        return bool(await reply(redis.hexists(DEAD_KEY, key)))

    await wait_for(dead_again, 60, "the retried job to fail its three new attempts")
    raw = await reply(redis.hget(DEAD_KEY, key))
    record = json.loads(raw or "{}")
    assert record["attempts"] == 3  # fresh attempts, not a fourth one
    await jobs.close()


async def test_a_stopped_worker_gives_its_job_back_at_once(workers: Workers) -> None:
    """SIGTERM (docker compose stop, a deploy): the running upload is cancelled, cleaned up
    and queued again at once, without waiting for the heartbeat; the next worker adds it."""
    from bot.jobs.models import IngestRequest
    from bot.store.database import Store

    jobs = RedisJobs(workers.broker, heartbeat_s=2, sweep_s=1)
    first = workers.start()
    key = await jobs.submit(IngestRequest("big.txt", SERVER_A, 7), big_text(300))

    async def embedding() -> bool:
        job = await jobs.queue.job(key)
        state = job.meta.get("progress") if job else None
        return bool(state and state[0] == "embedding" and state[1] >= 64)

    await wait_for(embedding, 60, "the worker to be embedding")
    first.terminate()
    assert first.wait(10) == 0
    job = await jobs.queue.job(key)
    assert job is not None and job.status == "queued" and job.error == "cancelled"
    store = Store(f"sqlite+aiosqlite:///{workers.data_dir / 'sohbet.db'}")
    assert await store.documents.list(SERVER_A) == []  # the cancelled attempt cleaned up
    workers.start()
    result = await asyncio.wait_for(jobs.wait(key, "big.txt"), 60)
    rows = await store.documents.list(SERVER_A)
    assert [(r.status, r.chunks) for r in rows] == [("ready", result.chunks)]
    await store.close()
    await jobs.close()


async def test_a_message_with_several_files_is_one_job_on_a_worker(
    workers: Workers, monkeypatch: pytest.MonkeyPatch, sqlite_template: Path
) -> None:
    """ "Add to documents" on a message with several attachments: one job, one ingestion run on
    the worker, one status message with the batch's progress; a bad file told privately."""
    app = await bot_app(workers, monkeypatch, sqlite_template)
    workers.start()
    alice = Member(app, 100, "alice", SERVER_A, 11, admin=False)
    paths = []
    for i in range(4):
        path = workers.data_dir / f"note{i}.txt"
        path.write_text(f"Note {i}: the Zephyr kettle {i} is descaled every {i + 2} weeks.")
        paths.append(path)
    bad = workers.data_dir / "bad.txt"
    bad.write_bytes(b"\x00\x01" * 60)
    try:
        options = " ".join(f"file{n + 2}:{p}" for n, p in enumerate([*paths[1:], bad]))
        out = await asyncio.wait_for(alice.say(f"/docs upload file:{paths[0]} {options}"), 120)
        assert "Added 4 documents (4 chunks)" in out and "; 1 not added." in out, out
        assert "(only you) `bad.txt` is named like plain text" in out
        rows = await app.store.documents.list(SERVER_A)
        assert sorted(r.name for r in rows if r.status == "ready") == [
            f"note{i}.txt" for i in range(4)
        ]
        redis = aioredis.from_url(workers.broker)
        try:
            finished = [k async for k in redis.scan_iter("sohbet:jobs:result:*")]
            assert len(finished) == 1  # one job for all five files
            assert not [k async for k in redis.scan_iter("sohbet:jobs:blob:*")]  # blobs removed
        finally:
            await redis.aclose()
    finally:
        await app.close()
