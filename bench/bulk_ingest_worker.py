"""The bulk folder of bench.bulk_ingest through a `sohbet worker` on the real Redis.

The bot side submits the folder as jobs of WINDOW_FILES files (RedisJobs.ingest_many, what a
message's attachments or a dashboard upload become with a broker) all at once; one worker
process (its own SQLite and embedded Qdrant store) runs them one after another. Timed from the
first submission to the last job's outcome, against the raw embedder on the same chunks in this
process just before. The worker is warmed up (model loaded) on a tiny job first.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from redis import asyncio as aioredis

from bot.ai.base import Embedder
from bot.jobs import IngestRequest
from bot.jobs.redis_queue import RedisJobs
from bot.knowledge import BatchReport, Upload
from bot.knowledge.ingest import WINDOW_FILES

REDIS = "redis://127.0.0.1:6379/5"  # the tests use 8-15, bench.scale_out 12
SERVER = 1
SOHBET = str(Path(sys.executable).with_name("sohbet"))


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOHBET_")}
    env.update(
        SOHBET_DATA_DIR=str(data_dir),
        SOHBET_CONFIG_FILE=str(data_dir / "absent.toml"),
        SOHBET_BROKER_URL=REDIS,
        SOHBET_PLUGINS="docs",
        SOHBET_LOG_LEVEL="WARNING",
        HF_HUB_OFFLINE="1",
    )
    return env


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def _submit_all(jobs: RedisJobs, uploads: list[Upload]) -> list[BatchReport]:
    batches = [uploads[i : i + WINDOW_FILES] for i in range(0, len(uploads), WINDOW_FILES)]

    async def one(batch: list[Upload]) -> BatchReport:
        requests = [IngestRequest(u.name, SERVER, 0) for u in batch]
        blobs = await asyncio.to_thread(lambda: [u.read() for u in batch])
        return await jobs.ingest_many(requests, blobs)

    return list(await asyncio.gather(*(one(b) for b in batches)))


RawRound = Callable[[Embedder, list[str]], Awaitable[dict[str, Any]]]


async def measure_worker(
    uploads: list[Upload], embedder: Embedder, texts: list[str], workdir: Path, raw_round: RawRound
) -> dict[str, Any]:
    """`raw_round(embedder, texts)`: the raw embedder's timing, run just before the worker's."""
    redis = aioredis.from_url(REDIS)
    await redis.flushdb()
    data_dir = workdir / "worker-data"
    data_dir.mkdir()
    log = (workdir / "worker.log").open("wb")
    started = time.perf_counter()
    worker = subprocess.Popen(  # noqa: ASYNC220 - started once, not waited on here
        [SOHBET, "worker"], env=_env(data_dir), stdout=log, stderr=log
    )
    jobs = RedisJobs(REDIS, poll_s=0.1)
    try:
        warm = await jobs.ingest_many([IngestRequest("warm.txt", SERVER, 0)], [b"Warm up."])
        assert warm.count("added") == 1, warm
        start_up = time.perf_counter() - started
        raw = await raw_round(embedder, texts)
        start = time.perf_counter()
        reports = await _submit_all(jobs, uploads)
        seconds = time.perf_counter() - start
        chunks = sum(r.chunks for r in reports)
        added = sum(r.count("added") for r in reports)
        start = time.perf_counter()
        again = await _submit_all(jobs, uploads)
        again_seconds = time.perf_counter() - start
        peak = _peak_rss_mb(worker.pid)
    finally:
        await jobs.close()
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        log.close()
        await redis.flushdb()
        await redis.aclose()
    rate = chunks / seconds
    result = {
        "job_files": WINDOW_FILES,
        "jobs": len(reports),
        "start_up_s": round(start_up, 2),
        "raw_seconds": raw["seconds"],
        "raw_chunks_per_s": raw["chunks_per_s"],
        "seconds": round(seconds, 2),
        "chunks": chunks,
        "added": added,
        "chunks_per_s": round(rate, 1),
        "ratio": round(rate / raw["chunks_per_s"], 3),
        "worker_peak_rss_mb": round(peak, 1),
        "again_seconds": round(again_seconds, 2),
        "again_skipped": sum(r.count("skipped") for r in again),
        "again_added": sum(r.count("added") for r in again),
    }
    print(f"worker: {result}", flush=True)
    return result
