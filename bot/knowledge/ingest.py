"""Ingestion: bytes -> parsed pages -> chunks -> embeddings -> vectors + one SQL row.

Either the whole document lands (SQL row marked ready, every chunk stored) or nothing does.
Chunks are written pending (no search sees them), the row is marked ready, then the chunks
are published all at once. A crash anywhere leaves nothing served that `/docs list` doesn't
show: pending chunks stay invisible until bot.knowledge.reconcile removes them, and a ready
row whose chunks are still pending is published by it. Document ids derive from the server
and the file's hash, so re-adding a file after a lost database replaces its chunks instead of
duplicating them.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import IntegrityError

from bot.ai.base import Embedder
from bot.core.errors import SohbetError
from bot.documents import DocumentLimits, ParsedDocument, TextChunk
from bot.documents.budget import OPERATOR_LIMIT, UploadBudget, parse_and_split
from bot.i18n import _, format_number, ngettext
from bot.store.database import Store
from bot.store.models import Document
from bot.vectors import ChunkRecord, VectorStore

__all__ = [
    "STALE_AFTER",
    "DuplicateDocument",
    "IngestResult",
    "Ingestor",
    "Progress",
    "document_id_for",
    "is_abandoned",
    "is_stale",
]

log = logging.getLogger(__name__)

# Called with (stage, done, total): stage is "parsing", "embedding" or "storing".
Progress = Callable[[str, int, int], None]

# An "ingesting" row older than this was left by a process that died mid-upload: a new upload
# of the same file replaces it, and the reconciler removes it. Generous next to the measured
# ingest speed (about 100 chunks/s: a 20 MB upload takes well under a minute).
STALE_AFTER = timedelta(minutes=15)
_DOCUMENT_NAMESPACE = uuid.UUID("0c5e3f52-8d3e-4c8e-9a53-6b1f0b7d2a41")


def document_id_for(server_id: int, sha256: str) -> str:
    """The same file on the same server always gets the same id (and chunk ids)."""
    return str(uuid.uuid5(_DOCUMENT_NAMESPACE, f"{server_id}:{sha256}"))


def is_stale(document: Document, now: datetime | None = None) -> bool:
    """True for an upload that never finished and never will (by age alone)."""
    if document.status == "ready":
        return False
    created = document.created_at
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    return (now or datetime.now(UTC)) - created > STALE_AFTER


# An upload in progress renews its lease (bot_state row "ingest:<document id>": host, pid,
# time) before every batch. A lease whose process is gone on this host, or that was not renewed
# for LEASE_EXPIRES, marks an upload that died: it can be sent again at once, not after
# STALE_AFTER.
LEASE_EXPIRES = timedelta(minutes=2)
_HOST = socket.gethostname()
# Documents this process is adding right now. A lease naming this very process is only alive
# while its document is here: an upload that failed (its database went away mid-upload, so
# neither the row nor the lease could be removed) is known dead at once, not after
# LEASE_EXPIRES, so the file can be sent again and the entry deleted.
_ADDING_HERE: Counter[str] = Counter()


def _lease_key(document_id: str) -> str:
    return f"ingest:{document_id}"


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


async def is_abandoned(store: Store, document: Document, now: datetime | None = None) -> bool:
    """True for an upload that will never finish: stale by age, or its lease is dead."""
    if document.status == "ready":
        return False
    if is_stale(document, now):
        return True
    lease = await store.state.get(_lease_key(document.id))
    if lease is None:
        return False  # the row was just written; its first lease is on its way
    host, pid, at, *_owner = lease.split("|")
    renewed = datetime.fromisoformat(at)
    if (now or datetime.now(UTC)) - renewed > LEASE_EXPIRES:
        return True
    if host == _HOST and int(pid) == os.getpid():
        return document.id not in _ADDING_HERE
    return host == _HOST and not _process_alive(int(pid))


class DuplicateDocument(SohbetError):
    def __init__(self, existing: Document) -> None:
        if existing.status == "ready":
            message = (
                f"`{existing.name}` is already in this server's documents "
                f"(id `{existing.id[:8]}`), so I skipped it."
            )
        else:
            message = f"`{existing.name}` is being added right now; it will be ready shortly."
        super().__init__(message)
        self.existing = existing


@dataclass(frozen=True)
class IngestResult:
    document_id: str
    name: str
    pages: int
    chunks: int
    seconds: float

    def summary(self) -> str:
        return _(
            "Added **{name}**: {pages}, {chunks}, in {seconds} s (id `{id}`). Ask about it "
            "with `/ask`.",
            name=self.name,
            pages=ngettext("{n} page", "{n} pages", self.pages),
            chunks=ngettext("{n} chunk", "{n} chunks", self.chunks),
            seconds=format_number(self.seconds, 1),
            id=self.document_id[:8],
        )


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
        self.batch_size = batch_size
        self.budget = budget  # CPU time and memory to parse and split one upload
        self._owner: str | None = None  # the queued job whose attempt this is (its lease)

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
        """`attempt_of`: the id of a queued job this run is one attempt of. The queue runs
        one attempt at a time, so an unfinished row whose lease names the same job was left by
        an earlier attempt that died: it is replaced (or, ready already, just published)."""
        started = time.perf_counter()
        report = progress or (lambda stage, done, total: None)
        # Parsed and split in a child process held to the budget, before anything is stored.
        prepared = await parse_and_split(
            data,
            filename,
            self.limits,
            content_type,
            budget=self.budget,
            chunk_size=self.chunk_size,
            chunk_overlap=self.chunk_overlap,
            progress=lambda done, total: report("parsing", done, total),
        )
        parsed, chunks = prepared.document, prepared.chunks
        finished = await self._check_duplicate(server_id, parsed.sha256, attempt_of)
        if finished is not None:  # an earlier attempt of this job got as far as the row
            return IngestResult(
                finished.id,
                finished.name,
                finished.pages,
                finished.chunks,
                time.perf_counter() - started,
            )
        document_id = document_id_for(server_id, parsed.sha256)
        self._owner = attempt_of
        _ADDING_HERE[document_id] += 1  # counted: the same file may be sent twice at once
        try:
            return await self._store(
                parsed, chunks, document_id, server_id, uploader_id, channel_id, source_url,
                report, started,
            )  # fmt: skip
        finally:
            _ADDING_HERE[document_id] -= 1
            if _ADDING_HERE[document_id] <= 0:
                del _ADDING_HERE[document_id]

    async def _store(
        self,
        parsed: ParsedDocument,
        chunks: list[TextChunk],
        document_id: str,
        server_id: int,
        uploader_id: int,
        channel_id: int | None,
        source_url: str | None,
        report: Progress,
        started: float,
    ) -> IngestResult:
        """The row, the chunks (pending), the row ready, the chunks published; undone on any
        failure."""
        # The lease before the row: a row is never seen without one while it's being added.
        await self._renew_lease(document_id)
        await self._add_row_or_undo(
            Document(
                id=document_id,
                server_id=server_id,
                channel_id=channel_id,
                uploader_id=uploader_id,
                name=parsed.name[:300],
                kind=parsed.kind,
                sha256=parsed.sha256,
                size=parsed.size,
                pages=len(parsed.pages),
                chunks=0,
                status="ingesting",
                source_url=source_url if source_url and len(source_url) <= 500 else None,
            )
        )
        try:
            for start in range(0, len(chunks), self.batch_size):
                batch = chunks[start : start + self.batch_size]
                await self._renew_lease(document_id)
                report("embedding", start, len(chunks))
                vectors = await self.embedder.embed_documents([c.text for c in batch])
                await self.vectors.upsert(
                    [
                        ChunkRecord(
                            id=f"{document_id}:{chunk.position}",
                            text=chunk.text,
                            dense=vector,
                            server_id=server_id,
                            channel_id=channel_id,
                            document_id=document_id,
                            document_name=parsed.name,
                            uploader_id=uploader_id,
                            position=chunk.position,
                            page=chunk.page,
                            source_url=source_url,
                            pending=True,
                        )
                        for chunk, vector in zip(batch, vectors, strict=True)
                    ]
                )
            report("storing", len(chunks), len(chunks))
            await self.store.documents.mark_ready(
                server_id, document_id, len(parsed.pages), len(chunks)
            )
            await self.vectors.publish_document(server_id, document_id)
        except BaseException:
            await self._discard(server_id, document_id)
            raise
        await self._end_lease(document_id)
        return IngestResult(
            document_id, parsed.name, len(parsed.pages), len(chunks), time.perf_counter() - started
        )

    async def _renew_lease(self, document_id: str) -> None:
        now = datetime.now(UTC).isoformat()
        owner = f"|{self._owner}" if self._owner else ""
        await self.store.state.set(_lease_key(document_id), f"{_HOST}|{os.getpid()}|{now}{owner}")

    async def _end_lease(self, document_id: str) -> None:
        try:
            await self.store.state.delete(_lease_key(document_id))
        except Exception:  # a leftover lease is harmless: the row is ready
            log.warning("could not remove the upload lease of %s", document_id)

    async def _check_duplicate(
        self, server_id: int, sha256: str, attempt_of: str | None = None
    ) -> Document | None:
        """Refuse a duplicate; None: go ahead. A ready row that an earlier attempt of the same
        job wrote is published and returned instead (the job is done)."""
        existing = await self.store.documents.by_hash(server_id, sha256)
        if existing is None:
            return None
        if attempt_of is not None and await self._lease_owner(existing.id) == attempt_of:
            if existing.status == "ready":
                await self.vectors.publish_document(server_id, existing.id)
                await self._end_lease(existing.id)
                return existing
            log.warning("replacing the unfinished earlier attempt of job %s", attempt_of)
            await self._discard(server_id, existing.id)
            return None
        if not await is_abandoned(self.store, existing):
            raise DuplicateDocument(existing)
        log.warning("replacing abandoned upload %s of server %s", existing.id, server_id)
        await self._discard(server_id, existing.id)
        return None

    async def _lease_owner(self, document_id: str) -> str | None:
        lease = await self.store.state.get(_lease_key(document_id))
        fields = lease.split("|") if lease else []
        return fields[3] if len(fields) > 3 else None

    async def _add_row_or_undo(self, document: Document) -> None:
        """`_add_row`; cancelled meanwhile (the row may be written): remove it again."""
        try:
            await self._add_row(document)
        except asyncio.CancelledError:
            await self._discard(document.server_id, document.id)
            raise

    async def _add_row(self, document: Document) -> None:
        """Insert the "ingesting" row; the same file uploaded at the same moment loses."""
        try:
            await self.store.documents.add(document)
        except IntegrityError:
            existing = await self.store.documents.by_hash(document.server_id, document.sha256)
            if existing is None:
                raise
            raise DuplicateDocument(existing) from None

    async def delete(self, server_id: int, document_id: str) -> int:
        """Remove a document's vectors, then its row. Returns the number of chunks removed."""
        removed = await self.vectors.delete_document(server_id, document_id)
        await self.store.documents.delete(server_id, document_id)
        return removed

    async def _discard(self, server_id: int, document_id: str) -> None:
        """Undo a failed ingestion; best effort, logged when even that fails."""
        try:
            await self.vectors.delete_document(server_id, document_id)
        except Exception:
            log.exception("could not remove vectors of failed document %s", document_id)
        try:
            await self.store.documents.delete(server_id, document_id)
        except Exception:
            log.exception("could not remove the row of failed document %s", document_id)
        await self._end_lease(document_id)
