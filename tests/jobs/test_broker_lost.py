"""Redis stops in the middle of an upload (a redis-server of the test's own, killed): the member
is told the truth. A worker that finished the document anyway gets it reported as added (the
database says so); an upload no worker picked up is reported as not added yet, not as failed."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis

from bot.jobs.redis_queue import RedisJobs
from bot.jobs.reply import reply
from tests.docs.conftest import SERVER_A, Member
from tests.jobs.conftest import Workers
from tests.jobs.test_worker import big_text, bot_app, wait_for


class OwnRedis:
    """A redis-server on a free loopback port, for this test alone (safe to kill)."""

    def __init__(self, folder: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(folder)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        client = Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        client.close()

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    if subprocess.run(["which", "redis-server"], capture_output=True).returncode:
        pytest.skip("redis-server is not installed")
    server = OwnRedis(tmp_path)
    yield server
    server.kill()


@pytest.fixture
def own_workers(fast_dir: Path, own_redis: OwnRedis) -> Iterator[Workers]:
    data = fast_dir / "shared"
    data.mkdir()
    pool = Workers(data, own_redis.url)
    yield pool
    for process in pool.started:
        process.kill()  # its broker is gone: no clean goodbye to wait for
        process.wait()


async def test_a_document_the_worker_finished_while_redis_was_down_is_reported_added(
    own_redis: OwnRedis,
    own_workers: Workers,
    monkeypatch: pytest.MonkeyPatch,
    sqlite_template: Path,
) -> None:
    app = await bot_app(own_workers, monkeypatch, sqlite_template)
    jobs = app.services.extras["jobs"]
    assert isinstance(jobs, RedisJobs)
    own_workers.start()
    alice = Member(app, 100, "alice", SERVER_A, 11, admin=False)
    path = own_workers.data_dir / "big.txt"
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

        await wait_for(embedding, 60, "the worker to be embedding")
        own_redis.kill()  # the broker is gone; the worker goes on with the database
        out = await asyncio.wait_for(upload, 100)
    finally:
        upload.cancel()
    assert "✅ Added **big.txt**: 1 page" in out, out
    assert "not added" not in out and "something went wrong" not in out
    rows = await app.store.documents.list(SERVER_A)
    assert [(r.name, r.status) for r in rows] == [("big.txt", "ready")]
    await app.close()


async def test_an_upload_no_worker_took_is_reported_not_added_yet(
    own_redis: OwnRedis,
    own_workers: Workers,
    monkeypatch: pytest.MonkeyPatch,
    sqlite_template: Path,
) -> None:
    app = await bot_app(own_workers, monkeypatch, sqlite_template)
    jobs = app.services.extras["jobs"]
    assert isinstance(jobs, RedisJobs)
    jobs.lost_after_s = 2  # the production wait is a minute
    alice = Member(app, 100, "alice", SERVER_A, 11, admin=False)
    path = own_workers.data_dir / "notes.txt"
    path.write_text("The garden opens at seven.")
    upload = asyncio.create_task(alice.say(f"/docs upload file:{path}"))
    try:

        async def queued() -> bool:
            return (await jobs.stats()).queued == 1

        await wait_for(queued, 30, "the upload to be queued")
        own_redis.kill()
        out = await asyncio.wait_for(upload, 30)
    finally:
        upload.cancel()
    assert "⏳ **notes.txt** is not added yet." in out, out
    assert "stopped answering before **notes.txt** was picked up, so it isn't added yet" in out
    assert "not added." not in out and "something went wrong" not in out
    await app.close()
