"""Filtered search latency and upsert throughput of the embedded (Qdrant Edge) vector store.

Synthetic but realistic data: 10 servers of unequal size (Zipf-like), 5 channels each plus
server-wide documents, 384-dimensional vectors clustered around topics, chunk texts of
60-160 words drawn from a Zipf vocabulary with topic words (so BM25 has real work to do).
Queries are a stored chunk's vector plus noise and a few of its words.

    python -m bench.vector_search            # 10k and 100k chunks
    python -m bench.vector_search --sizes 10000 --queries 100 --no-optimize
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from bot.vectors import ChunkRecord, SearchScope
from bot.vectors.edge import EdgeVectorStore

RESULTS = Path(__file__).parent / "results"
DIMENSION = 384
SERVERS = 10
CHANNELS_PER_SERVER = 5
TOPICS = 200
VOCABULARY = 5000
CHUNKS_PER_DOCUMENT = 20
UPSERT_CALL = 500  # chunks per store.upsert call, like a large uploaded document
SYLLABLES = ["ka", "lo", "mi", "ren", "to", "sa", "vel", "dor", "in", "ur", "pe", "zan", "qua"]


class Corpus:
    """Deterministic synthetic chunks; vectors and words share topics, as real text does."""

    def __init__(self, seed: int = 7) -> None:
        self.rng = np.random.default_rng(seed)
        self.words = [self._word(i) for i in range(VOCABULARY)]
        weights = 1.0 / np.arange(1, VOCABULARY + 1)
        self.word_p = weights / weights.sum()
        self.centroids = self._unit(self.rng.standard_normal((TOPICS, DIMENSION)))
        self.topic_words = self.rng.integers(100, VOCABULARY, size=(TOPICS, 30))
        server_weights = 1.0 / np.arange(1, SERVERS + 1) ** 0.7
        self.server_p = server_weights / server_weights.sum()

    @staticmethod
    def _unit(matrix: np.ndarray) -> np.ndarray:
        return matrix / np.linalg.norm(matrix, axis=-1, keepdims=True)

    def _word(self, index: int) -> str:
        parts, n = [], index + 1
        while n:
            n, digit = divmod(n, len(SYLLABLES))
            parts.append(SYLLABLES[digit])
        return "".join(parts)

    def text(self, topic: int, n_words: int) -> str:
        common = self.rng.choice(VOCABULARY, size=n_words, p=self.word_p)
        topical = self.rng.choice(self.topic_words[topic], size=n_words // 4)
        words = [self.words[i] for i in np.concatenate([common, topical])]
        self.rng.shuffle(words)
        return " ".join(words)

    def chunks(self, count: int) -> list[ChunkRecord]:
        servers = self.rng.choice(SERVERS, size=count // CHUNKS_PER_DOCUMENT, p=self.server_p)
        chunks: list[ChunkRecord] = []
        for doc, server in enumerate(servers):
            channel_pick = int(self.rng.integers(0, CHANNELS_PER_SERVER + 1))
            channel = None if channel_pick == CHANNELS_PER_SERVER else server * 100 + channel_pick
            topics = self.rng.integers(0, TOPICS, size=CHUNKS_PER_DOCUMENT)
            noise = self.rng.standard_normal((CHUNKS_PER_DOCUMENT, DIMENSION)) * 0.06
            vectors = self._unit(self.centroids[topics] + noise).astype(np.float32)
            for position in range(CHUNKS_PER_DOCUMENT):
                chunks.append(
                    ChunkRecord(
                        id=f"doc{doc}:{position}",
                        text=self.text(int(topics[position]), int(self.rng.integers(60, 160))),
                        dense=vectors[position].tolist(),
                        server_id=1_000_000 + int(server),
                        channel_id=None if channel is None else 2_000_000 + int(channel),
                        document_id=f"doc{doc}",
                        document_name=f"document-{doc}.pdf",
                        uploader_id=3_000_000 + int(self.rng.integers(0, 50)),
                        position=position,
                        page=position // 3 + 1,
                        source_url=f"https://discord.com/channels/{server}/{channel}/{doc}",
                    )
                )
        return chunks

    def queries(
        self, chunks: list[ChunkRecord], count: int
    ) -> list[tuple[str, list[float], SearchScope]]:
        picked = self.rng.choice(len(chunks), size=count, replace=False)
        queries = []
        for index in picked:
            chunk = chunks[int(index)]
            vector = np.asarray(chunk.dense) + self.rng.standard_normal(DIMENSION) * 0.03
            words = chunk.text.split()
            text = " ".join(self.rng.choice(words, size=min(6, len(words)), replace=False))
            with_channel = chunk.channel_id is not None and self.rng.random() < 0.5
            scope = SearchScope(chunk.server_id, chunk.channel_id if with_channel else None)
            queries.append((text, self._unit(vector).tolist(), scope))
        return queries


async def _stall_monitor(stop: asyncio.Event, gaps: list[float]) -> None:
    """Longest time the event loop could not run a 1 ms timer: what a bot would feel."""
    last = time.perf_counter()
    while not stop.is_set():
        await asyncio.sleep(0.001)
        now = time.perf_counter()
        gaps.append(now - last)
        last = now


async def _timed(call: Callable[[], Awaitable[Any]], repeat: int = 1) -> tuple[list[float], float]:
    stop, gaps = asyncio.Event(), [0.0]
    monitor = asyncio.create_task(_stall_monitor(stop, gaps))
    latencies = []
    for _ in range(repeat):
        start = time.perf_counter()
        await call()
        latencies.append(time.perf_counter() - start)
    stop.set()
    await monitor
    return latencies, max(gaps)


def _summary(latencies: list[float]) -> dict[str, float]:
    ms = sorted(x * 1000 for x in latencies)
    return {
        "p50_ms": round(statistics.median(ms), 2),
        "p95_ms": round(ms[max(0, int(len(ms) * 0.95) - 1)], 2),
        "max_ms": round(ms[-1], 2),
        "mean_ms": round(statistics.fmean(ms), 2),
    }


async def _search_latencies(
    store: EdgeVectorStore, queries: list[tuple[str, list[float], SearchScope]]
) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for mode in ("hybrid", "dense", "sparse"):
        latencies: list[float] = []
        found = 0
        for text, vector, scope in queries:
            start = time.perf_counter()
            hits = await store.search(text, vector, scope, limit=5, mode=mode)
            latencies.append(time.perf_counter() - start)
            found += bool(hits)
            assert all(hit.server_id == scope.server_id for hit in hits)
        results[mode] = {**_summary(latencies), "queries_with_hits": found}
    return results


async def run_size(size: int, n_queries: int, optimize: bool, workdir: Path) -> dict[str, Any]:
    corpus = Corpus(seed=size)
    start = time.perf_counter()
    chunks = corpus.chunks(size)
    generated = time.perf_counter() - start
    path = workdir / f"store-{size}"
    shutil.rmtree(path, ignore_errors=True)
    store = await EdgeVectorStore.open(path, DIMENSION)
    try:
        calls = [chunks[i : i + UPSERT_CALL] for i in range(0, len(chunks), UPSERT_CALL)]
        batches = iter(calls)
        upserts, upsert_stall = await _timed(lambda: store.upsert(next(batches)), len(calls))
        upsert_seconds = sum(upserts)
        per_server = {
            str(server): await store.count(1_000_000 + server) for server in range(SERVERS)
        }
        queries = corpus.queries(chunks, n_queries)
        for text, vector, scope in queries[:20]:  # warm caches
            await store.search(text, vector, scope)
        result: dict[str, Any] = {
            "chunks": size,
            "data_generation_s": round(generated, 1),
            "upsert": {
                "seconds": round(upsert_seconds, 2),
                "chunks_per_s": round(size / upsert_seconds),
                "chunks_per_call": UPSERT_CALL,
                "max_event_loop_stall_ms": round(upsert_stall * 1000, 1),
            },
            "chunks_per_server": per_server,
            "segments_before_optimize": await store.points_info(),
            "search": await _search_latencies(store, queries),
        }
        if optimize:
            (seconds,), stall = await _timed(store.optimize)
            result["optimize"] = {
                "seconds": round(seconds, 1),
                "max_event_loop_stall_ms": round(stall * 1000, 1),
                **await store.points_info(),
            }
            result["search_after_optimize"] = await _search_latencies(store, queries)
        return result
    finally:
        await store.close()
        shutil.rmtree(path, ignore_errors=True)


def _markdown(report: dict[str, Any]) -> str:
    lines = [
        "# Vector search benchmark (embedded Qdrant Edge)",
        "",
        f"{report['machine']}; qdrant-edge-py {report['qdrant_edge']}; dimension {DIMENSION}; "
        f"{SERVERS} servers; {report['queries']} queries per mode; limit 5; "
        "every search filtered by server (half of them also by channel). "
        f"Load average (1/5/15 min) at start {report['load_average_at_start']}, at end "
        f"{report['load_average_at_end']}: other work shared the 2 cores.",
        "",
        "| chunks | index | mode | p50 ms | p95 ms | max ms |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for run in report["runs"]:
        for label, key in (("plain", "search"), ("optimized", "search_after_optimize")):
            for mode, stats in run.get(key, {}).items():
                lines.append(
                    f"| {run['chunks']:,} | {label} | {mode} | {stats['p50_ms']} | "
                    f"{stats['p95_ms']} | {stats['max_ms']} |"
                )
    lines += [
        "",
        "| chunks | upsert chunks/s | max loop stall ms | optimize s |",
        "| --- " * 4 + "|",
    ]
    for run in report["runs"]:
        optimize = run.get("optimize", {})
        lines.append(
            f"| {run['chunks']:,} | {run['upsert']['chunks_per_s']:,} | "
            f"{run['upsert']['max_event_loop_stall_ms']} | {optimize.get('seconds', '-')} |"
        )
    lines += [
        "",
        "Upsert throughput includes BM25 encoding and payload building, in calls of "
        f"{UPSERT_CALL} chunks. 'max loop stall' is the longest time the asyncio loop could "
        "not run during the upserts (the engine holds the GIL during each batch).",
        "'plain' = as written (no HNSW: filtered brute force over one server's chunks); "
        "'optimized' = after EdgeVectorStore.optimize() built the indexes.",
    ]
    return "\n".join(lines) + "\n"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--no-optimize", action="store_true")
    args = parser.parse_args()
    from importlib.metadata import version

    report: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, CPU only",
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "qdrant_edge": version("qdrant-edge-py"),
        "dimension": DIMENSION,
        "servers": SERVERS,
        "queries": args.queries,
        "runs": [],
    }
    with tempfile.TemporaryDirectory(prefix="sohbet-bench-") as tmp:
        for size in args.sizes:
            print(f"== {size:,} chunks", flush=True)
            run = await run_size(size, args.queries, not args.no_optimize, Path(tmp))
            print(json.dumps(run, indent=2), flush=True)
            report["runs"].append(run)
    report["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "vector_search.json").write_text(json.dumps(report, indent=2) + "\n")
    (RESULTS / "vector_search.md").write_text(_markdown(report))
    print(_markdown(report))


if __name__ == "__main__":
    asyncio.run(main())
