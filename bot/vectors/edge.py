"""The embedded default: a Qdrant Edge shard in a local folder, owned by one process.

Layout: `<path>/.lock` (our process lock) and `<path>/<collection>/` (the shard).
qdrant-edge-py keeps the GIL while it works, so every call runs in a worker thread under one
lock, and large upserts go in small batches: the event loop waits at most one batch.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import shutil
import threading
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from qdrant_edge import (
    CountRequest,
    Distance,
    EdgeConfig,
    EdgeShard,
    EdgeSparseVectorParams,
    EdgeVectorParams,
    FacetRequest,
    FieldCondition,
    Filter,
    HnswIndexConfig,
    IsEmptyCondition,
    KeywordIndexParams,
    MatchAny,
    MatchValue,
    Modifier,
    PayloadSchemaType,
    Point,
    Query,
    QueryRequest,
    ScoredPoint,
    ScrollRequest,
    SparseVector,
    UpdateOperation,
)

from bot.vectors.errors import VectorStoreDamaged, VectorStoreError, VectorStoreUnavailable
from bot.vectors.fusion import fuse
from bot.vectors.lockfile import StoreLock
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

__all__ = ["EdgeVectorStore"]

log = logging.getLogger(__name__)

T = TypeVar("T")
UPSERT_BATCH = 128  # points per engine call: bounds how long one call holds the GIL
SCROLL_PAGE = 256  # points per scroll call, for the same reason
_CONFIG_FILE = "edge_config.json"


def _edge_config(dimension: int) -> EdgeConfig:
    return EdgeConfig(
        vectors={DENSE_VECTOR: EdgeVectorParams(size=dimension, distance=Distance.Cosine)},
        sparse_vectors={SPARSE_VECTOR: EdgeSparseVectorParams(modifier=Modifier.Idf)},
        # Searches are always filtered by server: optimize() builds one HNSW graph per tenant
        # (payload_m) and no global one (m=0), as on the server; about 4x cheaper to build.
        hnsw_config=HnswIndexConfig(
            m=0, ef_construct=100, full_scan_threshold=10_000, payload_m=16
        ),
    )


def _scope_filter(scope: SearchScope) -> Filter:
    must: list[Any] = [FieldCondition(key=TENANT_FIELD, match=MatchValue(str(scope.server_id)))]
    if scope.channel_id is not None:
        channel = FieldCondition(key="channel_id", match=MatchValue(str(scope.channel_id)))
        if scope.channel_only:
            must.append(channel)
        else:
            must.append(Filter(should=[channel, IsEmptyCondition("channel_id")]))
    # Never a chunk of a document that is still being added.
    pending = FieldCondition(key=STATE_FIELD, match=MatchValue(PENDING))
    return Filter(must=must, must_not=[pending])


def _match(**fields: str) -> Filter:
    return Filter(
        must=[FieldCondition(key=key, match=MatchValue(value)) for key, value in fields.items()]
    )


def _stored_dimension(shard_dir: Path) -> int | None:
    try:
        config = json.loads((shard_dir / _CONFIG_FILE).read_text())
        return int(config["vectors"][DENSE_VECTOR]["size"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _open_shard(shard_dir: Path, dimension: int) -> EdgeShard:
    config = _edge_config(dimension)
    if not (shard_dir / _CONFIG_FILE).exists():
        shard = EdgeShard.create(str(shard_dir), config)
    else:
        try:
            shard = EdgeShard.load(str(shard_dir), config)
        except Exception as error:
            stored = _stored_dimension(shard_dir)
            if stored is not None and stored != dimension:
                raise VectorStoreError(
                    f"The vector store in {shard_dir} holds {stored}-dimensional vectors but the "
                    f"embedding model makes {dimension}-dimensional ones. Use the model the store "
                    "was built with, or a new store path and upload the documents again."
                ) from error
            raise
    _ensure_indexes(shard)
    return shard


def _abandon(opening: asyncio.Future[EdgeShard], lock: StoreLock) -> None:
    """A cancelled opener's shard: close it (off the loop), then release the store's lock."""

    def cleanup() -> None:
        try:
            if not opening.cancelled() and opening.exception() is None:
                opening.result().close()
        except Exception:
            log.exception("could not close an abandoned vector store shard")
        finally:
            lock.release()

    threading.Thread(target=cleanup, name="sohbet-vectors-abandon", daemon=True).start()


def _ensure_indexes(shard: EdgeShard) -> None:
    """Create missing payload indexes (also after a crash between create and indexing)."""
    existing = shard.info().payload_schema
    for field in KEYWORD_FIELDS:
        if field in existing:
            continue
        schema: Any = (
            KeywordIndexParams(is_tenant=True)
            if field == TENANT_FIELD
            else PayloadSchemaType.Keyword
        )
        shard.update(UpdateOperation.create_field_index(field, schema))


def _translate(error: Exception) -> VectorStoreError:
    message = str(error)
    if "WouldBlock" in message:  # the engine's own WAL lock (platforms without fcntl)
        return VectorStoreUnavailable(
            "The vector store is already in use by another process. Only one Sohbet process "
            "can use an embedded store at a time."
        )
    if "not initialized" in message:
        return VectorStoreUnavailable("The vector store is closed.")
    if any(hint in message.lower() for hint in _DAMAGE_HINTS):
        log.error("the embedded vector store is damaged: %s", message)
        return VectorStoreDamaged(message)
    # Never show members the server's paths.
    return VectorStoreError(
        f"The vector store could not complete the request: {_ABSOLUTE_PATH.sub('<path>', message)}"
    )


# What the engine says when a file can't be read back as written.
_DAMAGE_HINTS = (
    "failed to decode",
    "failed to decompress",
    "failed to deserialize",
    "failed to load segment",
    "can't init wal",
    "illegal segment header",
    "corrupt",
    "checksum",
    "unexpected end of file",
    "invalid data",
)
_ABSOLUTE_PATH = re.compile(r"(?:/[\w.@+-]+){2,}/?")


class EdgeVectorStore:
    """VectorStore on qdrant-edge-py. Open it with `EdgeVectorStore.open` (or open_vector_store)."""

    backend = "edge"

    def __init__(
        self,
        shard: EdgeShard,
        lock: StoreLock,
        path: Path,
        dimension: int,
        encoder: SparseEncoder,
        collection: str = "sohbet_chunks",
    ) -> None:
        self._shard: EdgeShard | None = shard
        self._lock = lock
        self._engine_lock = threading.Lock()
        self._encoder = encoder
        self.path = path
        self.dimension = dimension
        self._shard_dir = path / collection

    @classmethod
    async def open(
        cls,
        path: Path,
        dimension: int,
        collection: str = "sohbet_chunks",
        bm25_language: str = "english",
    ) -> EdgeVectorStore:
        """Lock `path` for this process and open (or create) the shard in it."""
        if dimension < 1:
            raise VectorStoreError(f"The vector dimension must be positive, not {dimension}.")
        encoder = SparseEncoder(bm25_language)
        lock = StoreLock(path)
        lock.acquire()
        opening = asyncio.ensure_future(
            asyncio.to_thread(_open_shard, path / collection, dimension)
        )
        try:
            shard = await asyncio.shield(opening)
        except asyncio.CancelledError:
            # The worker thread can't be stopped: close what it opens, then free the store.
            opening.add_done_callback(lambda done: _abandon(done, lock))
            raise
        except VectorStoreError:
            lock.release()
            raise
        except Exception as error:
            lock.release()
            raise _translate(error) from error
        return cls(shard, lock, path, dimension, encoder, collection)

    async def open_collection(self, collection: str, dimension: int) -> EdgeVectorStore:
        """Another collection in this store's folder, under the lock this process already
        holds (reindexing reads one collection and writes another). Closing it leaves the
        lock to this store."""
        if self._shard is None:
            raise VectorStoreUnavailable("The vector store is closed.")
        shard = await asyncio.to_thread(_open_shard, self.path / collection, dimension)
        unheld = StoreLock(self.path)  # never acquired: releasing it is a no-op
        return EdgeVectorStore(shard, unheld, self.path, dimension, self._encoder, collection)

    # -- plumbing ---------------------------------------------------------------------------

    async def _run(self, work: Callable[[EdgeShard], T]) -> T:
        if self._shard is None:
            raise VectorStoreUnavailable("The vector store is closed.")
        return await asyncio.to_thread(self._locked, work)

    def _locked(self, work: Callable[[EdgeShard], T]) -> T:
        with self._engine_lock:
            if self._shard is None:
                raise VectorStoreUnavailable("The vector store is closed.")
            try:
                return work(self._shard)
            except VectorStoreError:
                raise
            except Exception as error:
                raise _translate(error) from error

    # -- VectorStore --------------------------------------------------------------------------

    async def upsert(self, chunks: Sequence[ChunkRecord]) -> None:
        check_chunks(chunks, self.dimension)
        for start in range(0, len(chunks), UPSERT_BATCH):
            points = await asyncio.to_thread(self._points, chunks[start : start + UPSERT_BATCH])
            operation = UpdateOperation.upsert_points(points)
            await self._run(partial(EdgeShard.update, operation=operation))

    def _points(self, chunks: Sequence[ChunkRecord]) -> list[Point]:
        return [
            Point(
                point_id(chunk.id),
                {
                    DENSE_VECTOR: list(chunk.dense),
                    SPARSE_VECTOR: self._encoder.document(chunk.text),
                },
                payload_for(chunk),
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

        def work(shard: EdgeShard) -> list[SearchHit]:
            sparse = self._encoder.query(query_text) if mode != "dense" else None
            where = _scope_filter(scope)
            if mode != "hybrid":
                request = _request(where, dense, sparse, limit, mode)
                if request is None:
                    return []
                return [_hit(point, mode, dense) for point in shard.query(request)]
            # Hybrid: both legs here, fused by the shared code (bot/vectors/fusion.py).
            legs: dict[SearchMode, list[SearchHit]] = {"dense": [], "sparse": []}
            pairs: tuple[tuple[SearchMode, object], ...] = (("dense", dense), ("sparse", sparse))
            for leg, wanted in pairs:
                if wanted is None:
                    continue
                request = _request(where, dense, sparse, candidate_limit(limit), leg)
                if request is not None:
                    legs[leg] = [_hit(point, leg, dense) for point in shard.query(request)]
            fused = fuse(legs["dense"], legs["sparse"], limit)
            return self._encoder.coverage(sparse, fused)

        return await self._run(work)

    async def document_chunks(self, server_id: int, document_id: str) -> list[SearchHit]:
        where = _match(server_id=str(server_id), document_id=document_id)
        hits: list[SearchHit] = []
        offset: Any = None
        while True:
            request = ScrollRequest(
                offset=offset, limit=SCROLL_PAGE, filter=where, with_payload=True, with_vector=False
            )
            records, offset = await self._run(partial(EdgeShard.scroll, scroll=request))
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
        where = Filter(
            must=[
                FieldCondition(key=TENANT_FIELD, match=MatchValue(str(server_id))),
                FieldCondition(key="document_id", match=MatchAny(list(document_ids))),
            ]
        )
        operation = UpdateOperation.delete_payload_by_filter(where, [STATE_FIELD])
        await self._run(partial(EdgeShard.update, operation=operation))

    async def document_ids(self, pending_only: bool = False) -> dict[str, int]:
        state = {STATE_FIELD: PENDING} if pending_only else {}

        def work(shard: EdgeShard) -> dict[str, int]:
            found: dict[str, int] = {}
            servers = shard.facet(
                FacetRequest(TENANT_FIELD, limit=FACET_LIMIT, exact=True, filter=_match(**state))
            )
            for server in servers.hits:
                request = FacetRequest(
                    "document_id",
                    limit=FACET_LIMIT,
                    exact=True,
                    filter=_match(server_id=str(server.value), **state),
                )
                for document in shard.facet(request).hits:
                    found[str(document.value)] = int(server.value)
            return found

        return await self._run(work)

    async def delete_by_uploader(self, uploader_id: int, server_id: int | None = None) -> int:
        if server_id is None:
            return await self._delete(_match(uploader_id=str(uploader_id)))
        return await self._delete(_match(server_id=str(server_id), uploader_id=str(uploader_id)))

    async def disown(self, uploader_id: int, server_id: int | None = None) -> int:
        where = _match(uploader_id=str(uploader_id), **in_server(server_id))

        def work(shard: EdgeShard) -> int:
            found = shard.count(CountRequest(exact=True, filter=where))
            if found:
                shard.update(UpdateOperation.set_payload_by_filter(where, {"uploader_id": "0"}))
            return found

        return await self._run(work)

    async def delete_server(self, server_id: int) -> int:
        return await self._delete(_match(server_id=str(server_id)))

    async def move_server(self, old: int, new: int) -> int:
        def work(shard: EdgeShard) -> int:
            moved = shard.count(CountRequest(exact=True, filter=_match(server_id=str(old))))
            for field in MOVED_FIELDS:  # server_id last: the others are found within it
                where = _match(**{TENANT_FIELD: str(old), field: str(old)})
                update = UpdateOperation.set_payload_by_filter(where, {field: str(new)})
                shard.update(update)
            return moved

        return await self._run(work)

    async def _delete(self, where: Filter) -> int:
        def work(shard: EdgeShard) -> int:
            found = shard.count(CountRequest(exact=True, filter=where))
            if found:
                shard.update(UpdateOperation.delete_points_by_filter(where))
            return found

        return await self._run(work)

    async def count(self, server_id: int | None = None) -> int:
        where = None if server_id is None else _match(server_id=str(server_id))
        return await self._run(lambda shard: shard.count(CountRequest(exact=True, filter=where)))

    async def ping(self) -> None:
        await self._run(lambda shard: shard.info())

    async def close(self) -> None:
        if self._shard is None:
            return
        await asyncio.to_thread(self._close)

    def _close(self) -> None:
        with self._engine_lock:
            shard, self._shard = self._shard, None
            try:
                if shard is not None:
                    shard.flush()
                    shard.close()
            finally:
                self._lock.release()

    # -- maintenance ---------------------------------------------------------------------------

    async def check(self) -> int:
        """Read every point (payload and vectors) once; raise VectorStoreDamaged if a file
        can't be read back. Returns the number of points. For `sohbet doctor`."""

        def work(shard: EdgeShard) -> int:
            seen, offset = 0, None
            while True:
                request = ScrollRequest(
                    offset=offset, limit=SCROLL_PAGE, with_payload=True, with_vector=True
                )
                records, offset = shard.scroll(request)
                seen += len(records)
                if offset is None or not records:
                    return seen

        return await self._run(work)

    async def compact(self) -> int:
        """Rewrite the store with only its live points, so deleted text leaves the files.

        The engine only marks deleted points (their text stays in payload pages and in the
        write-ahead log until segments are rebuilt), which is not good enough for `/privacy
        forget`. This copies every live point into a new shard next to the old one, then swaps
        the folders and removes the old one. Takes the store's lock for the whole copy: about
        a second per few thousand chunks. Returns the number of points kept.
        """
        return await asyncio.to_thread(self._compact)

    def _compact(self) -> int:
        with self._engine_lock:
            shard = self._shard
            if shard is None:
                raise VectorStoreUnavailable("The vector store is closed.")
            folder = self._shard_dir
            fresh = folder.with_name(folder.name + ".compacting")
            old = folder.with_name(folder.name + ".old")
            for leftover in (fresh, old):
                shutil.rmtree(leftover, ignore_errors=True)
            try:
                target = EdgeShard.create(str(fresh), _edge_config(self.dimension))
                _ensure_indexes(target)
                kept = 0
                offset: Any = None
                while True:
                    request = ScrollRequest(
                        offset=offset, limit=SCROLL_PAGE, with_payload=True, with_vector=True
                    )
                    records, offset = shard.scroll(request)
                    if records:
                        points = [Point(r.id, r.vector or {}, r.payload or {}) for r in records]
                        target.update(UpdateOperation.upsert_points(points))
                        kept += len(points)
                    if offset is None or not records:
                        break
                target.flush()
                target.close()
            except Exception as error:
                shutil.rmtree(fresh, ignore_errors=True)
                raise _translate(error) from error
            shard.flush()
            shard.close()
            self._shard = None
            folder.rename(old)
            fresh.rename(folder)
            self._shard = _open_shard(folder, self.dimension)
            shutil.rmtree(old, ignore_errors=True)
            return kept

    async def optimize(self) -> bool:
        """Merge segments, drop deleted points and build HNSW indexes.

        Slow for large stores, and the engine holds the GIL meanwhile, so the whole process
        pauses: run it from a maintenance command or before the bot connects, not per request.
        Searches are correct without it (filtered brute force over one server's chunks).
        """
        return await self._run(lambda shard: shard.optimize())

    async def points_info(self) -> dict[str, int]:
        """Segment and point counts, for diagnostics."""
        info = await self._run(lambda shard: shard.info())
        return {
            "segments": info.segments_count,
            "points": info.points_count,
            "indexed_vectors": info.indexed_vectors_count,
        }


def _request(
    scope_filter: Filter,
    dense: list[float] | None,
    sparse: SparseVector | None,
    limit: int,
    mode: SearchMode,
) -> QueryRequest | None:
    """The engine request for a mode; None when there is nothing to search with."""
    with_dense = [DENSE_VECTOR] if dense is not None else None
    if mode == "dense":
        assert dense is not None  # check_search guarantees it
        query = Query.Nearest(dense, using=DENSE_VECTOR)
        return QueryRequest(limit=limit, query=query, filter=scope_filter, with_payload=True)
    if mode == "sparse":
        if sparse is None:
            return None
        query = Query.Nearest(sparse, using=SPARSE_VECTOR)
        return QueryRequest(
            limit=limit, query=query, filter=scope_filter, with_payload=True, with_vector=with_dense
        )
    raise VectorStoreError(f"No single engine request for mode {mode!r}.")


def _hit(point: ScoredPoint, mode: SearchMode, query_vector: list[float] | None) -> SearchHit:
    payload = point.payload or {}
    if mode == "dense":
        return hit_from_payload(payload, point.score, float(point.score))
    dense_score = dense_similarity(query_vector, point.vector)
    return hit_from_payload(payload, point.score, dense_score, sparse_score=float(point.score))
