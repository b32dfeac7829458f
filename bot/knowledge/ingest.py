"""Ingestion: files -> parsed pages -> chunks -> embeddings -> vectors + SQL rows, in batches.

One mechanism for every way documents arrive (`sohbet ingest`, a message's attachments, the
dashboard, a worker's job):

    report = await ingestor.ingest_many(uploads, server_id=1, uploader_id=0, progress=show)
    result = await ingestor.ingest(data, "manual.pdf", server_id=1, uploader_id=7)  # one file

Files go through in windows (up to WINDOW_FILES files, WINDOW_BYTES bytes). A window is read
and hashed; files whose contents are stored already are skipped without parsing or embedding;
the rest are parsed in budgeted child processes, many files per child (bot.documents.budget).
While the embedder works on one window the next one is read and parsed. A window's chunks are
embedded `batch_size` at a time across file boundaries, and its rows and vectors are written
with one publish step for the whole window.

Either a document lands whole (SQL row ready, every chunk searchable) or nothing of it is
served. A window's rows are written "ingesting" (after their leases, bot.knowledge.leases), its
chunks pending (no search sees them), then the rows are marked ready and the chunks published,
all at once. A crash anywhere leaves nothing served that `/docs list` doesn't show: pending
chunks stay invisible until bot.knowledge.reconcile (or the next run over the same files)
removes them, and a ready row whose chunks are still pending is published by either. A file
whose name (and uploader) matches a stored document with other contents replaces it once the
new version is published.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from sqlalchemy.exc import IntegrityError

from bot.ai.base import Embedder
from bot.core.errors import SohbetError
from bot.documents import DocumentError, DocumentLimits, TextChunk
from bot.documents.budget import (
    OPERATOR_LIMIT,
    FileToParse,
    Prepared,
    UploadBudget,
    parse_and_split_many,
)
from bot.documents.errors import display_name
from bot.knowledge.batch import (
    BatchProgress,
    BatchReport,
    DuplicateDocument,
    FileOutcome,
    IngestResult,
    OnProgress,
    SameFileTwice,
    Upload,
)
from bot.knowledge.leases import Leases, adding, document_id_for, is_abandoned
from bot.store.database import Store
from bot.store.models import Document
from bot.vectors import ChunkRecord, VectorStore

__all__ = ["WINDOW_BYTES", "WINDOW_FILES", "Ingestor", "Progress"]

log = logging.getLogger(__name__)

# Called with (stage, done, total) for one file: stage is "parsing", "embedding" or "storing".
Progress = Callable[[str, int, int], None]

# A window: the files read, parsed, embedded and published together. Big enough that the
# per-window work (a few SQL transactions, one publish) is nothing per file; small enough to
# keep memory bounded (two windows are held at most: one embedding, the next being parsed).
WINDOW_FILES = 256
FIRST_WINDOW_FILES = 32
WINDOW_BYTES = 16 * 1024 * 1024


@dataclass
class _File:
    """A file of a window on its way: read, hashed, then parsed (or given its outcome)."""

    index: int
    upload: Upload
    data: bytes = b""
    sha256: str = ""
    prepared: Prepared | None = None
    document_id: str = ""
    outcome: FileOutcome | None = None


@dataclass
class _Window:
    files: list[_File]
    to_publish: list[str] = field(default_factory=list)  # ready earlier, chunks still pending

    @property
    def parsed(self) -> list[_File]:
        return [f for f in self.files if f.prepared is not None and f.outcome is None]


class _Run:
    """One `ingest_many` call: where it stores, its outcomes and its progress."""

    def __init__(
        self,
        uploads: Sequence[Upload],
        server_id: int,
        uploader_id: int,
        channel_id: int | None,
        attempt_of: str | None,
        progress: OnProgress | None,
    ) -> None:
        self.server_id = server_id
        self.uploader_id = uploader_id
        self.channel_id = channel_id
        self.attempt_of = attempt_of
        self.on_progress = progress
        self.progress = BatchProgress(len(uploads), sum(u.expected_size for u in uploads))
        self.outcomes: dict[int, FileOutcome] = {}
        self.hashes: dict[str, str] = {}  # sha256 -> name of the first file with it
        self.started = time.perf_counter()

    def show(self, stage: str | None = None, done: int = 0, total: int = 0) -> None:
        if stage is not None:
            self.progress.stage, self.progress.done, self.progress.total = stage, done, total
        if self.on_progress is not None:
            self.on_progress(self.progress)

    def finish(self, file: _File, outcome: FileOutcome) -> None:
        file.outcome = outcome
        self.outcomes[file.index] = outcome
        p = self.progress
        p.files_done += 1
        p.bytes_done += file.upload.expected_size or len(file.data)
        setattr(p, outcome.status, getattr(p, outcome.status) + 1)
        file.data = b""  # done with the bytes: keep the window's memory small

    def result(self, document_id: str, name: str, pages: int, chunks: int) -> IngestResult:
        return IngestResult(document_id, name, pages, chunks, time.perf_counter() - self.started)


class Ingestor:
    def __init__(
        self,
        store: Store,
        vectors: VectorStore,
        embedder: Embedder,
        *,
        limits: DocumentLimits | None = None,
        chunk_size: int = 1000,
        chunk_overlap: int = 150,
        batch_size: int = 64,
        budget: UploadBudget = OPERATOR_LIMIT,
    ) -> None:
        self.store = store
        self.vectors = vectors
        self.embedder = embedder
        self.limits = limits or DocumentLimits()
        self.chunk_size = chunk_size
        self.chunk_overlap = chunk_overlap
        self.batch_size = batch_size  # chunks per embedding call (across files)
        self.budget = budget  # CPU time and memory to parse and split each file

    # ----- one file --------------------------------------------------------------------------

    async def ingest(
        self,
        data: bytes,
        filename: str,
        *,
        server_id: int,
        uploader_id: int,
        channel_id: int | None = None,
        source_url: str | None = None,
        content_type: str | None = None,
        progress: Progress | None = None,
        attempt_of: str | None = None,
    ) -> IngestResult:
        """One file through `ingest_many`; raises why it was not added (a DocumentError, a
        DuplicateDocument, OverBudget...). `attempt_of`: see `ingest_many`."""
        each = None
        if progress is not None:
            report = progress

            def each(state: BatchProgress) -> None:
                if state.stage in ("parsing", "embedding", "storing"):
                    report(state.stage, state.done, state.total)

        upload = Upload(filename, data, len(data), content_type, source_url)
        done = await self.ingest_many(
            [upload],
            server_id=server_id,
            uploader_id=uploader_id,
            channel_id=channel_id,
            progress=each,
            attempt_of=attempt_of,
        )
        (outcome,) = done.outcomes
        if outcome.status != "added":
            assert outcome.error is not None
            raise outcome.error
        assert outcome.result is not None
        return outcome.result

    # ----- many files ------------------------------------------------------------------------

    async def ingest_many(
        self,
        uploads: Sequence[Upload],
        *,
        server_id: int,
        uploader_id: int,
        channel_id: int | None = None,
        progress: OnProgress | None = None,
        attempt_of: str | None = None,
    ) -> BatchReport:
        """Add every file; a file that can't be added is reported (never raised), a failure
        of the embedder or a store is raised after undoing the window at work.

        `attempt_of`: the id of a queued job this run is one attempt of. The queue runs one
        attempt at a time, so an unfinished row whose lease names the same job was left by an
        earlier attempt that died: it is replaced (or, ready already, just published)."""
        run = _Run(uploads, server_id, uploader_id, channel_id, attempt_of, progress)
        queue: asyncio.Queue[_Window | None] = asyncio.Queue()
        ahead = asyncio.Semaphore(2)  # windows prepared but not yet stored: memory stays bounded
        producer = asyncio.create_task(self._prepare_all(run, uploads, queue, ahead))
        try:
            while (window := await queue.get()) is not None:
                await self._store_window(run, window)
                ahead.release()
            await producer  # its error, if it had one
        finally:
            if not producer.done():
                producer.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await producer
        run.show("done")
        ordered = [run.outcomes[i] for i in sorted(run.outcomes)]
        return BatchReport(ordered, time.perf_counter() - run.started)

    async def _prepare_all(
        self,
        run: _Run,
        uploads: Sequence[Upload],
        queue: asyncio.Queue[_Window | None],
        ahead: asyncio.Semaphore,
    ) -> None:
        try:
            for window in _windows(uploads):
                await ahead.acquire()
                queue.put_nowait(await self._prepare(run, window))
        finally:
            queue.put_nowait(None)

    async def _prepare(self, run: _Run, files: list[_File]) -> _Window:
        """Read and hash the window's files, skip what is stored, parse the rest."""
        window = _Window(files)
        await asyncio.to_thread(_read_and_hash, files)
        for file in files:
            if file.outcome is not None:  # could not be read
                run.finish(file, file.outcome)
        await self._sort_out_stored(run, window)
        todo = [f for f in files if f.outcome is None]
        if todo:
            run.show("parsing", 0, 1)

            def parsing(index: int, done: int, total: int) -> None:
                run.show("parsing", done, total)

            requests = [FileToParse(f.data, f.upload.name, f.upload.content_type) for f in todo]
            outcomes = parse_and_split_many(
                requests,
                self.limits,
                budget=self.budget,
                chunk_size=self.chunk_size,
                chunk_overlap=self.chunk_overlap,
                progress=parsing,
            )
            async with contextlib.aclosing(outcomes):
                async for index, parsed in outcomes:
                    file = todo[index]
                    if isinstance(parsed, DocumentError):
                        run.finish(file, _refused(file, parsed))
                    else:
                        file.prepared = parsed
                        file.data = b""
                        run.progress.chunks_known += len(parsed.chunks)
        run.show()
        return window

    async def _sort_out_stored(self, run: _Run, window: _Window) -> None:
        """Files whose contents are stored already: skipped (or, for the attempt that wrote
        them, done); unfinished uploads left by a dead process are removed to be redone."""
        files = [f for f in window.files if f.outcome is None]
        stored = {
            d.sha256: d for d in await self.store.documents.by_hashes(
                run.server_id, {f.sha256 for f in files}
            )
        }  # fmt: skip
        for file in files:
            name = display_name(file.upload.name)
            file.document_id = document_id_for(run.server_id, file.sha256)
            existing = stored.get(file.sha256)
            if file.sha256 in run.hashes:  # an earlier file of this run has the same contents
                error: SohbetError = SameFileTwice(name, run.hashes[file.sha256])
                run.finish(file, FileOutcome(file.index, name, "skipped", error=error))
                continue
            run.hashes[file.sha256] = name
            if existing is None:
                continue
            leases = Leases(self.store)
            if run.attempt_of is not None and await leases.owner_of(existing.id) == run.attempt_of:
                if existing.status == "ready":  # an earlier attempt of this job got that far
                    window.to_publish.append(existing.id)
                    await leases.end([existing.id])
                    result = run.result(existing.id, existing.name, existing.pages, existing.chunks)
                    run.finish(file, FileOutcome(file.index, existing.name, "added", result))
                else:
                    log.warning(
                        "replacing the unfinished earlier attempt of job %s", run.attempt_of
                    )
                    await self._discard(run.server_id, [existing.id])
                continue
            if existing.status == "ready":
                window.to_publish.append(existing.id)  # a crash may have left it pending
                error = DuplicateDocument(existing)
                run.finish(file, FileOutcome(file.index, name, "skipped", error=error))
            elif await is_abandoned(self.store, existing):
                log.warning(
                    "replacing abandoned upload %s of server %s", existing.id, run.server_id
                )
                await self._discard(run.server_id, [existing.id])
            else:
                error = DuplicateDocument(existing)
                run.finish(file, FileOutcome(file.index, name, "refused", error=error))

    async def _store_window(self, run: _Run, window: _Window) -> None:
        """Rows, chunks (pending), rows ready, chunks published: the window's documents are
        served all at once, or (on any failure) undone and the failure raised."""
        files = window.parsed
        if window.to_publish:
            await self._publish_leftovers(run.server_id, window.to_publish)
        leases = Leases(self.store, run.attempt_of)
        if files:
            with adding([f.document_id for f in files]):
                await self._store_documents(run, files, leases)
        await self._replace_earlier_versions(run, window)
        run.show()

    async def _store_documents(self, run: _Run, files: list[_File], leases: Leases) -> None:
        """The window's rows, chunks (pending), rows ready, chunks published; undone on any
        failure."""
        await leases.take([f.document_id for f in files])  # before the rows: see leases.py
        try:
            files = await self._add_rows(run, files)
            await self._embed_and_store(run, files, leases)
            run.show("storing", run.progress.chunks_done, run.progress.chunks_known)
            ids = [f.document_id for f in files]
            await self.store.documents.mark_ready_many(run.server_id, ids)
            await self.vectors.publish_documents(run.server_id, [f.document_id for f in files])
        except BaseException:
            await self._discard(run.server_id, [f.document_id for f in files], leases)
            raise
        await leases.end([f.document_id for f in files])
        for file in files:
            assert file.prepared is not None
            doc = file.prepared.document
            result = run.result(file.document_id, doc.name, len(doc.pages), len(_chunks(file)))
            run.finish(file, FileOutcome(file.index, doc.name, "added", result))

    async def _add_rows(self, run: _Run, files: list[_File]) -> list[_File]:
        """The window's "ingesting" rows in one transaction; when one of the files was
        added meanwhile by another upload, row by row, and that one is refused."""
        rows = {f.document_id: self._row(run, f) for f in files}
        try:
            await self.store.documents.add_many(list(rows.values()))
            return files
        except IntegrityError:
            pass
        kept: list[_File] = []
        for file in files:
            try:
                await self.store.documents.add(self._row(run, file))
                kept.append(file)
            except IntegrityError:
                existing = await self.store.documents.by_hash(run.server_id, file.sha256)
                if existing is None:
                    raise
                error = DuplicateDocument(existing)
                name = display_name(file.upload.name)
                run.finish(file, FileOutcome(file.index, name, "refused", error=error))
        return kept

    def _row(self, run: _Run, file: _File) -> Document:
        assert file.prepared is not None
        parsed = file.prepared.document
        url = file.upload.source_url
        return Document(
            id=file.document_id,
            server_id=run.server_id,
            channel_id=run.channel_id,
            uploader_id=run.uploader_id,
            name=parsed.name[:300],
            kind=parsed.kind,
            sha256=parsed.sha256,
            size=parsed.size,
            pages=len(parsed.pages),
            chunks=len(file.prepared.chunks),
            status="ingesting",
            source_url=url if url and len(url) <= 500 else None,
        )

    async def _embed_and_store(self, run: _Run, files: list[_File], leases: Leases) -> None:
        """Every chunk of the window, `batch_size` at a time across files, written pending."""
        records = [(f, chunk) for f in files for chunk in _chunks(f)]
        ids = [f.document_id for f in files]
        total = len(records)
        for start in range(0, total, self.batch_size):
            batch = records[start : start + self.batch_size]
            await leases.renew(ids)
            run.show("embedding", start, total)
            vectors = await self.embedder.embed_documents([chunk.text for _, chunk in batch])
            await self.vectors.upsert(
                [
                    ChunkRecord(
                        id=f"{file.document_id}:{chunk.position}",
                        text=chunk.text,
                        dense=vector,
                        server_id=run.server_id,
                        channel_id=run.channel_id,
                        document_id=file.document_id,
                        document_name=file.prepared.document.name if file.prepared else "",
                        uploader_id=run.uploader_id,
                        position=chunk.position,
                        page=chunk.page,
                        source_url=file.upload.source_url,
                        pending=True,
                    )
                    for (file, chunk), vector in zip(batch, vectors, strict=True)
                ]
            )
            run.progress.chunks_done += len(batch)
        run.show("embedding", total, total)

    async def _publish_leftovers(self, server_id: int, document_ids: list[str]) -> None:
        """Ready documents met again whose chunks a crash left pending: published now (only
        those, so a second run over the same files writes nothing)."""
        pending = await self.vectors.document_ids(pending_only=True)
        left = [d for d in document_ids if pending.get(d) == server_id]
        if left:
            log.warning("publishing %d ready documents a crash left unpublished", len(left))
            await self.vectors.publish_documents(server_id, left)

    async def _replace_earlier_versions(self, run: _Run, window: _Window) -> None:
        """A file stored under its name with other contents (by the same uploader) is an
        earlier version: removed once the new one is served (again on a later run, when a
        crash came in between)."""
        current = {
            f.outcome.name: f.document_id
            for f in window.files
            if f.outcome is not None and f.outcome.status in ("added", "skipped") and f.document_id
            and not isinstance(f.outcome.error, SameFileTwice)
        }  # fmt: skip
        if not current:
            return
        found = await self.store.documents.by_names(run.server_id, current, run.uploader_id)
        older = [
            d for d in found if d.status == "ready" and current.get(d.name) not in (None, d.id)
        ]
        for document in older:
            log.info("replacing %s of server %s by its new version", document.name, run.server_id)
            await self.delete(run.server_id, document.id)
        replaced_names = {d.name for d in older}
        for file in window.files:
            outcome = file.outcome
            if outcome is not None and outcome.name in replaced_names and outcome.status == "added":
                count = sum(1 for d in older if d.name == outcome.name)
                updated = replace(outcome, replaced=count)
                file.outcome = run.outcomes[file.index] = updated

    # ----- removing --------------------------------------------------------------------------

    async def delete(self, server_id: int, document_id: str) -> int:
        """Remove a document's vectors, then its row. Returns the number of chunks removed."""
        removed = await self.vectors.delete_document(server_id, document_id)
        await self.store.documents.delete(server_id, document_id)
        return removed

    async def _discard(
        self, server_id: int, document_ids: list[str], leases: Leases | None = None
    ) -> None:
        """Undo failed ingestions; best effort, logged when even that fails."""
        for document_id in document_ids:
            try:
                await self.vectors.delete_document(server_id, document_id)
            except Exception:
                log.exception("could not remove vectors of failed document %s", document_id)
        try:
            await self.store.documents.delete_many(server_id, document_ids)
        except Exception:
            log.exception("could not remove the rows of %d failed documents", len(document_ids))
        await (leases or Leases(self.store)).end(document_ids)


def _chunks(file: _File) -> list[TextChunk]:
    assert file.prepared is not None
    return file.prepared.chunks


def _refused(file: _File, error: SohbetError) -> FileOutcome:
    return FileOutcome(file.index, display_name(file.upload.name), "refused", error=error)


def _windows(uploads: Sequence[Upload]) -> list[list[_File]]:
    """Consecutive files, up to WINDOW_FILES files and WINDOW_BYTES bytes (a bigger file
    alone); the first window is smaller, so the embedder starts early."""
    windows: list[list[_File]] = []
    size = 0
    for index, upload in enumerate(uploads):
        length = max(upload.expected_size, 0)
        most = WINDOW_FILES if len(windows) > 1 else FIRST_WINDOW_FILES
        if not windows or len(windows[-1]) >= most or size + length > WINDOW_BYTES:
            windows.append([])
            size = 0
        windows[-1].append(_File(index, upload))
        size += length
    return windows


def _read_and_hash(files: list[_File]) -> None:
    """In a worker thread: each file's bytes and their sha256."""
    for file in files:
        try:
            file.data = file.upload.read()
        except OSError as exc:
            reason = exc.strerror or str(exc)
            name = display_name(file.upload.name)
            error = DocumentError(f"I can't read `{name}`: {reason}.", name)
            file.outcome = FileOutcome(file.index, name, "refused", error=error)
            continue
        except SohbetError as exc:
            file.outcome = _refused(file, exc)
            continue
        file.sha256 = hashlib.sha256(file.data).hexdigest()
