"""The one schema both implementations share: names, ids, payload, BM25 and input checks.

Discord ids (snowflakes) are stored as strings, as Discord's own API does: keyword payload
indexes are what Qdrant can mark as the tenant key, and strings never lose precision.
"""

from __future__ import annotations

import dataclasses
import math
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from qdrant_edge import Bm25, Bm25Config, SparseVector

from bot.vectors.errors import VectorStoreError
from bot.vectors.models import ChunkRecord, SearchHit, SearchMode

__all__ = [
    "DENSE_VECTOR",
    "FACET_LIMIT",
    "KEYWORD_FIELDS",
    "PENDING",
    "SPARSE_VECTOR",
    "STATE_FIELD",
    "TENANT_FIELD",
    "SparseEncoder",
    "candidate_limit",
    "check_chunks",
    "check_search",
    "cosine",
    "dense_similarity",
    "hit_from_payload",
    "payload_for",
    "point_id",
]

DENSE_VECTOR = "dense"
SPARSE_VECTOR = "bm25"
# Payload fields with a keyword index; server_id is the tenant key.
TENANT_FIELD = "server_id"
# A chunk of a document still being added carries state=pending; searches skip it.
STATE_FIELD, PENDING = "state", "pending"
KEYWORD_FIELDS = ("server_id", "channel_id", "document_id", "uploader_id", STATE_FIELD)
def in_server(server_id: int | None) -> dict[str, str]:
    """Filter fields for "in this server", or for everywhere (None)."""
    return {} if server_id is None else {TENANT_FIELD: str(server_id)}


# The ids a server move rewrites (`VectorStore.move_server`), the tenant key last.
MOVED_FIELDS = ("channel_id", "uploader_id", TENANT_FIELD)
FACET_LIMIT = 1_000_000  # facets list every server / document: no truncation
MAX_LIMIT = 100
_POINT_NAMESPACE = uuid.UUID("6f2d7c1e-4a9b-5c3d-8e7f-0a1b2c3d4e5f")


def point_id(chunk_id: str) -> str:
    """Qdrant point ids must be UUIDs or integers: derive a stable UUID from the chunk id."""
    return str(uuid.uuid5(_POINT_NAMESPACE, chunk_id))


def _snowflake(value: int | None) -> str | None:
    return None if value is None else str(value)


def payload_for(chunk: ChunkRecord) -> dict[str, Any]:
    payload = {
        "chunk_id": chunk.id,
        "text": chunk.text,
        "server_id": str(chunk.server_id),
        "channel_id": _snowflake(chunk.channel_id),
        "document_id": chunk.document_id,
        "document_name": chunk.document_name,
        "uploader_id": str(chunk.uploader_id),
        "source_url": chunk.source_url,
        "position": chunk.position,
        "page": chunk.page,
    }
    if chunk.pending:
        payload[STATE_FIELD] = PENDING
    return payload


def hit_from_payload(
    payload: Mapping[str, Any],
    score: float,
    dense_score: float | None,
    sparse_score: float | None = None,
) -> SearchHit:
    channel = payload.get("channel_id")
    page = payload.get("page")
    return SearchHit(
        id=str(payload["chunk_id"]),
        text=str(payload["text"]),
        server_id=int(payload["server_id"]),
        channel_id=None if channel is None else int(channel),
        document_id=str(payload["document_id"]),
        document_name=str(payload["document_name"]),
        uploader_id=int(payload["uploader_id"]),
        position=int(payload["position"]),
        page=None if page is None else int(page),
        source_url=payload.get("source_url"),
        score=float(score),
        dense_score=dense_score,
        sparse_score=sparse_score,
    )


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


def dense_similarity(query: Sequence[float] | None, stored: object) -> float | None:
    """Cosine between the query and a point's returned dense vector, if both are there."""
    if query is None or not isinstance(stored, dict):
        return None
    vector = stored.get(DENSE_VECTOR)
    if not isinstance(vector, list) or not vector or not isinstance(vector[0], float | int):
        return None
    return cosine(query, vector)


def candidate_limit(limit: int) -> int:
    """How many candidates each leg of a hybrid search brings to the fusion."""
    return max(4 * limit, 20)


def _check_vector(vector: Sequence[float], dimension: int, what: str) -> None:
    if len(vector) != dimension:
        raise VectorStoreError(
            f"{what} has {len(vector)} dimensions but this vector store holds {dimension}-"
            "dimensional vectors. Was the embedding model changed? Re-index the documents "
            "with one model, or use a new store."
        )
    if not all(math.isfinite(x) for x in vector):
        raise VectorStoreError(f"{what} contains NaN or infinite values.")
    if not any(vector):
        raise VectorStoreError(f"{what} is all zeros, which has no direction to compare.")


def check_chunks(chunks: Iterable[ChunkRecord], dimension: int) -> None:
    """Reject a batch before anything is written, so bad input loses nothing."""
    for chunk in chunks:
        name = f"Chunk {chunk.id!r} of {chunk.document_name!r}"
        if not chunk.id:
            raise VectorStoreError(f"A chunk of {chunk.document_name!r} has an empty id.")
        if not chunk.document_id:
            raise VectorStoreError(f"{name} has no document id.")
        if not chunk.text.strip():
            raise VectorStoreError(f"{name} has no text.")
        if chunk.position < 0:
            raise VectorStoreError(f"{name} has a negative position ({chunk.position}).")
        _check_vector(chunk.dense, dimension, name)


def check_search(
    query_vector: Sequence[float] | None, limit: int, mode: SearchMode, dimension: int
) -> None:
    if mode not in ("hybrid", "dense", "sparse"):
        raise VectorStoreError(f"Unknown search mode {mode!r}: use 'hybrid', 'dense' or 'sparse'.")
    if not 1 <= limit <= MAX_LIMIT:
        raise VectorStoreError(f"A search returns 1 to {MAX_LIMIT} results, not {limit}.")
    if query_vector is None:
        if mode == "dense":
            raise VectorStoreError("A dense search needs a query vector.")
        return
    _check_vector(query_vector, dimension, "The query vector")


class SparseEncoder:
    """BM25 term weights computed client-side with Qdrant's own tokenizer and hashing.

    Qdrant applies the IDF part at query time (the sparse vector has the IDF modifier), so
    both implementations produce the same scores as server-side BM25 inference.
    """

    def __init__(self, language: str = "english") -> None:
        try:
            self._model = Bm25(Bm25Config(language=language))
        except ValueError as error:
            raise VectorStoreError(f"BM25 cannot use the language {language!r}: {error}") from None

    def document(self, text: str) -> SparseVector:
        return self._model.embed_document(text)

    def coverage(self, query: SparseVector | None, hits: Sequence[SearchHit]) -> list[SearchHit]:
        """The hits with `keyword_coverage`: the share of the query's words each one contains."""
        if query is None or not query.indices:
            return list(hits)
        wanted = set(query.indices)
        return [
            dataclasses.replace(
                hit,
                keyword_coverage=round(
                    len(wanted & set(self._model.embed_document(hit.text).indices)) / len(wanted),
                    3,
                ),
            )
            for hit in hits
        ]

    def query(self, text: str) -> SparseVector | None:
        """None when the text has no searchable token (empty, only stop words)."""
        vector = self._model.embed_query(text)
        return vector if vector.indices else None
