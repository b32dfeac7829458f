"""SQL and vectors agree: orphans go, abandoned uploads go, ready documents are served."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import time
from dataclasses import replace
from pathlib import Path

import pytest

from bot.app import build_app
from bot.config import Config
from bot.knowledge import Ingestor
from bot.knowledge.reconcile import reconcile
from bot.vectors import ChunkRecord, SearchScope
from plugins.admin import AdminPlugin
from plugins.docs import DocsPlugin
from tests.conftest import isolate_environment, migrated_sqlite
from tests.docs.conftest import (
    ANSWER,
    GARDEN_TEXT,
    SERVER_A,
    World,
    config_on_disk,
    kettle_pdf,
)
from tests.docs.test_ingest_cli import _environment, _sohbet

GARDEN = "When does the community garden open?"


async def _chunk(world: World, document_id: str, text: str, pending: bool = False) -> ChunkRecord:
    [vector] = await (await world.ai.embedder()).embed_documents([text])
    return ChunkRecord(
        id=f"{document_id}:0",
        text=text,
        dense=vector,
        server_id=SERVER_A,
        channel_id=None,
        document_id=document_id,
        document_name="garden.txt",
        uploader_id=1,
        position=0,
        pending=pending,
    )


async def test_vectors_without_a_document_row_are_removed(world: World) -> None:
    vectors = await world.vectors()
    await vectors.upsert([await _chunk(world, "orphan", GARDEN_TEXT)])  # e.g. the database was lost
    alice = world.member("alice")
    assert "garden.txt" not in await alice.say(f"/ask {GARDEN}")  # never served, even now

    report = await reconcile(world.app.store, vectors)

    assert report.orphans_removed == ["orphan"]
    assert await vectors.count() == 0
    assert "garden.txt" not in await alice.say(f"/ask {GARDEN}")


async def test_the_first_ask_after_the_database_was_recreated_cites_no_orphan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sqlite_template: Path
) -> None:
    """The vectors were kept, the database recreated: nothing of the old documents is served
    from the first request on, before the reconciler has run; documents added since are."""
    config = config_on_disk(
        tmp_path, monkeypatch, sqlite_template, model_provider="fake", model_name=ANSWER
    )
    plugins = [DocsPlugin(), AdminPlugin()]
    first = await build_app(config, plugins=plugins)
    try:
        kettle = World(first, tmp_path).file("kettle-manual.pdf", kettle_pdf())
        alice = World(first, tmp_path).member("alice", admin=True)
        assert "Added **kettle-manual.pdf**" in await alice.say(f"/docs upload file:{kettle}")
        assert "kettle-manual.pdf" in await alice.say("/ask How long is the kettle's warranty?")
    finally:
        await first.close()
    migrated_sqlite(sqlite_template, config.data_dir / "sohbet.db")  # a new, empty database

    second = await build_app(config, plugins=[DocsPlugin(), AdminPlugin()])
    try:
        world = World(second, tmp_path)
        assert await world.chunks(SERVER_A) == 3  # the old chunks are still in the store
        alice = world.member("alice", admin=True)
        answer = await alice.say("/ask How long is the kettle's warranty?")
        assert "kettle-manual.pdf" not in answer and ANSWER not in answer
        garden = world.file("garden.txt", GARDEN_TEXT)
        assert "Added **garden.txt**" in await alice.say(f"/docs upload file:{garden}")
        assert "garden.txt" in await alice.say(f"/ask {GARDEN}")  # ready rows are served
    finally:
        await second.close()


async def test_orphans_crowding_the_top_hits_do_not_hide_a_ready_document(world: World) -> None:
    vectors = await world.vectors()
    orphans = [await _chunk(world, f"orphan{i}", GARDEN_TEXT) for i in range(12)]
    await vectors.upsert([replace(c, document_name="old-garden.txt") for c in orphans])
    alice = world.member("alice", admin=True)
    garden = world.file("garden.txt", GARDEN_TEXT + "\nThe gate code is 4711.")
    assert "Added **garden.txt**" in await alice.say(f"/docs upload file:{garden}")
    answer = await alice.say(f"/ask {GARDEN}")
    assert "garden.txt" in answer and "old-garden.txt" not in answer


async def test_a_ready_document_whose_chunks_are_pending_is_published(world: World) -> None:
    alice = world.member("alice")
    await alice.say(f"/docs upload file:{world.file('kettle-manual.pdf', kettle_pdf())}")
    (row,) = await world.rows(SERVER_A)
    vectors = await world.vectors()
    # A crash between marking the row ready and publishing: chunks written pending again.
    chunks = await vectors.document_chunks(SERVER_A, row.id)
    embedder = await world.ai.embedder()
    dense = await embedder.embed_documents([c.text for c in chunks])
    await vectors.upsert(
        [
            ChunkRecord(
                id=c.id,
                text=c.text,
                dense=d,
                server_id=SERVER_A,
                channel_id=None,
                document_id=row.id,
                document_name=row.name,
                uploader_id=c.uploader_id,
                position=c.position,
                page=c.page,
                pending=True,
            )
            for c, d in zip(chunks, dense, strict=True)
        ]
    )
    assert await vectors.search("warranty", None, SearchScope(SERVER_A)) == []

    report = await reconcile(world.app.store, vectors)

    assert report.published == [row.id]
    assert await vectors.search("warranty", None, SearchScope(SERVER_A))


async def test_reuploading_after_the_database_was_lost_does_not_duplicate(world: World) -> None:
    ingestor = Ingestor(world.app.store, await world.vectors(), await world.ai.embedder())
    first = await ingestor.ingest(
        kettle_pdf(), "kettle-manual.pdf", server_id=SERVER_A, uploader_id=1
    )
    await world.app.store.documents.delete(SERVER_A, first.document_id)  # the row is gone
    again = await ingestor.ingest(
        kettle_pdf(), "kettle-manual.pdf", server_id=SERVER_A, uploader_id=1
    )
    assert again.document_id == first.document_id
    assert await world.chunks(SERVER_A) == 3  # replaced, not 6


async def test_a_killed_ingest_leaves_nothing_served_and_the_file_can_be_sent_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    big = tmp_path / "big.txt"
    big.write_text(
        "\n\n".join(
            f"Paragraph {i}: the zephyr router {i} restarts when port {i} opens. " + GARDEN_TEXT
            for i in range(2500)
        )
    )
    env = _environment(tmp_path)
    process = await asyncio.create_subprocess_exec(
        *_sohbet(),
        "ingest",
        str(big),
        "--server",
        str(SERVER_A),
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    database = tmp_path / "data" / "sohbet.db"
    deadline = time.monotonic() + 120
    leases: set[str] = set()
    while time.monotonic() < deadline and process.returncode is None:
        if database.exists():
            with sqlite3.connect(database) as db:  # the lease is renewed before every batch
                try:
                    rows = db.execute(
                        "select value from bot_state where key like 'ingest:%'"
                    ).fetchall()
                except sqlite3.OperationalError:
                    rows = []
            leases |= {row[0] for row in rows}
        if len(leases) >= 3:  # two batches are in: half-way, kill it
            break
        await asyncio.sleep(0.05)
    assert process.returncode is None, "the ingest finished before it could be killed"
    os.kill(process.pid, signal.SIGKILL)
    await process.wait()

    isolate_environment(monkeypatch, tmp_path)
    config = Config(
        data_dir=tmp_path / "data",
        model_provider="fake",
        model_name="Routers restart [1].",
        plugins=["docs"],
    )
    app = await build_app(config, plugins=[DocsPlugin()])
    try:
        from bot.providers import AIProviders

        ai = app.services.get("ai", AIProviders)
        vectors = await ai.vectors()
        assert await vectors.count(SERVER_A) > 0  # half a document was written ...
        hits = await vectors.search("zephyr router restarts", None, SearchScope(SERVER_A))
        assert hits == []  # ... and none of it is served
        assert [d.status for d in await app.store.documents.list(SERVER_A)] == ["ingesting"]

        report = await reconcile(app.store, vectors)  # the lease's process is gone
        assert len(report.stale_removed) == 1
        assert await vectors.count(SERVER_A) == 0
        assert await app.store.documents.list(SERVER_A) == []
    finally:
        await app.close()
