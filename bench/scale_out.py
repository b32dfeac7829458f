"""Scaling out: ingest throughput with 1, 2 and 4 `sohbet worker` processes, and the gateway
process's event-loop lag while 10 documents ingest, in-process vs on workers, in one run.

Everything real: PostgreSQL (127.0.0.1:5432, a database of its own, created afresh per run),
Redis (127.0.0.1:6379, database 12) as the broker, real `sohbet worker` processes, and a vector
server shared by all processes: no Qdrant server binary runs on this machine, so the project's
Qdrant stand-in (tests/ops/qdrant_standin.py: Qdrant's REST routes over qdrant-client's own
engine) runs in a process of its own and every process talks HTTP to it, as to a real server.

Documents: 10 Markdown files of Python standard-library docstrings (bench.rag_ingest's corpus),
about `--chunks` chunks each. Each worker warms up (loads the embedder) on a tiny document first.

    python -m bench.scale_out                    # 10 x ~150 chunks; 1, 2, 4 workers
    python -m bench.scale_out --chunks 80 --workers 1,2
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import asyncpg
from redis import asyncio as aioredis

from bench.rag_ingest import corpus_markdown
from bot.app import build_app
from bot.config import Config
from bot.jobs import IngestRequest, JobQueue
from bot.jobs.redis_queue import RedisJobs
from bot.observability.loop_lag import LoopLagMonitor
from bot.store.database import Store

RESULTS = Path(__file__).parent / "results"
ROOT = Path(__file__).resolve().parent.parent
SOHBET = str(Path(sys.executable).with_name("sohbet"))
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_DB = "sohbet_scale_bench"
PG_URL = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{PG_DB}"
REDIS = "redis://127.0.0.1:6379/12"
SERVER = 4242
DOCS = 10


def documents(chunks_each: int) -> list[tuple[str, bytes]]:
    """10 documents of about equal size, cut at section boundaries of the corpus."""
    text = corpus_markdown(chunks_each * DOCS)
    target = len(text) / DOCS
    docs: list[tuple[str, bytes]] = []
    part: list[str] = []
    for section in text.split("\n\n## "):
        part.append(section)
        if sum(map(len, part)) >= target and len(docs) < DOCS - 1:
            docs.append((f"stdlib-{len(docs)}.md", ("## " + "\n\n## ".join(part)).encode()))
            part = []
    docs.append((f"stdlib-{len(docs)}.md", ("## " + "\n\n## ".join(part)).encode()))
    return docs


class Standin:
    """The Qdrant stand-in in a process of its own (fresh and empty each start)."""

    CODE = (
        "import asyncio,sys\n"
        "from tests.ops.qdrant_standin import QdrantStandIn\n"
        "async def main():\n"
        "    s = QdrantStandIn(); await s.start(); print(s.url, flush=True)\n"
        "    await asyncio.Event().wait()\n"
        "asyncio.run(main())\n"
    )

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", self.CODE], cwd=ROOT, stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        self.url = self.process.stdout.readline().strip()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait()


async def fresh_database() -> None:
    admin = await asyncpg.connect(PG_ADMIN)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{PG_DB}"')
    finally:
        await admin.close()
    store = Store(PG_URL)
    try:
        await store.upgrade()
    finally:
        await store.close()


def worker_env(data_dir: Path, qdrant: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOHBET_")}
    env.update(
        SOHBET_DATA_DIR=str(data_dir),
        SOHBET_CONFIG_FILE=str(data_dir / "absent.toml"),
        SOHBET_DATABASE_URL=PG_URL,
        SOHBET_QDRANT_URL=qdrant,
        SOHBET_BROKER_URL=REDIS,
        SOHBET_PLUGINS="docs",
        SOHBET_LOG_LEVEL="WARNING",
    )
    return env


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time so far of these processes and their children that ended
    (the upload parser runs in a child), from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
    return total / ticks


def start_workers(n: int, env: dict[str, str], cwd: Path) -> list[subprocess.Popen[bytes]]:
    return [subprocess.Popen([SOHBET, "worker"], env=env, cwd=cwd) for _ in range(n)]


class Setup:
    """One measured configuration: fresh database, vector server, broker and N workers."""

    def __init__(self, workers: int, data_dir: Path) -> None:
        self.n = workers
        self.data_dir = data_dir
        self.standin: Standin | None = None
        self.workers: list[subprocess.Popen[bytes]] = []

    async def __aenter__(self) -> Setup:
        redis = aioredis.from_url(REDIS)
        await redis.flushdb()
        await redis.aclose()
        await fresh_database()
        self.standin = Standin()
        env = worker_env(self.data_dir, self.standin.url)
        self.workers = start_workers(self.n, env, self.data_dir)
        if self.n:
            jobs = RedisJobs(REDIS)
            for _ in range(600):  # until every worker has registered
                if (await jobs.stats()).workers >= self.n:
                    break
                await asyncio.sleep(0.2)
            # Warm-up: one tiny upload per worker (each idle worker is blocked on the queue).
            warm = [
                jobs.ingest(IngestRequest(f"warm{i}.txt", SERVER, 1), f"warm up {i}".encode())
                for i in range(self.n)
            ]
            await asyncio.wait_for(asyncio.gather(*warm), 300)
            await jobs.close()
        return self

    async def __aexit__(self, *exc: object) -> None:
        for process in self.workers:
            process.send_signal(signal.SIGTERM)
        for process in self.workers:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        if self.standin is not None:
            self.standin.stop()

    def pids(self) -> list[int]:
        standin = [self.standin.process.pid] if self.standin else []
        return [os.getpid(), *standin, *(p.pid for p in self.workers)]

    def config(self, broker: bool) -> Config:
        assert self.standin is not None
        return Config(
            data_dir=self.data_dir,
            database_url=PG_URL,
            qdrant_url=self.standin.url,
            broker_url=REDIS if broker else None,
            plugins=["docs"],
        )


async def ingest_all(jobs: JobQueue, docs: list[tuple[str, bytes]]) -> int:
    uploads = (jobs.ingest(IngestRequest(name, SERVER, 1), data) for name, data in docs)
    results = await asyncio.wait_for(asyncio.gather(*uploads), 900)  # a hang is an error
    return sum(r.chunks for r in results)


async def throughput(workers: int, docs: list[tuple[str, bytes]], data_dir: Path) -> dict[str, Any]:
    async with Setup(workers, data_dir) as setup:
        jobs = RedisJobs(REDIS)
        load_before = os.getloadavg()
        pids = setup.pids()
        cpu_before = cpu_seconds(pids)
        started = time.perf_counter()
        chunks = await ingest_all(jobs, docs)
        seconds = time.perf_counter() - started
        cpu = cpu_seconds(pids) - cpu_before
        await jobs.close()
    row = {
        "workers": workers,
        "documents": len(docs),
        "chunks": chunks,
        "seconds": round(seconds, 2),
        "chunks_per_s": round(chunks / seconds, 1),
        "cpu_cores_busy": round(cpu / seconds, 2),  # workers + vector server + gateway
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
    }
    print(json.dumps(row), flush=True)
    return row


async def loop_lag(mode: str, docs: list[tuple[str, bytes]], data_dir: Path) -> dict[str, Any]:
    """The gateway process's loop while 10 uploads ingest: in it, or on 2 workers."""
    workers = 2 if mode == "workers" else 0
    async with Setup(workers, data_dir) as setup:
        app = await build_app(setup.config(broker=workers > 0))
        jobs: JobQueue = app.services.extras["jobs"]
        if not workers:  # warm the in-process embedder like the workers were warmed
            await jobs.ingest(IngestRequest("warm.txt", SERVER, 1), b"warm up")
        monitor = LoopLagMonitor(0.01, warn_above=None)
        monitor.start()
        load_before = os.getloadavg()
        pids = setup.pids()
        cpu_before = cpu_seconds(pids)
        started = time.perf_counter()
        chunks = await ingest_all(jobs, docs)
        seconds = time.perf_counter() - started
        cpu = cpu_seconds(pids) - cpu_before
        await monitor.stop()
        await app.close()
    stats = monitor.stats().as_dict()
    row = {
        "mode": mode,
        "workers": workers,
        "chunks": chunks,
        "seconds": round(seconds, 2),
        "cpu_cores_busy": round(cpu / seconds, 2),
        **stats,
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
    }
    print(json.dumps(row), flush=True)
    return row


def markdown(report: dict[str, Any]) -> str:
    lines = [
        "# Scaling out: workers and the gateway's event loop",
        "",
        f"`{report['command']}` on {report['machine']}; {report['when']}.",
        "",
        "PostgreSQL, Redis (broker) and real `sohbet worker` processes; the vector server is "
        "the project's Qdrant stand-in in its own process (no Qdrant binary runs here), reached "
        "over HTTP by every process. Embedder: the bundled multilingual model, on the CPU. "
        f"{report['documents']} Markdown documents (standard-library docstrings), "
        "each worker warmed up on a tiny upload first.",
        "",
        "## Ingest throughput",
        "",
        "| workers | documents | chunks | seconds | chunks/s | CPU cores busy | load avg before "
        "| after |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in report["throughput"]:
        lines.append(
            f"| {r['workers']} | {r['documents']} | {r['chunks']} | {r['seconds']} | "
            f"{r['chunks_per_s']} | {r['cpu_cores_busy']} | {r['load_before']} | "
            f"{r['load_after']} |"
        )
    lines += [
        "",
        "## Event-loop lag on the gateway process while the 10 documents ingest",
        "",
        "Sampled every 10 ms by bot.observability's LoopLagMonitor in the process that holds "
        "the gateway (it submits the uploads and relays their progress).",
        "",
        "| ingestion | seconds | CPU cores busy | samples | p50 ms | p99 ms | max ms "
        "| load avg before | after |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in report["loop_lag"]:
        where = "in the gateway process" if r["mode"] == "in-process" else "on 2 workers"
        lines.append(
            f"| {where} | {r['seconds']} | {r['cpu_cores_busy']} | {r['samples']} | "
            f"{r['p50_ms']} | {r['p99_ms']} | "
            f"{r['max_ms']} | {r['load_before']} | {r['load_after']} |"
        )
    lines += ["", "## Reading it", "", *reading(report)]
    return "\n".join(lines) + "\n"


def reading(report: dict[str, Any]) -> list[str]:
    """What the numbers say, computed from them (the machine is shared, so they vary)."""
    by_workers = {r["workers"]: r for r in report["throughput"]}
    out = []
    if 1 in by_workers:
        base = by_workers[1]["chunks_per_s"]
        ratios = ", ".join(
            f"{n} workers {r['chunks_per_s'] / base:.2f}x" for n, r in sorted(by_workers.items())
        )
        out.append(
            f"- Throughput against 1 worker: {ratios}. One worker keeps about "
            f"{by_workers[1]['cpu_cores_busy']} of the {os.cpu_count()} cores busy (the embedder "
            "computes one batch at a time, and a document's parse, SQL writes and upserts wait "
            "on it), so a second worker adds most of a core; past one worker per core they only "
            "take turns on the same cores: the CPU is the limit here, and more workers help on "
            "more cores or more machines (they share only Redis, PostgreSQL and Qdrant)."
        )
    lag = {r["mode"]: r for r in report["loop_lag"]}
    if {"in-process", "workers"} <= set(lag):
        here, there = lag["in-process"], lag["workers"]
        out.append(
            f"- Gateway loop lag: p99 {here['p99_ms']} ms / max {here['max_ms']} ms with the "
            f"uploads ingested in its process, p99 {there['p99_ms']} ms / max "
            f"{there['max_ms']} ms with them on 2 workers (target: p99 under 50 ms). The "
            "in-process path already keeps the heavy work off the loop (parsing in a child "
            "process, embedding in a thread), so what workers add on this machine is "
            f"throughput ({here['seconds']} s -> {there['seconds']} s for the same 10 "
            "documents) and isolation: an upload that crashes or is killed takes down a "
            "worker, not the gateway, and survives a bot restart."
        )
    return out


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chunks", type=int, default=150, help="about this many per document")
    parser.add_argument("--workers", default="1,2,4")
    args = parser.parse_args(argv)
    docs = documents(args.chunks)
    report: dict[str, Any] = {
        "command": " ".join(["python -m bench.scale_out", *(argv or sys.argv[1:])]),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}",
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "documents": len(docs),
        "throughput": [],
        "loop_lag": [],
    }
    with tempfile.TemporaryDirectory(prefix="sohbet-scale-") as folder:
        for n in (int(x) for x in args.workers.split(",")):
            report["throughput"].append(await throughput(n, docs, Path(folder)))
        for mode in ("in-process", "workers"):
            report["loop_lag"].append(await loop_lag(mode, docs, Path(folder)))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "scale_out.json").write_text(json.dumps(report, indent=2) + "\n")
    (RESULTS / "scale_out.md").write_text(markdown(report))
    print(markdown(report))


if __name__ == "__main__":
    asyncio.run(main())
