"""A budget of CPU time and memory per upload, enforced by running it in its own process.

    budget = UploadBudget(cpu_seconds=30, memory_mb=512).within(operator_limit)
    prepared = await parse_and_split(data, filename, limits, budget=budget)
    prepared.document, prepared.chunks      # a ParsedDocument and its TextChunks

Parsing and splitting run in a child process forked from a small server process that has
already imported the readers (multiprocessing's forkserver: about 10 ms per upload, and never
a fork of the bot itself with its threads and models). The child's limits are set by the
kernel (RLIMIT_CPU, RLIMIT_AS) and checked by the child between pieces of work, and the parent
kills it after a wall-clock deadline. Past any of them the upload stops with OverBudget, one
sentence for its uploader, before anything was stored: callers store nothing until this
returns. Nothing of the child is shared with the bot, so a reader that misbehaves on a hostile
file can only ever cost its own budget.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing as mp
import os
import resource
import signal
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from bot.documents.errors import CorruptDocument, DocumentError, display_name
from bot.documents.models import DEFAULT_LIMITS, DocumentLimits, ParsedDocument, TextChunk
from bot.documents.parse import parse_document_sync
from bot.documents.pdf_reader import ProgressCallback
from bot.documents.split import split_document

__all__ = ["OPERATOR_LIMIT", "OverBudget", "Prepared", "UploadBudget", "parse_and_split",
           "parse_and_split_sync"]  # fmt: skip

log = logging.getLogger(__name__)

_MB = 1024 * 1024
# Extra wall time over the CPU budget before the parent kills a child that stopped reporting
# (e.g. waiting on a CPU the other processes hold).
_WALL_FACTOR = 3.0
_WALL_SLACK = 10.0


@dataclass(frozen=True)
class UploadBudget:
    """What one upload may spend on parsing and splitting: CPU seconds and memory (MB)."""

    cpu_seconds: float = 60.0
    memory_mb: int = 1024

    def __post_init__(self) -> None:
        if self.cpu_seconds <= 0 or self.memory_mb <= 0:
            raise ValueError("an upload budget must be positive")

    def within(self, limit: UploadBudget) -> UploadBudget:
        """This budget, lowered where it exceeds the operator's `limit`."""
        return UploadBudget(
            min(self.cpu_seconds, limit.cpu_seconds), min(self.memory_mb, limit.memory_mb)
        )


OPERATOR_LIMIT = UploadBudget()
"""The default ceiling (SOHBET_UPLOAD_MAX_CPU_S, SOHBET_UPLOAD_MAX_MEMORY_MB override it)."""


class OverBudget(DocumentError):
    """Parsing an upload needed more CPU time or memory than its budget allows."""

    def __init__(self, name: str, budget: UploadBudget, resource_name: str) -> None:
        if resource_name == "memory":
            amount = f"more than the {budget.memory_mb:,} MB of memory"
        else:
            unit = "second" if budget.cpu_seconds == 1 else "seconds"
            amount = f"more than the {budget.cpu_seconds:g} {unit} of processing"
        super().__init__(
            f"`{name}` needed {amount} an upload may use here, so I stopped and added "
            "nothing of it: split it into smaller files or save it in a simpler format "
            "(plain text or PDF) and upload those.",
            name,
        )
        self.resource = resource_name


@dataclass(frozen=True)
class Prepared:
    """A parsed document, its chunks, and what the work cost (peak memory in MB, CPU s)."""

    document: ParsedDocument
    chunks: list[TextChunk]
    cpu_seconds: float = 0.0
    peak_mb: float = 0.0


def parse_and_split_sync(
    data: bytes,
    filename: str,
    limits: DocumentLimits = DEFAULT_LIMITS,
    content_type: str | None = None,
    *,
    chunk_size: int = 1000,
    chunk_overlap: int = 150,
    split: bool = True,
    progress: ProgressCallback | None = None,
) -> Prepared:
    """Parse and split (unless not `split`) in this process, with no budget (tests,
    benchmarks, the child)."""
    document = parse_document_sync(data, filename, limits, content_type, progress=progress)
    chunks = split_document(document, chunk_size, chunk_overlap) if split else []
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return Prepared(document, chunks, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


async def parse_and_split(
    data: bytes,
    filename: str,
    limits: DocumentLimits = DEFAULT_LIMITS,
    content_type: str | None = None,
    *,
    budget: UploadBudget = OPERATOR_LIMIT,
    chunk_size: int = 1000,
    chunk_overlap: int = 150,
    split: bool = True,
    progress: ProgressCallback | None = None,
) -> Prepared:
    """`parse_and_split_sync` in a child process held to `budget`.

    Raises the reader's own DocumentError, or OverBudget. `progress(done, total)` is called on
    the event loop's thread (PDF pages; (1, 1) for other formats). Cancelling kills the child.
    """
    limits.check_size(len(data), filename)
    loop = asyncio.get_running_loop()
    cancelled = threading.Event()

    def report(done: int, total: int) -> None:  # runs in the waiting thread
        if progress is not None:
            loop.call_soon_threadsafe(progress, done, total)

    job = _Job(data, filename, limits, content_type, budget, chunk_size, chunk_overlap, split)
    try:
        outcome = await asyncio.to_thread(_run, job, report, cancelled)
    except asyncio.CancelledError:
        cancelled.set()
        raise
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome


@dataclass(frozen=True)
class _Job:
    data: bytes
    filename: str
    limits: DocumentLimits
    content_type: str | None
    budget: UploadBudget
    chunk_size: int
    chunk_overlap: int
    split: bool


_context: Any = None
_context_lock = threading.Lock()


def _process_context() -> Any:
    """The forkserver context, its server preloaded with the readers (started once)."""
    global _context
    with _context_lock:
        if _context is None:
            context = mp.get_context("forkserver")
            context.set_forkserver_preload([__name__])
            _context = context
        return _context


def _run(
    job: _Job, report: ProgressCallback, cancelled: threading.Event
) -> Prepared | BaseException:
    """Start the child, relay its progress, return its result or the error to raise."""
    name = display_name(job.filename)
    context = _process_context()
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_child_main, args=(job, sender), daemon=True)
    child.start()
    sender.close()
    deadline = time.monotonic() + job.budget.cpu_seconds * _WALL_FACTOR + _WALL_SLACK
    try:
        while True:
            if cancelled.is_set():
                return asyncio.CancelledError()
            if time.monotonic() > deadline:
                log.warning("%s: upload still parsing at its wall-clock deadline", name)
                return OverBudget(name, job.budget, "time")
            if not receiver.poll(0.2):
                if not child.is_alive() and not receiver.poll(0):
                    return _death(name, job.budget, child.exitcode)
                continue
            try:
                message = receiver.recv()
            except (EOFError, OSError):
                child.join(1)
                return _death(name, job.budget, child.exitcode)
            kind = message[0]
            if kind == "progress":
                report(message[1], message[2])
            elif kind == "done":
                result: Prepared = message[1]
                return result
            else:  # "error"
                error: BaseException = message[1]
                return error
    finally:
        receiver.close()
        if child.is_alive():
            child.kill()
        child.join(5)
        child.close()


def _death(name: str, budget: UploadBudget, exitcode: int | None) -> BaseException:
    """Why a child ended without an answer: its CPU limit (SIGXCPU/SIGKILL) or its memory."""
    log.warning("%s: the parsing process ended with exit code %s", name, exitcode)
    if exitcode in (-signal.SIGXCPU, -signal.SIGKILL):
        return OverBudget(name, budget, "time")
    return OverBudget(name, budget, "memory")


# ----- in the child ---------------------------------------------------------------------


class _OutOfTime(BaseException):  # not caught by readers' `except Exception`
    pass


def _child_main(job: _Job, conn: Connection) -> None:
    name = display_name(job.filename)
    _limit_self(job.budget)

    def progress(done: int, total: int) -> None:
        conn.send(("progress", done, total))

    try:
        result = parse_and_split_sync(
            job.data,
            job.filename,
            job.limits,
            job.content_type,
            chunk_size=job.chunk_size,
            chunk_overlap=job.chunk_overlap,
            split=job.split,
            progress=progress,
        )
        message: tuple[Any, ...] = ("done", result)
    except _OutOfTime:
        message = ("error", OverBudget(name, job.budget, "time"))
    except MemoryError:
        message = ("error", OverBudget(name, job.budget, "memory"))
    except CorruptDocument as exc:
        # A reader that ran out of memory inside C code reports a damaged file: say why.
        resource_name = "memory" if _near_memory_limit(job.budget) else None
        message = ("error", OverBudget(name, job.budget, resource_name) if resource_name else exc)
    except DocumentError as exc:
        message = ("error", exc)
    except Exception:  # unexpected: logged here, a generic sentence for the uploader
        log.exception("%s: parsing failed", name)
        message = ("error", DocumentError(f"I couldn't read `{name}`; it may be damaged.", name))
    signal.signal(signal.SIGXCPU, signal.SIG_IGN)
    with contextlib.suppress(BrokenPipeError, MemoryError):
        conn.send(message)
    conn.close()


_base_rss_mb = 0.0


def _limit_self(budget: UploadBudget) -> None:
    """Kernel limits for this process: SIGXCPU at the CPU budget (raised as _OutOfTime),
    SIGKILL a second later, and no allocation past the memory budget."""
    global _base_rss_mb

    def out_of_time(signum: int, frame: object) -> None:
        raise _OutOfTime

    signal.signal(signal.SIGXCPU, out_of_time)
    used = resource.getrusage(resource.RUSAGE_SELF)
    cpu = int(used.ru_utime + used.ru_stime + budget.cpu_seconds + 0.999)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    _base_rss_mb = used.ru_maxrss / 1024
    address_space = _address_space() + budget.memory_mb * _MB
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))


def _address_space() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _near_memory_limit(budget: UploadBudget) -> bool:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - _base_rss_mb
    return peak > 0.8 * budget.memory_mb
