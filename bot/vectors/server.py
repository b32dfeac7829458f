"""VectorStore on a Qdrant server through qdrant-client (or its local `:memory:` mode)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

import httpx
from qdrant_client import AsyncQdrantClient, models
from qdrant_client.http.exceptions import ResponseHandlingException, UnexpectedResponse
from qdrant_edge import SparseVector as EdgeSparseVector

from bot.config import mask_url
from bot.vectors.errors import VectorStoreError, VectorStoreUnavailable
from bot.vectors.fusion import fuse
from bot.vectors.models import ChunkRecord, SearchHit, SearchMode, SearchScope
from bot.vectors.schema import (
    DENSE_VECTOR,
    FACET_LIMIT,
    KEYWORD_FIELDS,
    MOVED_FIELDS,
    PENDING,
    SPARSE_VECTOR,
    STATE_FIELD,
    TENANT_FIELD,
    SparseEncoder,
    candidate_limit,
    check_chunks,
    check_search,
    dense_similarity,
    hit_from_payload,
    in_server,
    payload_for,
    point_id,
)

__all__ = ["QdrantServerStore"]

UPSERT_BATCH = 256  # points per request


def _sparse(vector: EdgeSparseVector) -> models.SparseVector:
    return models.SparseVector(indices=list(vector.indices), values=list(vector.values))


def _scope_filter(scope: SearchScope) -> models.Filter:
    must: list[Any] = [_eq(TENANT_FIELD, str(scope.server_id))]
    if scope.channel_id is not None:
        channel = _eq("channel_id", str(scope.channel_id))
        if scope.channel_only:
            must.append(channel)
        else:
            empty = models.IsEmptyCondition(is_empty=models.PayloadField(key="channel_id"))
            must.append(models.Filter(should=[channel, empty]))
    # Never a chunk of a document that is still being added.
    return models.Filter(must=must, must_not=[_eq(STATE_FIELD, PENDING)])


def _eq(key: str, value: str) -> models.FieldCondition:
    return models.FieldCondition(key=key, match=models.MatchValue(value=value))


def _match(**fields: str) -> models.Filter:
    return models.Filter(must=[_eq(key, value) for key, value in fields.items()])


class QdrantServerStore:
    """Talks to a Qdrant server by URL; `":memory:"` runs qdrant-client's local mode (tests)."""

    backend = "server"

    def __init__(
        self,
        client: AsyncQdrantClient,
        location: str,
        collection: str,
        dimension: int,
        encoder: SparseEncoder,
    ) -> None:
        self._client = client
        self._closed = False
        self._encoder = encoder
        self.location = location
        self.collection = collection
        self.dimension = dimension

    @classmethod
    async def open(
        cls,
        url: str,
        dimension: int,
        collection: str = "sohbet_chunks",
        api_key: str | None = None,
        request_timeout: int = 10,
        bm25_language: str = "english",
    ) -> QdrantServerStore:
        """Connect, and create the collection with the shared schema if it is missing."""
        if dimension < 1:
            raise VectorStoreError(f"The vector dimension must be positive, not {dimension}.")
        encoder = SparseEncoder(bm25_language)
        if url == ":memory:":
            client = AsyncQdrantClient(location=":memory:")
        else:
            client = AsyncQdrantClient(
                url=url, api_key=api_key, timeout=request_timeout, check_compatibility=False
            )
        store = cls(client, url, collection, dimension, encoder)
        try:
            await store._ensure_collection()
        except BaseException:
            await store.close()
            raise
        return store

    @property
    def _local(self) -> bool:
        return self.location == ":memory:"

    @contextlib.contextmanager
    def _translated(self) -> Iterator[None]:
        """Backend errors become the project's errors, with a message a person can act on."""
        if self._closed:
            raise VectorStoreUnavailable("The vector store is closed.")
        where = (
            "the local Qdrant" if self._local else f"the Qdrant server at {mask_url(self.location)}"
        )
        try:
            yield
        except VectorStoreError:
            raise
        except UnexpectedResponse as error:
            detail = error.content.decode(errors="replace")[:300]
            if error.status_code is None or error.status_code >= 500:
                raise VectorStoreUnavailable(
                    f"{where} had a problem ({error.status_code}): {detail}"
                ) from error
            if error.status_code in (401, 403):
                raise VectorStoreUnavailable(
                    f"{where} refused the API key ({error.status_code}). Check the Qdrant API key."
                ) from error
            if error.status_code == 404:
                raise VectorStoreUnavailable(
                    f"The collection {self.collection!r} is missing on {where}. "
                    "Restart Sohbet to create it again, then upload the documents again."
                ) from error
            raise VectorStoreError(f"{where} rejected the request: {detail}") from error
        except (ResponseHandlingException, httpx.HTTPError, OSError, TimeoutError) as error:
            raise VectorStoreUnavailable(
                f"Cannot reach {where}. Is it running? ({type(error).__name__}: {error})"
            ) from error
        except RuntimeError as error:
            if "closed" in str(error):
                raise VectorStoreUnavailable("The vector store is closed.") from error
            raise VectorStoreError(f"{where} failed: {error}") from error
        except Exception as error:
            raise VectorStoreError(f"{where} could not complete the request: {error}") from error

    async def _ensure_collection(self) -> None:
        with self._translated():
            if await self._client.collection_exists(self.collection):
                info = await self._client.get_collection(self.collection)
                self._check_schema(info)
                return
            await self._client.create_collection(
                self.collection,
                vectors_config={
                    DENSE_VECTOR: models.VectorParams(
                        size=self.dimension, distance=models.Distance.COSINE
                    )
                },
                sparse_vectors_config={
                    SPARSE_VECTOR: models.SparseVectorParams(modifier=models.Modifier.IDF)
                },
                # Searches are always filtered by server: build one graph per tenant
                # (payload_m) instead of a global one (m=0), as Qdrant advises for multitenancy.
                hnsw_config=models.HnswConfigDiff(m=0, payload_m=16),
            )
            if self._local:
                return  # local mode has no payload indexes (and warns about them)
            await self._client.create_payload_index(
                self.collection,
                TENANT_FIELD,
                models.KeywordIndexParams(type=models.KeywordIndexType.KEYWORD, is_tenant=True),
            )
            for field in KEYWORD_FIELDS:
                if field != TENANT_FIELD:
                    await self._client.create_payload_index(
                        self.collection, field, models.PayloadSchemaType.KEYWORD
                    )

    def _check_schema(self, info: models.CollectionInfo) -> None:
        vectors = info.config.params.vectors
        dense = vectors.get(DENSE_VECTOR) if isinstance(vectors, dict) else None
        sparse = info.config.params.sparse_vectors or {}
        if dense is None or SPARSE_VECTOR not in sparse:
            raise VectorStoreError(
                f"The Qdrant collection {self.collection!r} exists but was not made by Sohbet "
                f"(it lacks the {DENSE_VECTOR!r} or {SPARSE_VECTOR!r} vector). "
                "Choose another collection name."
            )
        if dense.size != self.dimension:
            raise VectorStoreError(
                f"The Qdrant collection {self.collection!r} holds {dense.size}-dimensional "
                f"vectors but the embedding model makes {self.dimension}-dimensional ones. Use "
                "the model it was built with, or another collection and upload the documents again."
            )

    # -- VectorStore ---------------------------------------------------------------------------

    async def upsert(self, chunks: Sequence[ChunkRecord]) -> None:
        check_chunks(chunks, self.dimension)
        for start in range(0, len(chunks), UPSERT_BATCH):
            points = await asyncio.to_thread(self._points, chunks[start : start + UPSERT_BATCH])
            with self._translated():
                await self._client.upsert(self.collection, points=points, wait=True)

    def _points(self, chunks: Sequence[ChunkRecord]) -> list[models.PointStruct]:
        return [
            models.PointStruct(
                id=point_id(chunk.id),
                vector={
                    DENSE_VECTOR: list(chunk.dense),
                    SPARSE_VECTOR: _sparse(self._encoder.document(chunk.text)),
                },
                payload=payload_for(chunk),
            )
            for chunk in chunks
        ]

    async def search(
        self,
        query_text: str,
        query_vector: Sequence[float] | None,
        scope: SearchScope,
        limit: int = 5,
        mode: SearchMode = "hybrid",
    ) -> list[SearchHit]:
        check_search(query_vector, limit, mode, self.dimension)
        dense = list(query_vector) if query_vector is not None else None
        sparse = encoded_query = None
        if mode != "dense":
            encoded_query = await asyncio.to_thread(self._encoder.query, query_text)
            sparse = _sparse(encoded_query) if encoded_query is not None else None
        scope_filter = _scope_filter(scope)
        with_dense: list[str] | bool = [DENSE_VECTOR] if dense is not None else False
        legs: dict[SearchMode, list[SearchHit]] = {"dense": [], "sparse": []}
        wanted: list[SearchMode] = ["dense", "sparse"] if mode == "hybrid" else [mode]
        depth = candidate_limit(limit) if mode == "hybrid" else limit
        with self._translated():
            for leg in wanted:
                vector = dense if leg == "dense" else sparse
                if vector is None:
                    continue
                response = await self._client.query_points(
                    self.collection,
                    query=vector,
                    using=DENSE_VECTOR if leg == "dense" else SPARSE_VECTOR,
                    query_filter=scope_filter,
                    limit=depth,
                    with_payload=True,
                    with_vectors=with_dense if leg == "sparse" else False,
                )
                legs[leg] = [_hit(point, leg, dense) for point in response.points]
        if mode != "hybrid":
            return legs[mode]
        # Both legs fused by the shared code (bot/vectors/fusion.py), as in the embedded store.
        fused = fuse(legs["dense"], legs["sparse"], limit)
        return await asyncio.to_thread(self._encoder.coverage, encoded_query, fused)

    async def document_chunks(self, server_id: int, document_id: str) -> list[SearchHit]:
        where = _match(server_id=str(server_id), document_id=document_id)
        hits: list[SearchHit] = []
        offset: Any = None
        with self._translated():
            while True:
                records, offset = await self._client.scroll(
                    self.collection,
                    scroll_filter=where,
                    limit=256,
                    offset=offset,
                    with_payload=True,
                    with_vectors=False,
                )
                hits.extend(hit_from_payload(r.payload or {}, 0.0, None) for r in records)
                if offset is None or not records:
                    return sorted(hits, key=lambda hit: hit.position)

    async def delete_document(self, server_id: int, document_id: str) -> int:
        return await self._delete(_match(server_id=str(server_id), document_id=document_id))

    async def publish_document(self, server_id: int, document_id: str) -> None:
        await self.publish_documents(server_id, [document_id])

    async def publish_documents(self, server_id: int, document_ids: Sequence[str]) -> None:
        if not document_ids:
            return
        where = models.Filter(
            must=[
                _eq(TENANT_FIELD, str(server_id)),
                models.FieldCondition(
                    key="document_id", match=models.MatchAny(any=list(document_ids))
                ),
            ]
        )
        with self._translated():
            await self._client.delete_payload(
                self.collection,
                keys=[STATE_FIELD],
                points=models.FilterSelector(filter=where),
                wait=True,
            )

    async def document_ids(self, pending_only: bool = False) -> dict[str, int]:
        found: dict[str, int] = {}
        state = {STATE_FIELD: PENDING} if pending_only else {}
        with self._translated():
            if self._local:  # local mode has no facets: read the payloads
                offset: Any = None
                while True:
                    points, offset = await self._client.scroll(
                        self.collection,
                        limit=1000,
                        offset=offset,
                        with_payload=["server_id", "document_id"],
                        with_vectors=False,
                    )
                    for point in points:
                        payload = point.payload or {}
                        found[str(payload["document_id"])] = int(payload["server_id"])
                    if offset is None:
                        return found
            servers = await self._client.facet(
                self.collection,
                TENANT_FIELD,
                limit=FACET_LIMIT,
                exact=True,
                facet_filter=_match(**state) if state else None,
            )
            for server in servers.hits:
                documents = await self._client.facet(
                    self.collection,
                    "document_id",
                    limit=FACET_LIMIT,
                    exact=True,
                    facet_filter=_match(server_id=str(server.value), **state),
                )
                for document in documents.hits:
                    found[str(document.value)] = int(server.value)
        return found

    async def delete_by_uploader(self, uploader_id: int, server_id: int | None = None) -> int:
        if server_id is None:
            return await self._delete(_match(uploader_id=str(uploader_id)))
        return await self._delete(_match(server_id=str(server_id), uploader_id=str(uploader_id)))

    async def disown(self, uploader_id: int, server_id: int | None = None) -> int:
        where = _match(uploader_id=str(uploader_id), **in_server(server_id))
        with self._translated():
            found = (await self._client.count(self.collection, count_filter=where)).count
            if found:
                await self._client.set_payload(
                    self.collection,
                    payload={"uploader_id": "0"},
                    points=models.FilterSelector(filter=where),
                    wait=True,
                )
        return int(found)

    async def delete_server(self, server_id: int) -> int:
        return await self._delete(_match(server_id=str(server_id)))

    async def move_server(self, old: int, new: int) -> int:
        with self._translated():
            where = _match(server_id=str(old))
            moved = (await self._client.count(self.collection, count_filter=where)).count
            for field in MOVED_FIELDS:  # server_id last: the others are found within it
                these = _match(**{TENANT_FIELD: str(old), field: str(old)})
                await self._client.set_payload(
                    self.collection,
                    payload={field: str(new)},
                    points=models.FilterSelector(filter=these),
                    wait=True,
                )
        return int(moved)

    async def _delete(self, where: models.Filter) -> int:
        with self._translated():
            found = (await self._client.count(self.collection, count_filter=where)).count
            if found:
                await self._client.delete(
                    self.collection, points_selector=models.FilterSelector(filter=where), wait=True
                )
        return found

    async def count(self, server_id: int | None = None) -> int:
        where = None if server_id is None else _match(server_id=str(server_id))
        with self._translated():
            result = await self._client.count(self.collection, count_filter=where, exact=True)
        return result.count

    async def ping(self) -> None:
        with self._translated():
            await self._client.get_collection(self.collection)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(Exception):
            await self._client.close()


def _hit(point: models.ScoredPoint, mode: SearchMode, query: list[float] | None) -> SearchHit:
    payload = point.payload or {}
    if mode == "dense":
        return hit_from_payload(payload, point.score, float(point.score))
    dense_score = dense_similarity(query, point.vector)
    return hit_from_payload(payload, point.score, dense_score, sparse_score=float(point.score))
