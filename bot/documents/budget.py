"""A budget of CPU time and memory per upload, enforced by parsing in child processes.

    budget = UploadBudget(cpu_seconds=30, memory_mb=512).within(operator_limit)
    prepared = await parse_and_split(data, filename, limits, budget=budget)
    prepared.document, prepared.chunks      # a ParsedDocument and its TextChunks

    async for index, outcome in parse_and_split_many(files, limits, budget=budget):
        ...                                 # a Prepared, or the DocumentError to report

Parsing and splitting run in worker processes forked from a small server process that has
already imported the readers and the splitter (multiprocessing's forkserver: never a fork of
the bot itself with its threads and models). A worker stays alive across uploads and takes a
run of files per round trip (up to BATCH_FILES files and BATCH_BYTES bytes), so a folder of
small files costs no process start per file: measured in bench/results/bulk_ingest.md, a
process per file cost 15-400 ms (its start, re-importing the main module, which Python's
forkserver does in every child, and the splitter's import when not preloaded); in a worker a
one-paragraph file costs what parsing it in the bot's own process would.

Every file keeps a budget of its own. CPU: before each file the worker moves its soft
RLIMIT_CPU to the time used so far plus the budget (SIGXCPU, raised in the reader as
_OutOfTime), and the parent kills the worker when that file's CPU time (read from /proc)
passes the budget by a second, or its wall-clock deadline passes. Memory: the worker's address
space is capped at its size at start plus the budget (RLIMIT_AS) while it parses a file. A
worker that hit a limit ends itself after reporting it (what is left of it is not trusted),
and so does one that grew by GROWN_MB or idled for IDLE_S; a file refused for memory by a
worker that had parsed others before is tried again on a fresh one, so memory an earlier file
left behind never counts against it. Past any limit the file stops with OverBudget, one
sentence for its uploader, before anything of it was stored: callers store nothing until its
outcome arrives. Nothing of a worker is shared with the bot, so a reader that misbehaves on a
hostile file can only ever cost its own budget.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing as mp
import os
import resource
import select
import signal
import threading
import time
from collections.abc import AsyncGenerator, Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from bot.documents.errors import CorruptDocument, DocumentError, display_name
from bot.documents.models import DEFAULT_LIMITS, DocumentLimits, ParsedDocument, TextChunk
from bot.documents.parse import parse_document_sync
from bot.documents.pdf_reader import ProgressCallback
from bot.documents.split import split_document

__all__ = [
    "BATCH_BYTES",
    "BATCH_FILES",
    "OPERATOR_LIMIT",
    "FileToParse",
    "OverBudget",
    "Prepared",
    "UploadBudget",
    "parse_and_split",
    "parse_and_split_many",
    "parse_and_split_sync",
    "prestart_workers",
]

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
    started = _cpu_used()
    document = parse_document_sync(data, filename, limits, content_type, progress=progress)
    chunks = split_document(document, chunk_size, chunk_overlap) if split else []
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return Prepared(document, chunks, _cpu_used() - started, peak_mb)


# Files per child, and bytes of input per child: a run of small files shares one process.
BATCH_FILES = 64
BATCH_BYTES = 8 * _MB


@dataclass(frozen=True)
class FileToParse:
    """One file for `parse_and_split_many`: its bytes, its name and the type it was sent as."""

    data: bytes
    filename: str
    content_type: str | None = None


# (index of the file, pages done, pages in all), on the event loop's thread.
ManyProgress = Callable[[int, int, int], None]


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
    each = None if progress is None else (lambda _index, done, total: progress(done, total))
    files = [FileToParse(data, filename, content_type)]
    outcomes: list[Prepared | DocumentError] = []
    async for _index, outcome in parse_and_split_many(
        files,
        limits,
        budget=budget,
        chunk_size=chunk_size,
        chunk_overlap=chunk_overlap,
        split=split,
        progress=each,
    ):
        outcomes.append(outcome)
    if isinstance(outcomes[0], DocumentError):
        raise outcomes[0]
    return outcomes[0]


async def parse_and_split_many(
    files: Sequence[FileToParse],
    limits: DocumentLimits = DEFAULT_LIMITS,
    *,
    budget: UploadBudget = OPERATOR_LIMIT,
    chunk_size: int = 1000,
    chunk_overlap: int = 150,
    split: bool = True,
    progress: ManyProgress | None = None,
) -> AsyncGenerator[tuple[int, Prepared | DocumentError], None]:
    """Each file parsed and split in budgeted children, a run of files per child: yields
    (index in `files`, its Prepared or the DocumentError to tell its uploader) as each one is
    done (files over the size limit first, then the others in order). Every file has `budget`
    of its own. Leaving the loop early (or cancelling) kills the child at work."""
    loop = asyncio.get_running_loop()
    results: asyncio.Queue[tuple[int, Prepared | BaseException] | None] = asyncio.Queue()
    cancelled = threading.Event()

    def emit(index: int, outcome: Prepared | BaseException) -> None:  # the waiting thread
        loop.call_soon_threadsafe(results.put_nowait, (index, outcome))

    def report(index: int, done: int, total: int) -> None:  # the waiting thread
        if progress is not None:
            loop.call_soon_threadsafe(progress, index, done, total)

    jobs: list[_Job] = []
    for index, file in enumerate(files):
        try:
            limits.check_size(len(file.data), file.filename)
        except DocumentError as refused:
            emit(index, refused)
            continue
        jobs.append(
            _Job(
                index,
                file.data,
                file.filename,
                limits,
                file.content_type,
                budget,
                chunk_size,
                chunk_overlap,
                split,
            )
        )

    def work() -> None:
        try:
            _run_all(jobs, emit, report, cancelled)
        finally:
            loop.call_soon_threadsafe(results.put_nowait, None)

    worker = asyncio.ensure_future(asyncio.to_thread(work))
    try:
        while True:
            item = await results.get()
            if item is None:
                break
            index, outcome = item
            if isinstance(outcome, DocumentError | Prepared):
                yield index, outcome
            else:
                raise outcome
        await worker
    finally:
        cancelled.set()
        if not worker.done():
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.shield(worker)


@dataclass(frozen=True)
class _Job:
    index: int
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
    """The forkserver context, its server preloaded with the readers and the splitter (the
    splitter's import took 300 ms in every process that lacked it), started once."""
    global _context
    with _context_lock:
        if _context is None:
            context = mp.get_context("forkserver")
            context.set_forkserver_preload([__name__, "langchain_text_splitters"])
            _context = context
        return _context


def _runs(jobs: list[_Job]) -> list[list[_Job]]:
    """Consecutive files grouped for one round trip each: at most BATCH_FILES files, and
    BATCH_BYTES bytes unless the file is alone."""
    runs: list[list[_Job]] = []
    size = 0
    for job in jobs:
        if not runs or len(runs[-1]) >= BATCH_FILES or size + len(job.data) > BATCH_BYTES:
            runs.append([])
            size = 0
        runs[-1].append(job)
        size += len(job.data)
    return runs


Emit = Callable[[int, Prepared | BaseException], None]


def _run_all(
    jobs: list[_Job], emit: Emit, report: ManyProgress, cancelled: threading.Event
) -> None:
    """Every job through the pool's workers, a run of files per round trip. A memory
    refusal from a worker that had parsed other files before is tried again on a fresh one."""
    for run in _runs(jobs):
        waiting = list(run)
        while waiting and not cancelled.is_set():
            worker = _POOL.take()
            fresh = worker.fresh
            first = waiting[0]
            try:
                outcomes = worker.parse(waiting, report, cancelled)
            finally:
                _POOL.give_back(worker)
            retry_alone: _Job | None = None
            for job in list(waiting):
                if job.index not in outcomes:
                    continue
                waiting.remove(job)
                outcome = outcomes[job.index]
                if (
                    not (fresh and job is first)
                    and isinstance(outcome, OverBudget)
                    and outcome.resource == "memory"
                ):
                    retry_alone = job  # a worker stops at its first refusal: one at most
                    continue
                emit(job.index, outcome)
            if retry_alone is not None:
                alone = _Worker()
                try:
                    again = alone.parse([retry_alone], report, cancelled)
                finally:
                    alone.stop()
                emit(retry_alone.index, again.get(retry_alone.index, asyncio.CancelledError()))
        if cancelled.is_set():
            return


class _Worker:
    """One parsing process, alive across round trips until it hits a limit, grows, idles
    for IDLE_S, or is stopped."""

    def __init__(self) -> None:
        context = _process_context()
        self.conn, child_end = context.Pipe(duplex=True)
        self.process = context.Process(target=_worker_main, args=(child_end,), daemon=True)
        self.process.start()
        child_end.close()
        self.fresh = True  # no file parsed yet: nothing left behind by an earlier one

    @property
    def alive(self) -> bool:
        # The process's sentinel, read directly: Process.is_alive() loops on time.monotonic(),
        # which a test clock (SimCord's) may hold still.
        ready, _, _ = select.select([self.process.sentinel], [], [], 0)
        return not ready

    def parse(
        self, jobs: list[_Job], report: ManyProgress, cancelled: threading.Event
    ) -> dict[int, Prepared | BaseException]:
        """Send `jobs`; relay the worker's progress; return the outcomes it gave, by index:
        it stops after the first file that hit a limit (the rest are not in the result)."""
        outcomes: dict[int, Prepared | BaseException] = {}
        current = jobs[0]
        try:
            self.conn.send(("jobs", jobs))
        except (BrokenPipeError, OSError):
            outcomes[current.index] = _death(current, self.process.exitcode)
            return outcomes
        self.fresh = False
        cpu_at_start = 0.0
        deadline = _deadline(current)
        checked = time.monotonic()
        while True:
            if cancelled.is_set():
                self.stop()
                return outcomes
            now = time.monotonic()
            over_cpu = False
            if now - checked >= 0.2:
                checked = now
                over_cpu = _over_cpu(self.process.pid, current, cpu_at_start)
            if now > deadline or over_cpu:
                name = display_name(current.filename)
                log.warning("%s: upload still parsing past its budget", name)
                outcomes[current.index] = OverBudget(name, current.budget, "time")
                self.stop()
                return outcomes
            if not self.conn.poll(0.2):
                if not self.alive and not self.conn.poll(0):
                    outcomes[current.index] = _death(current, self.process.exitcode)
                    return outcomes
                continue
            try:
                message = self.conn.recv()
            except (EOFError, OSError):
                self.process.join(1)
                outcomes[current.index] = _death(current, self.process.exitcode)
                return outcomes
            kind = message[0]
            if kind == "start":
                current = next(job for job in jobs if job.index == message[1])
                cpu_at_start = message[2]
                deadline = _deadline(current)
            elif kind == "progress":
                report(message[1], message[2], message[3])
            elif kind in ("done", "error"):
                outcomes[message[1]] = message[2]
            elif kind == "ready":  # every job answered; the worker waits for more
                return outcomes
            elif kind == "stopping":  # a limit was hit, or it grew: it ends itself
                self.process.join(5)
                return outcomes

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.conn.close()
        if self.alive:
            self.process.kill()
        self.process.join(5)


class _Pool:
    """Idle workers kept between calls (up to one per CPU); more start when all are busy."""

    def __init__(self) -> None:
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()

    def take(self) -> _Worker:
        with self._lock:
            while self._idle:
                worker = self._idle.pop()
                if worker.alive:
                    return worker
                worker.stop()
        return _Worker()

    def give_back(self, worker: _Worker) -> None:
        with self._lock:
            if worker.alive and len(self._idle) < (os.cpu_count() or 1):
                self._idle.append(worker)
                return
        worker.stop()


_POOL = _Pool()


def prestart_workers() -> None:
    """Start the process server and one idle parsing worker now (blocking: call it in a
    thread), so the first upload doesn't wait for them."""
    _POOL.give_back(_POOL.take())


def _deadline(job: _Job) -> float:
    return time.monotonic() + job.budget.cpu_seconds * _WALL_FACTOR + _WALL_SLACK


_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _over_cpu(pid: int | None, job: _Job, cpu_at_start: float) -> bool:
    """The worker's CPU time on this file passed its budget by a second (its SIGXCPU did
    not stop it: a reader stuck in C code). False where /proc can't tell."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return False
    used = (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime
    return used - cpu_at_start > job.budget.cpu_seconds + 1


def _death(job: _Job, exitcode: int | None) -> BaseException:
    """Why a worker ended without an answer: its CPU limit (SIGXCPU/SIGKILL) or its memory."""
    name = display_name(job.filename)
    log.warning("%s: the parsing process ended with exit code %s", name, exitcode)
    if exitcode in (-signal.SIGXCPU, -signal.SIGKILL):
        return OverBudget(name, job.budget, "time")
    return OverBudget(name, job.budget, "memory")


# ----- in the worker ----------------------------------------------------------------------

# A worker ends itself after this long without work, or when it holds this much more memory
# than at its start (what a big file left behind must not count against the next one).
IDLE_S = 300.0
GROWN_MB = 64


class _OutOfTime(BaseException):  # not caught by readers' `except Exception`
    pass


def _worker_main(conn: Connection) -> None:
    global _base_address_space, _base_rss_mb
    _base_address_space = _address_space()
    _base_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    signal.signal(signal.SIGXCPU, _out_of_time)
    while conn.poll(IDLE_S):
        try:
            _kind, jobs = conn.recv()
        except (EOFError, OSError):
            return
        stop = False
        for job in jobs:
            conn.send(("start", job.index, _cpu_used()))
            message, stop = _parse_one(job, conn)
            with contextlib.suppress(BrokenPipeError, MemoryError):
                conn.send(message)
            if stop:  # a limit was hit: what is left of this process is not to be trusted
                break
        grown = (_address_space() - _base_address_space) / _MB > GROWN_MB
        if stop or grown:
            with contextlib.suppress(BrokenPipeError, MemoryError):
                conn.send(("stopping",))
            return
        conn.send(("ready",))


def _parse_one(job: _Job, conn: Connection) -> tuple[tuple[Any, ...], bool]:
    """("done" | "error", index, outcome), and whether this worker must stop."""
    name = display_name(job.filename)

    def progress(done: int, total: int) -> None:
        conn.send(("progress", job.index, done, total))

    _limit_memory(job.budget)
    _limit_cpu(job.budget)
    stop = False
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
        message: tuple[Any, ...] = ("done", job.index, result)
    except _OutOfTime:
        message, stop = ("error", job.index, OverBudget(name, job.budget, "time")), True
    except MemoryError:
        message, stop = ("error", job.index, OverBudget(name, job.budget, "memory")), True
    except CorruptDocument as exc:
        # A reader that ran out of memory inside C code reports a damaged file: say why.
        if _near_memory_limit(job.budget):
            message, stop = ("error", job.index, OverBudget(name, job.budget, "memory")), True
        else:
            message = ("error", job.index, exc)
    except DocumentError as exc:
        message = ("error", job.index, exc)
    except Exception:  # unexpected: logged here, a generic sentence for the uploader
        log.exception("%s: parsing failed", name)
        error = DocumentError(f"I couldn't read `{name}`; it may be damaged.", name)
        message = ("error", job.index, error)
    _lift_memory_limit()  # sending the result must not fail for want of memory
    if stop:
        signal.signal(signal.SIGXCPU, signal.SIG_IGN)
    else:
        _lift_cpu_limit()
    return message, stop


_base_rss_mb = 0.0
_base_address_space = 0


def _out_of_time(signum: int, frame: object) -> None:
    raise _OutOfTime


def _cpu_used() -> float:
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime


def _limit_cpu(budget: UploadBudget) -> None:
    """SIGXCPU once this file has used its CPU budget (the parent kills a second later)."""
    soft = int(_cpu_used() + budget.cpu_seconds + 0.999)
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def _lift_cpu_limit() -> None:
    """Between files: no SIGXCPU while sending the result and waiting for the next file."""
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    resource.setrlimit(resource.RLIMIT_CPU, (hard, hard))


def _limit_memory(budget: UploadBudget) -> None:
    """No allocation past the memory budget over this worker's size at its start."""
    address_space = _base_address_space + budget.memory_mb * _MB
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        address_space = min(address_space, hard)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (address_space, hard))


def _lift_memory_limit() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (hard, hard))


def _address_space() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _near_memory_limit(budget: UploadBudget) -> bool:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - _base_rss_mb
    return peak > 0.8 * budget.memory_mb
