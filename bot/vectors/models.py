"""The vector store's interface: what goes in, what comes out, and the operations."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

__all__ = ["ChunkRecord", "SearchHit", "SearchMode", "SearchScope", "VectorStore"]

SearchMode = Literal["hybrid", "dense", "sparse"]


@dataclass(frozen=True)
class ChunkRecord:
    """One chunk of an uploaded document, with its dense embedding.

    `id` is the caller's stable chunk id (e.g. f"{document_id}:{position}"): upserting the same id
    again replaces the chunk. `channel_id=None` makes the chunk visible in every channel of
    its server.
    """

    id: str
    text: str
    dense: list[float]
    server_id: int
    channel_id: int | None
    document_id: str
    document_name: str
    uploader_id: int
    position: int
    page: int | None = None
    source_url: str | None = None
    # Written while its document is still being added: no search sees it until the document
    # is published (VectorStore.publish_document), so half a document is never served.
    pending: bool = False


@dataclass(frozen=True)
class SearchScope:
    """Where a search may look: always one server; optionally one channel of it.

    With a channel, hits come from chunks uploaded to that channel plus server-wide chunks
    (those stored with `channel_id=None`), or only the channel's own with `channel_only`;
    never from other channels or other servers.
    """

    server_id: int
    channel_id: int | None = None
    channel_only: bool = False


@dataclass(frozen=True)
class SearchHit:
    """A chunk found by a search.

    `score` is the ranking score of the chosen mode (RRF for hybrid, cosine for dense, BM25 for
    sparse). `dense_score` is the cosine similarity between the query vector and the chunk,
    whatever the mode, for answer thresholds; None when no query vector was given.
    `sparse_score` is the chunk's BM25 score when the BM25 leg found it.
    """

    id: str
    text: str
    server_id: int
    channel_id: int | None
    document_id: str
    document_name: str
    uploader_id: int
    position: int
    page: int | None
    source_url: str | None
    score: float
    dense_score: float | None
    sparse_score: float | None = None  # the BM25 score, when the BM25 leg found the chunk
    # Share of the query's searchable words (BM25 tokens) found in the chunk, 0..1 (hybrid).
    keyword_coverage: float | None = None


@runtime_checkable
class VectorStore(Protocol):
    """Chunks with a dense and a BM25 vector, searchable within a server/channel scope."""

    dimension: int

    async def upsert(self, chunks: Sequence[ChunkRecord]) -> None:
        """Insert or replace chunks (by `ChunkRecord.id`). Validates all before writing any."""
        ...

    async def search(
        self,
        query_text: str,
        query_vector: Sequence[float] | None,
        scope: SearchScope,
        limit: int = 5,
        mode: SearchMode = "hybrid",
    ) -> list[SearchHit]:
        """Best chunks in `scope`. Hybrid without a query vector falls back to BM25 alone."""
        ...

    async def document_chunks(self, server_id: int, document_id: str) -> list[SearchHit]:
        """Every chunk of one document of one server, in reading order (by `position`).

        Never returns another server's chunks. Scores are 0 and `dense_score` is None.
        """
        ...

    async def delete_document(self, server_id: int, document_id: str) -> int:
        """Delete every chunk of one document of one server; returns how many were deleted."""
        ...

    async def publish_document(self, server_id: int, document_id: str) -> None:
        """Make a document's pending chunks searchable, all at once. Idempotent."""
        ...

    async def publish_documents(self, server_id: int, document_ids: Sequence[str]) -> None:
        """Make the pending chunks of several documents searchable in one step. Idempotent."""
        ...

    async def document_ids(self, pending_only: bool = False) -> dict[str, int]:
        """Every document that has chunks here (or pending chunks), with its server: for
        reconciling with SQL."""
        ...

    async def delete_by_uploader(self, uploader_id: int, server_id: int | None = None) -> int:
        """Delete what a person uploaded (in one server, or everywhere); returns the count."""
        ...

    async def delete_server(self, server_id: int) -> int:
        """Delete every chunk of a server (e.g. the bot left it); returns the count."""
        ...

    async def disown(self, uploader_id: int, server_id: int | None = None) -> int:
        """Keep a person's chunks (in one server, or everywhere) with uploader 0: a member
        deleting their data left their documents to the others. Returns how many."""
        ...

    async def move_server(self, old: int, new: int) -> int:
        """Give every chunk of server `old` to server `new` (a Telegram group that became a
        supergroup); its channel and uploader ids equal to `old` become `new` too. Returns
        how many chunks moved; idempotent."""
        ...

    async def count(self, server_id: int | None = None) -> int:
        """Number of chunks stored, in one server or in total."""
        ...

    async def ping(self) -> None:
        """Return if the store answers; raise VectorStoreUnavailable otherwise."""
        ...

    async def close(self) -> None:
        """Release the store (flushes and frees the lock for the embedded store). Idempotent."""
        ...
