"""No broker configured: jobs run right here, as they always did (`sohbet run`, `sohbet chat`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.jobs.models import IngestRequest, QueueStats
from bot.knowledge import BatchReport, Ingestor, IngestResult, OnProgress, Progress, Upload

if TYPE_CHECKING:
    from bot.providers import AIProviders
    from bot.store.database import Store

__all__ = ["InProcessJobs", "build_ingestor", "run_ingest", "run_ingest_many"]


async def build_ingestor(store: Store, ai: AIProviders, request: IngestRequest) -> Ingestor:
    return Ingestor(
        store,
        await ai.vectors(),
        await ai.embedder(),
        limits=request.limits,
        budget=request.budget,
    )


async def run_ingest(
    store: Store,
    ai: AIProviders,
    request: IngestRequest,
    data: bytes,
    progress: Progress | None,
    attempt_of: str | None = None,
) -> IngestResult:
    """One upload through the Ingestor: here, or on a worker (`attempt_of`: its job id)."""
    ingestor = await build_ingestor(store, ai, request)
    return await ingestor.ingest(
        data,
        request.filename,
        server_id=request.server_id,
        uploader_id=request.uploader_id,
        channel_id=request.channel_id,
        source_url=request.source_url,
        content_type=request.content_type,
        progress=progress,
        attempt_of=attempt_of,
    )


async def run_ingest_many(
    store: Store,
    ai: AIProviders,
    requests: list[IngestRequest],
    blobs: list[bytes],
    progress: OnProgress | None,
    attempt_of: str | None = None,
) -> BatchReport:
    """Several uploads of one member to one place (a message's attachments, a dashboard
    upload) in one ingestion run: here, or on a worker (`attempt_of`: its job id)."""
    first = requests[0]
    ingestor = await build_ingestor(store, ai, first)
    uploads = [
        Upload(r.filename, data, len(data), r.content_type, r.source_url)
        for r, data in zip(requests, blobs, strict=True)
    ]
    return await ingestor.ingest_many(
        uploads,
        server_id=first.server_id,
        uploader_id=first.uploader_id,
        channel_id=first.channel_id,
        progress=progress,
        attempt_of=attempt_of,
    )


class InProcessJobs:
    """The embedded default: an upload is ingested on this process's event loop."""

    backend = "in-process"

    def __init__(self, store: Store, ai: AIProviders) -> None:
        self.store = store
        self.ai = ai

    async def ingest(
        self, request: IngestRequest, data: bytes, progress: Progress | None = None
    ) -> IngestResult:
        return await run_ingest(self.store, self.ai, request, data, progress)

    async def ingest_many(
        self,
        requests: list[IngestRequest],
        blobs: list[bytes],
        progress: OnProgress | None = None,
    ) -> BatchReport:
        return await run_ingest_many(self.store, self.ai, requests, blobs, progress)

    async def stats(self) -> QueueStats:
        return QueueStats(self.backend)

    async def close(self) -> None:
        return None
