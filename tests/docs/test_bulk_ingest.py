"""Many files in one ingestion run: windows published whole, re-runs that skip what is
stored, changed files replacing their old version, and a SIGKILL in the middle of a window."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from bot.app import build_app
from bot.config import Config
from bot.knowledge import BatchProgress, Ingestor, Upload
from bot.providers import AIProviders
from bot.vectors import SearchScope
from plugins.docs import DocsPlugin
from tests.conftest import isolate_environment
from tests.docs.conftest import SERVER_A, World, kettle_pdf
from tests.docs.test_ingest_cli import _environment, _sohbet

SERVER = 4343
FILES = 400
TOPICS = ["kettle", "garden", "bicycle", "library", "museum", "bakery", "harbour", "orchard"]


def note(i: int) -> str:
    topic = TOPICS[i % len(TOPICS)]
    return (
        f"Note {i} about the {topic}: the {topic} committee meets on day {i % 28 + 1}, "
        f"keeps form number {i * 13} and the code word is quux{i}."
    )


def uploads(count: int, start: int = 0) -> list[Upload]:
    return [Upload(f"notes/n{i}.txt", note(i).encode()) for i in range(start, start + count)]


async def ingestor(world: World) -> Ingestor:
    return Ingestor(world.app.store, await world.vectors(), await world.ai.embedder())


async def test_many_files_are_added_in_one_run_with_one_progress(world: World) -> None:
    seen: list[BatchProgress] = []
    files = [*uploads(40), Upload("manual.pdf", kettle_pdf()), Upload("bad.txt", b"\x00\x01" * 50)]

    report = await (await ingestor(world)).ingest_many(
        files, server_id=SERVER_A, uploader_id=7, progress=lambda p: seen.append(p.to_json())
    )

    assert (report.count("added"), report.count("skipped"), report.count("refused")) == (41, 0, 1)
    assert [o.name for o in report.outcomes] == [f.name for f in files]
    assert "named like plain text" in report.outcomes[-1].sentence
    assert report.chunks == 43 == await world.chunks(SERVER_A)
    rows = await world.rows(SERVER_A)
    assert len(rows) == 41 and {r.status for r in rows} == {"ready"}
    assert {r.uploader_id for r in rows} == {7}
    done = [p["files_done"] for p in seen]
    assert done == sorted(done) and done[-1] == 42 and seen[-1]["chunks_done"] == 43
    assert report.summary().startswith("Added 41 documents (43 chunks) in ")
    assert report.summary().endswith("; 1 not added.")


async def test_running_again_skips_every_stored_file_without_parsing_it(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = uploads(30)
    await (await ingestor(world)).ingest_many(files, server_id=SERVER_A, uploader_id=0)
    before = sorted((r.id, r.status, r.chunks) for r in await world.rows(SERVER_A))

    import bot.knowledge.ingest as ingest

    def no_parsing(*args: object, **kwargs: object) -> None:
        raise AssertionError("a stored file was parsed again")

    monkeypatch.setattr(ingest, "parse_and_split_many", no_parsing)
    embedder = await world.ai.embedder()
    monkeypatch.setattr(embedder, "embed_documents", no_parsing)
    again = await (await ingestor(world)).ingest_many(files, server_id=SERVER_A, uploader_id=0)

    assert again.count("skipped") == 30 and again.count("added") == again.count("refused") == 0
    assert again.summary().endswith("30 skipped (already stored).")
    assert sorted((r.id, r.status, r.chunks) for r in await world.rows(SERVER_A)) == before
    assert await world.chunks(SERVER_A) == 30


async def test_a_changed_file_replaces_its_old_version(world: World) -> None:
    ingest = await ingestor(world)
    await ingest.ingest_many(uploads(3), server_id=SERVER_A, uploader_id=0)
    changed = Upload("notes/n1.txt", b"Note 1, rewritten: the garden now opens at noon.")

    report = await ingest.ingest_many([*uploads(1), changed], server_id=SERVER_A, uploader_id=0)

    assert [o.status for o in report.outcomes] == ["skipped", "added"]
    assert (
        report.outcomes[1].replaced == 1
        and "replaced its earlier version" in report.outcomes[1].sentence
    )
    names = sorted(r.name for r in await world.rows(SERVER_A))
    assert names == ["notes/n0.txt", "notes/n1.txt", "notes/n2.txt"]
    vectors = await world.vectors()
    hits = await vectors.search("quux1", None, SearchScope(SERVER_A), mode="sparse")
    assert hits == []  # the old text is gone
    hits = await vectors.search("garden opens at noon", None, SearchScope(SERVER_A), mode="sparse")
    assert hits and hits[0].document_name == "notes/n1.txt"
    # Someone else's file of the same name is not theirs to replace.
    other = await ingest.ingest_many(
        [Upload("notes/n2.txt", b"Another n2 entirely.")], server_id=SERVER_A, uploader_id=99
    )
    assert other.outcomes[0].replaced == 0 and len(await world.rows(SERVER_A)) == 4


async def test_the_same_contents_twice_in_one_run_are_added_once(world: World) -> None:
    same = note(5).encode()
    report = await (await ingestor(world)).ingest_many(
        [Upload("a.txt", same), Upload("b.txt", same)], server_id=SERVER_A, uploader_id=0
    )
    assert [o.status for o in report.outcomes] == ["added", "skipped"]
    assert (
        report.outcomes[1].sentence
        == "`b.txt` has the same contents as `a.txt`, so I added it once."
    )
    assert len(await world.rows(SERVER_A)) == 1


async def test_a_sigkill_in_the_middle_of_a_window_serves_nothing_of_it_and_the_next_run_completes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "wiki"
    folder.mkdir()
    for i in range(FILES):  # windows of 32, 256 and 112 files; 3 chunks each
        (folder / f"page{i:03}.txt").write_text("\n\n".join([note(i)] * 18))
    env = _environment(tmp_path)
    database = tmp_path / "data" / "sohbet.db"
    command = [*_sohbet(), "ingest", str(folder), "--server", str(SERVER)]
    process = await asyncio.create_subprocess_exec(
        *command, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 180
    states: dict[str, int] = {}
    while time.monotonic() < deadline and process.returncode is None:
        if database.exists():
            with sqlite3.connect(database) as db:
                try:
                    rows = db.execute("select status, count(*) from documents group by status")
                    states = dict(rows.fetchall())
                except sqlite3.OperationalError:
                    states = {}
            if states.get("ready", 0) >= 32 and states.get("ingesting", 0) >= 100:
                break  # the first window is served, the second is being embedded ...
        await asyncio.sleep(0.02)
    await asyncio.sleep(2.5)  # ... for a few of its 768 chunks (more than 10 s of embedding)
    assert process.returncode is None, f"the ingest ended before it could be killed: {states}"
    os.kill(process.pid, signal.SIGKILL)
    await process.wait()

    isolate_environment(monkeypatch, tmp_path)
    config = Config(data_dir=tmp_path / "data", model_provider="fake", plugins=["docs"])
    app = await build_app(config, plugins=[DocsPlugin()])
    try:
        rows = await app.store.documents.list(SERVER)
        ready = {r.id for r in rows if r.status == "ready"}
        assert len(ready) < FILES and any(r.status == "ingesting" for r in rows)
        vectors = await app.services.get("ai", AIProviders).vectors()
        assert await vectors.count(SERVER) > len(ready)  # some of the killed window is written
        for word in ("committee meets", "form number", "code word"):  # ... none of it served
            hits = await vectors.search(word, None, SearchScope(SERVER), mode="sparse", limit=50)
            assert hits and {hit.document_id for hit in hits} <= ready
    finally:
        await app.close()

    done = await asyncio.to_thread(
        subprocess.run, command, env=env, cwd=tmp_path, capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    summary = done.stdout.strip().splitlines()[-1]
    assert f"; {len(ready)} skipped (already stored)." in summary, summary
    assert summary.startswith(f"Added {FILES - len(ready)} documents")

    app = await build_app(config, plugins=[DocsPlugin()])
    try:
        rows = await app.store.documents.list(SERVER)
        assert len(rows) == FILES and {r.status for r in rows} == {"ready"}
        vectors = await app.services.get("ai", AIProviders).vectors()
        assert await vectors.count(SERVER) == sum(r.chunks for r in rows) == 3 * FILES
        assert await vectors.document_ids(pending_only=True) == {}
        hits = await vectors.search("quux350", None, SearchScope(SERVER), mode="sparse")
        assert hits[0].document_name == "page350.txt"
    finally:
        await app.close()
