"""Event-loop lag under load: 50 simultaneous conversations plus a large document ingestion.

Everything goes through the real Router (build_app), the way the Discord adapter drives it:
each conversation is a plain message from its own member and channel, and the ingestion is a
`/docs upload` command carrying a ~1.5 MB Markdown attachment. A LoopLagMonitor samples the
event loop every 20 ms throughout. Target: p99 and max lag below 100 ms.

Default (stand-in plugins named `chat` and `docs`, realistic off-loop work): the chat stand-in
reads history, writes both turns and usage to the database, and streams a reply whose tokens
are each computed by a torch matmul in a worker thread; the docs stand-in parses and splits
the upload with the real document pipeline, embeds batches with torch in a worker thread and
upserts them into the real embedded Qdrant Edge store, with progress edits.

`--real` swaps in the installed `chat` and `docs` (RAG) plugins with their real models
(slow on CPU: lower --conversations, e.g. 8).

    python -m bench.concurrency
    python -m bench.concurrency --database-url postgresql+asyncpg://postgres@127.0.0.1/sohbet_bench
    python -m bench.concurrency --real --conversations 8 --doc-mb 0.3
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from bot.app import App, build_app
from bot.config import Config
from bot.core import (
    Attachment,
    Context,
    Message,
    Plugin,
    Services,
    command,
    listener,
)
from bot.core.events import Author, CommandCall, Location, Reply
from bot.documents import parse_document, split_document_async
from bot.observability import GCPauseRecorder, LoopLagMonitor, Metrics, start_observability
from bot.store.models import Document
from bot.vectors import ChunkRecord, VectorStore, open_vector_store

RESULTS = Path(__file__).parent / "results"
SERVER = 4242
TARGET_MS = 100.0
DIMENSION = 384
EMBED_BATCH = 32
WORDS = [
    "river", "market", "engine", "garden", "theory", "signal", "harbor", "lantern", "archive",
    "orbit", "meadow", "circuit", "ledger", "canvas", "voyage", "quartz", "summit", "fabric",
    "beacon", "mosaic", "tunnel", "canyon", "pepper", "violin", "glacier", "compass", "timber",
]  # fmt: skip


# ----- stand-in plugins ---------------------------------------------------------------------


class _TinyModel:
    """Stands in for local inference: each token is a few matmuls in a worker thread (the GIL
    is released inside torch, as in real inference). Like the real engines, one model instance
    runs one computation at a time (a lock), whatever the number of waiting conversations."""

    def __init__(self, width: int = 768) -> None:
        import torch

        self.lock = threading.Lock()
        generator = torch.Generator().manual_seed(0)
        self.weight = torch.randn(width, width, generator=generator) / width**0.5
        self.state = torch.randn(64, width, generator=generator)

    def step(self) -> int:
        with self.lock:
            out = self.state
            for _ in range(4):
                out = (out @ self.weight).tanh()
            return int(out.abs().argmax()) % len(WORDS)

    def embed(self, texts: list[str]) -> list[list[float]]:

        with self.lock:
            return self._embed(texts)

    def _embed(self, texts: list[str]) -> list[list[float]]:
        import torch

        seeds = [int(hashlib.blake2b(t.encode(), digest_size=4).hexdigest(), 16) for t in texts]
        rows = torch.stack(
            [torch.randn(DIMENSION, generator=torch.Generator().manual_seed(s)) for s in seeds]
        )
        mixing = self.weight[:DIMENSION, :DIMENSION]
        for _ in range(8):  # about as much arithmetic as a small sentence encoder per batch
            rows = (rows @ mixing).tanh()
        rows = rows / rows.norm(dim=1, keepdim=True)
        return [r.tolist() for r in rows]


class StandInChat(Plugin):
    name = "chat"
    description = "Benchmark stand-in for the chat plugin"

    def __init__(self, tokens: int = 24) -> None:
        super().__init__()
        self.tokens = tokens
        self.model: _TinyModel | None = None

    async def setup(self, services: Services) -> None:
        await super().setup(services)
        self.model = await asyncio.to_thread(_TinyModel)

    @listener()
    async def on_message(self, ctx: Context, message: Message) -> None:
        assert self.model is not None
        store = ctx.services.store
        key = ctx.conversation
        _summary, turns = await store.conversations.history(key, limit=20)
        await store.conversations.append(
            key, "user", message.content, author_id=ctx.author.id, author_name=ctx.author.name
        )
        model = self.model

        async def generate() -> AsyncIterator[str]:
            for _ in range(self.tokens):
                yield WORDS[await asyncio.to_thread(model.step)] + " "

        text = await ctx.stream(generate())
        await store.conversations.append(key, "assistant", text, tokens=self.tokens)
        await store.usage.add(ctx.server_id, ctx.author.id, 20 + 10 * len(turns), self.tokens)


class StandInDocs(Plugin):
    name = "docs"
    description = "Benchmark stand-in for the RAG plugin's ingestion"

    def __init__(self) -> None:
        super().__init__()
        self.model: _TinyModel | None = None
        self.vectors: VectorStore | None = None
        self.chunks = 0

    async def setup(self, services: Services) -> None:
        await super().setup(services)
        self.model = await asyncio.to_thread(_TinyModel)
        self.vectors = await open_vector_store(
            None, services.config.data_dir / "vectors", DIMENSION
        )
        services.extras["vectors"] = self.vectors  # closed by App.close, probed by /readyz

    @command("docs upload", description="Add a document")
    async def upload(self, ctx: Context, file: Attachment) -> None:
        assert self.model is not None and self.vectors is not None
        store, vectors = ctx.services.store, self.vectors
        progress = await ctx.reply(f"Reading `{file.name}`…")
        data = await file.read()
        doc = await parse_document(data, file.name, content_type=file.content_type)
        chunks = await split_document_async(doc)
        document_id = str(uuid.uuid4())
        await store.documents.add(
            Document(
                id=document_id, server_id=ctx.server_id, channel_id=None,
                uploader_id=ctx.author.id, name=file.name, kind=doc.kind, sha256=doc.sha256,
                size=len(data), status="ingesting",
            )
        )  # fmt: skip
        last_edit = time.monotonic()
        for start in range(0, len(chunks), EMBED_BATCH):
            batch = chunks[start : start + EMBED_BATCH]
            dense = await asyncio.to_thread(self.model.embed, [c.text for c in batch])
            await vectors.upsert(
                [
                    ChunkRecord(
                        id=f"{document_id}:{c.position}", text=c.text, dense=d,
                        server_id=ctx.server_id, channel_id=None, document_id=document_id,
                        document_name=file.name, uploader_id=ctx.author.id,
                        position=c.position, page=c.page,
                    )
                    for c, d in zip(batch, dense, strict=True)
                ]
            )  # fmt: skip
            if time.monotonic() - last_edit >= 1.0:  # Discord-friendly progress edits
                await progress.edit(f"Indexing… {start + len(batch)}/{len(chunks)} chunks")
                last_edit = time.monotonic()
        await store.documents.mark_ready(ctx.server_id, document_id, len(doc.pages), len(chunks))
        self.chunks = len(chunks)
        await progress.edit(f"Added `{file.name}`: {len(chunks)} chunks.")


# ----- the platform side --------------------------------------------------------------------


@dataclass
class _Sent:
    responder: BenchResponder

    link: str | None = None

    async def edit(self, text: str) -> None:
        self.responder._mark()
        self.responder.edits += 1
        self.responder.last_text = text


@dataclass
class BenchResponder:
    """Records when the first and last parts of the answer arrived."""

    started: float = field(default_factory=time.perf_counter)
    first: float | None = None
    done: float | None = None
    edits: int = 0
    last_text: str = ""
    ephemeral_errors: list[str] = field(default_factory=list)

    def _mark(self) -> None:
        now = time.perf_counter()
        self.first = self.first or now
        self.done = now

    async def send(self, reply: Reply) -> _Sent:
        self._mark()
        self.last_text = reply.text
        if reply.ephemeral:
            self.ephemeral_errors.append(reply.text)
        return _Sent(self)

    async def stream(self, chunks: AsyncIterator[str], *, ephemeral: bool = False) -> str:
        parts = []
        async for part in chunks:
            self._mark()
            parts.append(part)
        self.last_text = "".join(parts)
        return self.last_text

    async def defer(self, *, ephemeral: bool = False) -> None:
        return None

    async def fetch_history(self, limit: int, since: datetime | None = None) -> list[Message]:
        return []


def big_markdown(megabytes: float, seed: int = 3) -> bytes:
    rng = random.Random(seed)
    parts: list[str] = []
    size = 0
    section = 0
    while size < megabytes * 1_000_000:
        section += 1
        lines = [f"## Section {section}: the {rng.choice(WORDS)} {rng.choice(WORDS)}", ""]
        for _ in range(6):
            sentences = [
                " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 18))).capitalize() + "."
                for _ in range(rng.randint(3, 6))
            ]
            lines += [" ".join(sentences), ""]
        block = "\n".join(lines)
        parts.append(block)
        size += len(block)
    return "\n".join(parts).encode()


def member(index: int) -> Author:
    return Author(10_000 + index, f"member{index}")


async def conversation(app: App, index: int, turns: int) -> list[BenchResponder]:
    responders = []
    for turn in range(turns):
        responder = BenchResponder()
        event = Message(
            id=1_000_000 + index * 100 + turn,
            content=f"Tell me about the {WORDS[(index + turn) % len(WORDS)]}, please.",
            author=member(index),
            location=Location(SERVER, 500 + index),
            mentions_bot=True,
        )
        await app.router.handle_message(event, responder)
        responders.append(responder)
    return responders


async def ingestion(app: App, data: bytes) -> BenchResponder:
    async def fetch() -> bytes:
        return data

    responder = BenchResponder()
    upload = Attachment("handbook.md", "text/markdown", len(data), fetch=fetch)
    call = CommandCall(
        name="docs upload",
        options={"file": upload},
        author=Author(9, "uploader", frozenset({"manage_guild"})),
        location=Location(SERVER, 499),
        id=999,
    )
    await app.router.handle_command(call, responder)
    return responder


# ----- running ------------------------------------------------------------------------------


def _ms(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(p95 * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


async def _build(args: argparse.Namespace, data_dir: Path) -> App:
    config = Config(data_dir=data_dir, database_url=args.database_url)
    if not args.real:
        return await build_app(config, plugins=[StandInChat(args.tokens), StandInDocs()])
    app = await build_app(config)  # the installed plugins, as `sohbet run` loads them
    missing = [n for n in ("chat", "docs") if n not in app.registry.plugins]
    if missing or "docs upload" not in app.registry.slash:
        errors = {n: app.registry.load_errors.get(n, "not installed") for n in missing}
        await app.close()
        raise SystemExit(f"--real needs the chat and docs plugins: {errors}")
    return app


async def _forget_earlier_runs(app: App) -> None:
    """A reused database (PostgreSQL) starts each run empty for the benchmark's server."""
    for document in await app.store.documents.list(SERVER):
        await app.store.documents.delete(SERVER, document.id)
    await app.store.conversations.delete_older_than(0, SERVER)


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="sohbet-bench-") as tmp:
        started = time.perf_counter()
        app = await _build(args, Path(tmp))
        setup_s = time.perf_counter() - started
        data = big_markdown(args.doc_mb)
        observability = None
        try:
            await _forget_earlier_runs(app)
            warm = time.perf_counter()  # first call loads models: not part of the measurement
            await conversation(app, 10_000, 1)
            warmup_s = time.perf_counter() - warm
            # As in production: router metrics, the 0.5 s lag gauge, startup objects frozen.
            observability = await start_observability(
                app, metrics=Metrics(process=False), freeze_gc=not args.no_gc_freeze
            )
            gc_pauses: list[tuple[int, float]] = []
            recorder = GCPauseRecorder(lambda gen, s: gc_pauses.append((gen, s)))
            recorder.install()
            monitor = LoopLagMonitor(args.lag_interval, warn_above=None)
            monitor.start()
            began = time.perf_counter()
            upload_task = asyncio.create_task(ingestion(app, data))
            conversations = await asyncio.gather(
                *(conversation(app, i, args.turns) for i in range(args.conversations))
            )
            upload = await upload_task
            wall_s = time.perf_counter() - began
            await monitor.stop()
            recorder.remove()
            replies = [r for conv in conversations for r in conv]
            lag = monitor.stats()
            chunks = getattr(app.registry.plugins["docs"], "chunks", None)
            document = await app.store.documents.list(SERVER)
        finally:
            if observability is not None:
                await observability.close()
            await app.close()
    failed = [r for r in replies if r.ephemeral_errors or not r.last_text]
    return {
        "mode": "real" if args.real else "stand-in",
        "database": "postgresql" if (args.database_url or "").startswith("postgres") else "sqlite",
        "conversations": args.conversations,
        "turns_per_conversation": args.turns,
        "tokens_per_reply": None if args.real else args.tokens,
        "document_mb": round(len(data) / 1e6, 2),
        "document_chunks": chunks or (document[0].chunks if document else 0),
        "setup_s": round(setup_s, 2),
        "warmup_s": round(warmup_s, 2),
        "wall_s": round(wall_s, 2),
        "ingestion_s": round((upload.done or began) - upload.started, 2),
        "ingestion_reply": upload.last_text[:120],
        "ingestion_progress_edits": upload.edits,
        "reply_first_part": _ms([r.first - r.started for r in replies if r.first]),
        "reply_total": _ms([r.done - r.started for r in replies if r.done]),
        "replies_failed": len(failed),
        "failure_examples": [(r.ephemeral_errors or [r.last_text])[0][:160] for r in failed[:3]],
        "loop_lag": lag.as_dict(),
        "gc_frozen_at_start": not args.no_gc_freeze,
        "gc_full_collections": sum(1 for gen, _ in gc_pauses if gen == 2),
        "gc_max_pause_ms": round(max((p for _, p in gc_pauses), default=0.0) * 1000, 1),
        "lag_interval_ms": args.lag_interval * 1000,
        # Other processes on the machine delay the loop too: compare with the core count.
        "load_average_1m": round(os.getloadavg()[0], 2),
        "target_ms": TARGET_MS,
        "passed": lag.p99 * 1000 < TARGET_MS and lag.max * 1000 < TARGET_MS and not failed,
    }


def _markdown(runs: dict[str, dict[str, Any]], machine: dict[str, Any]) -> str:
    lines = [
        "# Concurrency: event-loop lag under load",
        "",
        f"{machine['cpus']} CPU cores, Python {machine['python']}, {machine['platform']}.",
        "Through the real Router: N simultaneous conversations (one message each from a",
        "different member and channel) plus one large Markdown upload (`/docs upload`).",
        f"Loop lag sampled every 20 ms; target p99 and max < {TARGET_MS:.0f} ms.",
        "`python -m bench.concurrency` (stand-in plugins), `--real` (installed chat + docs).",
        "",
        "| run | conv. | doc (MB / chunks) | wall s | ingestion s | reply p50 / p95 s | "
        "lag p50 / p99 / max ms | failed | load avg | pass |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in sorted(runs.items()):
        total = r["reply_total"]
        lag = r["loop_lag"]
        lines.append(
            f"| {name} | {r['conversations']}x{r['turns_per_conversation']} "
            f"| {r['document_mb']} / {r['document_chunks']} | {r['wall_s']} | {r['ingestion_s']} "
            f"| {total.get('p50_ms', 0) / 1000:.1f} / {total.get('p95_ms', 0) / 1000:.1f} "
            f"| {lag['p50_ms']} / {lag['p99_ms']} / {lag['max_ms']} | {r['replies_failed']} "
            f"| {r.get('load_average_1m', '?')} | {'yes' if r['passed'] else 'NO'} |"
        )
    lines += [
        "",
        "Stand-in work per reply: history read, 2 turn writes and a usage write, and 24 tokens",
        "each computed by torch matmuls in a worker thread. Stand-in ingestion: the real parser",
        "and splitter, torch embedding of 32-chunk batches in a worker thread, upserts into the",
        "embedded Qdrant Edge store, progress edits at most once a second.",
        "`load avg` is the machine's 1-minute load at the end of the run: above the core count,",
        "other processes compete with the event loop for the CPU and the lag numbers say more",
        "about the machine than about Sohbet.",
        "",
        "Document text cleanup (`bot/documents/cleanup.py`) works in ~64 KB pieces cut at line",
        "ends: each regex/translate/NFC call on the whole text held the GIL for its full length",
        "(in a worker thread, but the loop waits for the GIL). On 5 MB of decomposed Turkish text",
        "the loop's worst delay went from 337 ms to 10 ms; the ASCII Markdown of this benchmark",
        "only cost about 20 ms before. `tests/ops/test_cleanup_stall.py` guards it.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--real", action="store_true", help="installed chat + docs plugins")
    parser.add_argument("--conversations", type=int, default=50)
    parser.add_argument("--turns", type=int, default=1, help="messages per conversation")
    parser.add_argument("--tokens", type=int, default=24, help="stand-in tokens per reply")
    parser.add_argument("--doc-mb", type=float, default=1.5, help="size of the uploaded document")
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temp folder")
    parser.add_argument("--lag-interval", type=float, default=0.02)
    parser.add_argument(
        "--no-gc-freeze", action="store_true", help="don't freeze startup objects (comparison)"
    )
    parser.add_argument("--no-save", action="store_true", help="print only")
    args = parser.parse_args(argv)

    result = asyncio.run(measure(args))
    print(json.dumps(result, indent=2))
    if not args.no_save:
        save(result)
    return 0 if result["passed"] else 1


def save(result: dict[str, Any]) -> None:
    """Add (or replace) this run in bench/results/concurrency.json and rewrite the .md."""
    machine = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
    }
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "concurrency.json"
    saved: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    runs: dict[str, Any] = saved.get("runs", {})
    gc_tag = "" if result["gc_frozen_at_start"] else "-gc-unfrozen"
    runs[f"{result['mode']}-{result['database']}{gc_tag}"] = {
        **result,
        "measured_at": result.get("measured_at") or datetime.now(UTC).isoformat(timespec="seconds"),
    }
    path.write_text(json.dumps({"machine": machine, "runs": runs}, indent=2) + "\n")
    (RESULTS / "concurrency.md").write_text(_markdown(runs, machine))


if __name__ == "__main__":
    sys.exit(main())
