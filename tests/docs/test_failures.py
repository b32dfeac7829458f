"""An upload that fails half way leaves nothing: no SQL row, no vectors, no stale duplicate."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from bot.knowledge import Ingestor
from bot.store.models import Document
from bot.vectors import ChunkRecord, VectorStoreUnavailable
from tests.docs.conftest import SERVER_A, World, kettle_pdf

TOPICS = ["kettle", "garden", "bicycle", "library", "museum", "bakery", "harbour", "orchard"]


def long_text(paragraphs: int = 45) -> str:
    """About `paragraphs` chunks of distinct prose: more than one embedding batch (64)."""
    return "\n\n".join(
        f"Section {i}. The {TOPICS[i % len(TOPICS)]} committee met on day {i} and agreed on "
        f"rule number {i * 7}: every member brings {i % 5 + 1} items, the meeting ends at "
        f"{8 + i % 12} o'clock, and the minutes are kept in folder {i}. " * 5
        for i in range(paragraphs)
    )


async def test_vector_store_failing_mid_upload_leaves_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = world.member("alice")
    vectors = await world.vectors()
    real_upsert, calls = vectors.upsert, []

    async def upsert_then_fail(chunks: Sequence[ChunkRecord]) -> None:
        calls.append(len(chunks))
        await real_upsert(chunks)  # the points are written ...
        if len(calls) == 2:  # ... and then the second batch's call fails
            raise VectorStoreUnavailable("The vector store cannot be reached right now.")

    monkeypatch.setattr(vectors, "upsert", upsert_then_fail)
    notes = world.file("minutes.txt", long_text())

    out = await alice.say(f"/docs upload file:{notes}")

    assert len(calls) == 2 and calls[0] == 64
    assert "(only you) The vector store cannot be reached right now." in out
    assert "❌ **minutes.txt** was not added." in out
    assert await world.rows(SERVER_A) == []
    assert await world.chunks(SERVER_A) == 0

    monkeypatch.setattr(vectors, "upsert", real_upsert)  # the store is back: try again
    out = await alice.say(f"/docs upload file:{notes}")
    assert "✅ Added **minutes.txt**" in out and "already" not in out
    (row,) = await world.rows(SERVER_A)
    assert row.status == "ready" and await world.chunks(SERVER_A) == row.chunks > 64


async def test_embedder_crashing_mid_upload_leaves_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    alice = world.member("alice")
    embedder = await world.ai.embedder()
    real_embed, calls = embedder.embed_documents, []

    async def embed_then_crash(texts: Sequence[str]) -> list[list[float]]:
        calls.append(len(texts))
        if len(calls) == 2:
            raise RuntimeError("out of memory")
        return await real_embed(texts)

    monkeypatch.setattr(embedder, "embed_documents", embed_then_crash)

    out = await alice.say(f"/docs upload file:{world.file('minutes.txt', long_text())}")

    assert "Sorry, something went wrong in `docs`." in out  # details only in the log
    assert "❌ **minutes.txt** was not added." in out  # the status message doesn't hang
    assert "out of memory" not in out and "out of memory" in caplog.text
    assert await world.rows(SERVER_A) == [] and await world.chunks(SERVER_A) == 0


async def test_cancelled_upload_leaves_nothing(world: World) -> None:
    ingestor = Ingestor(
        world.app.store, await world.vectors(), await world.ai.embedder(), batch_size=16
    )
    second_batch = asyncio.Event()

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "embedding" and done >= 32:
            second_batch.set()

    task = asyncio.create_task(
        ingestor.ingest(
            long_text().encode(),
            "minutes.txt",
            server_id=SERVER_A,
            uploader_id=1,
            progress=progress,
        )
    )
    await asyncio.wait_for(second_batch.wait(), 30)
    assert await world.chunks(SERVER_A) >= 16  # some batches were stored already
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert await world.rows(SERVER_A) == [] and await world.chunks(SERVER_A) == 0


async def test_cancelled_right_after_its_row_is_written_leaves_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    documents = world.app.store.documents
    real_add = documents.add_many

    async def add_then_cancelled(rows: Sequence[Document]) -> None:
        await real_add(rows)  # committed ...
        raise asyncio.CancelledError  # ... and the upload is cancelled before going on

    monkeypatch.setattr(documents, "add_many", add_then_cancelled)
    ingestor = Ingestor(world.app.store, await world.vectors(), await world.ai.embedder())
    with pytest.raises(asyncio.CancelledError):
        await ingestor.ingest(kettle_pdf(), "kettle-manual.pdf", server_id=SERVER_A, uploader_id=1)
    assert await world.rows(SERVER_A) == []  # no row to block the next upload for an hour


async def _abandoned_row(world: World, data: bytes, age: timedelta, uploader: int) -> Document:
    """The row an upload leaves while in progress (or forever, if its process died)."""
    from bot.documents import parse_document

    parsed = await parse_document(data, "kettle-manual.pdf")
    row = Document(
        id="0badc0de-0000-4000-8000-000000000000",
        server_id=SERVER_A,
        channel_id=None,
        uploader_id=uploader,
        name=parsed.name,
        kind=parsed.kind,
        sha256=parsed.sha256,
        size=parsed.size,
        pages=0,
        chunks=0,
        status="ingesting",
        created_at=datetime.now(UTC) - age,
    )
    await world.app.store.documents.add(row)
    return row


async def test_an_upload_in_progress_is_not_duplicated_nor_deleted(world: World) -> None:
    alice = world.member("alice")
    data = kettle_pdf()
    await _abandoned_row(world, data, timedelta(minutes=2), alice.id)

    out = await alice.say(f"/docs upload file:{world.file('kettle-manual.pdf', data)}")
    assert "`kettle-manual.pdf` is being added right now; it will be ready shortly." in out
    out = await alice.say("/docs delete kettle-manual.pdf")
    assert "**kettle-manual.pdf** is still being added; delete it once it's ready." in out
    assert "No documents yet" in await alice.say("/docs list")  # only ready ones are listed
    assert len(await world.rows(SERVER_A)) == 1


async def test_an_upload_abandoned_long_ago_is_replaced(world: World) -> None:
    alice = world.member("alice")
    data = kettle_pdf()
    stale = await _abandoned_row(world, data, timedelta(hours=3), alice.id)

    out = await alice.say(f"/docs upload file:{world.file('kettle-manual.pdf', data)}")

    assert "✅ Added **kettle-manual.pdf**: 3 pages, 3 chunks" in out
    (row,) = await world.rows(SERVER_A)
    assert row.id != stale.id and row.status == "ready"
    assert await world.chunks(SERVER_A) == 3


async def test_an_abandoned_upload_can_be_deleted(world: World) -> None:
    alice = world.member("alice")
    stale = await _abandoned_row(world, kettle_pdf(), timedelta(hours=3), alice.id)
    out = await alice.say(f"/docs delete document:{stale.id[:8]}")
    assert "Deleted **kettle-manual.pdf** and its 0 chunks." in out
    assert await world.rows(SERVER_A) == []


async def test_an_upload_whose_process_died_can_be_sent_again_at_once(world: World) -> None:
    """The lease names a process that is gone: no waiting for the row to grow old."""
    alice = world.member("alice")
    data = kettle_pdf()
    row = await _abandoned_row(world, data, timedelta(seconds=5), alice.id)
    dead = await asyncio.create_subprocess_exec("true")
    await dead.wait()
    now = datetime.now(UTC).isoformat()
    await world.app.store.state.set(f"ingest:{row.id}", f"{socket.gethostname()}|{dead.pid}|{now}")

    out = await alice.say(f"/docs upload file:{world.file('kettle-manual.pdf', data)}")
    assert "✅ Added **kettle-manual.pdf**: 3 pages, 3 chunks" in out
    (ready,) = await world.rows(SERVER_A)
    assert ready.status == "ready" and await world.chunks(SERVER_A) == 3
    assert await world.app.store.state.get(f"ingest:{ready.id}") is None  # lease ended
