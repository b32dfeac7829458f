"""Re-embedding every stored chunk with a new embedder, into that embedder's own collection.

Vectors of two embedders never mix: each has its collection (bot.providers.collection_name).
`reindex` copies document by document from the collection that serves (`source`) into the new
one (`target`), with the new embedder's vectors; a document is written pending and published
once all its chunks are in, so the target never holds half a document. It is resumable: a
document already complete in the target (same chunk ids) is skipped, so after a crash the run
goes on where it stopped. Passes repeat until nothing changed, which picks up documents added
or deleted meanwhile (the source keeps serving while this runs: the caller switches the
serving collection only after `reindex` returns).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.ai.base import Embedder
from bot.vectors.models import ChunkRecord, SearchHit, VectorStore

__all__ = ["ReindexReport", "reindex"]

BATCH = 64  # chunks per embedding call
MAX_PASSES = 5


@dataclass
class ReindexReport:
    documents: int = 0  # documents now in the target
    copied: int = 0  # documents embedded by this run (the rest were already there)
    chunks: int = 0  # chunks embedded by this run
    removed: int = 0  # documents deleted from the source meanwhile, dropped from the target


Progress = Callable[[int, int], None]  # (chunks done, chunks to do)


async def reindex(
    source: VectorStore,
    target: VectorStore,
    embedder: Embedder,
    progress: Progress | None = None,
) -> ReindexReport:
    if target.dimension != embedder.dimension:
        raise ValueError(
            f"the target collection has {target.dimension} dimensions, the embedder "
            f"{embedder.dimension}"
        )
    report = ReindexReport()
    for _ in range(MAX_PASSES):
        changed = await _one_pass(source, target, embedder, report, progress)
        if not changed:
            break
    report.documents = len(await target.document_ids())
    return report


async def _one_pass(
    source: VectorStore,
    target: VectorStore,
    embedder: Embedder,
    report: ReindexReport,
    progress: Progress | None,
) -> bool:
    pending = await source.document_ids(pending_only=True)  # uploads still in progress
    wanted = {d: s for d, s in (await source.document_ids()).items() if d not in pending}
    have = await target.document_ids()
    half_published = await target.document_ids(pending_only=True)  # a crash before publishing
    changed = False
    for document_id, server_id in have.items():
        if document_id not in wanted and document_id not in pending:
            report.removed += 1
            changed = True
            await target.delete_document(server_id, document_id)
    todo: list[tuple[int, list[SearchHit]]] = []
    for document_id, server_id in wanted.items():
        chunks = await source.document_chunks(server_id, document_id)
        copied = await target.document_chunks(server_id, document_id)
        if chunks and {c.id for c in copied} != {c.id for c in chunks}:
            todo.append((server_id, chunks))
        elif chunks and document_id in half_published:
            await target.publish_document(server_id, document_id)
    total = sum(len(chunks) for _, chunks in todo)
    done = 0
    for server_id, chunks in todo:
        await target.delete_document(server_id, chunks[0].document_id)  # a half copy
        for start in range(0, len(chunks), BATCH):
            batch = chunks[start : start + BATCH]
            vectors = await embedder.embed_documents([c.text for c in batch])
            await target.upsert([_record(c, v) for c, v in zip(batch, vectors, strict=True)])
            done += len(batch)
            if progress is not None:
                progress(done, total)
        await target.publish_document(server_id, chunks[0].document_id)
        report.copied += 1
        report.chunks += len(chunks)
        changed = True
    return changed


def _record(hit: SearchHit, vector: list[float]) -> ChunkRecord:
    return ChunkRecord(
        id=hit.id,
        text=hit.text,
        dense=vector,
        server_id=hit.server_id,
        channel_id=hit.channel_id,
        document_id=hit.document_id,
        document_name=hit.document_name,
        uploader_id=hit.uploader_id,
        position=hit.position,
        page=hit.page,
        source_url=hit.source_url,
        pending=True,
    )
