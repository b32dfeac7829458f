"""`sohbet ingest PATH... --server ID` as an operator runs it, then /ask uses what it added."""

from __future__ import annotations

import asyncio
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot import commands
from bot.app import build_app
from bot.config import Config
from bot.core.events import Location
from bot.knowledge import Ingestor
from bot.platforms.console import ConsoleAdapter
from bot.providers import AIProviders
from plugins.docs import DocsPlugin
from tests.conftest import isolate_environment
from tests.docs.conftest import GARDEN_TEXT, SERVER_A, StartWorld, kettle_pdf

SERVER = 4242


def _sohbet() -> list[str]:
    script = Path(sys.executable).parent / "sohbet"
    if script.exists():
        return [str(script)]
    found = shutil.which("sohbet")
    return [found] if found else [sys.executable, "-m", "bot.cli"]


def _environment(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOHBET_")}
    return env | {
        "SOHBET_DATA_DIR": str(home / "data"),
        "SOHBET_CONFIG_FILE": str(home / "absent.toml"),
        "SOHBET_PLUGINS": "docs",
        "HF_HUB_OFFLINE": "1",
        "PYTHONIOENCODING": "utf-8",
    }


async def test_ingest_command_adds_files_and_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text("# Garden\n\n" + GARDEN_TEXT)
    folder = tmp_path / "manuals"
    folder.mkdir()
    (folder / "kettle-manual.pdf").write_bytes(kettle_pdf())
    (folder / "broken.pdf").write_bytes(b"%PDF-1.7\n" + b"garbage " * 50)

    args = ["ingest", str(notes), str(folder), "missing.txt", "--server", str(SERVER)]
    done = await asyncio.to_thread(
        subprocess.run,
        [*_sohbet(), *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=_environment(tmp_path),
        timeout=180,
        check=False,
    )

    assert done.returncode == 1, done.stdout + done.stderr  # two files failed
    assert "Traceback" not in done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith(f"✓ {notes}: 1 page, 1 chunk, ")
    assert lines[1].startswith(f"✗ {folder / 'broken.pdf'}: `broken.pdf` seems to be damaged")
    assert lines[2].startswith(f"✓ {folder / 'kettle-manual.pdf'}: 3 pages, 3 chunks, ")
    assert lines[3] == "✗ missing.txt: skipped: no such file"
    assert lines[4].startswith("Added 2 documents (4 chunks) in ")
    assert lines[4].endswith(" s; 1 not added.")

    # The bot, started on the same data folder, answers from those files on that server only.
    isolate_environment(monkeypatch, tmp_path)
    config = Config(
        data_dir=tmp_path / "data",
        model_provider="fake",
        model_name="The garden opens at 7 in the morning [1].",
        plugins=["docs"],
    )
    app = await build_app(config, plugins=[DocsPlugin()])
    try:
        rows = await app.store.documents.list(SERVER)
        assert sorted((d.name, d.status, d.uploader_id) for d in rows) == [
            ("kettle-manual.pdf", "ready", 0),
            ("notes.md", "ready", 0),
        ]
        vectors = await app.services.get("ai", AIProviders).vectors()
        assert await vectors.count(SERVER) == 4 and await vectors.count() == 4
        out = io.StringIO()
        console = ConsoleAdapter(app.router, out=out)
        console.location = Location(SERVER, 1)
        await console.handle_line("/ask When does the community garden open?")
        # Members see the document's name, never where the operator keeps the file.
        assert "[1] notes.md\n" in out.getvalue()
        assert "file:" not in out.getvalue() and str(tmp_path) not in out.getvalue()
        assert all(d.source_url is None for d in rows)
    finally:
        await app.close()

    # Again, in-process: everything is already there, which is no failure.
    assert await commands.ingest(config, [str(notes)], SERVER, None) == 0
    out = capsys.readouterr().out
    assert f"= {notes}: `notes.md` is already in this server's documents" in out
    assert "Added 0 documents (0 chunks) in " in out and "; 1 skipped (already stored)." in out


async def test_a_folder_names_documents_by_relative_path_and_reports_what_it_skips(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    isolate_environment(monkeypatch, tmp_path)
    docs = tmp_path / "docs"
    for sub, text in (("library", GARDEN_TEXT), ("howto", "Kettles boil water. " * 20)):
        (docs / sub).mkdir(parents=True)
        (docs / sub / "index.txt").write_text(text)
    os.mkfifo(docs / "pipe")  # would hang a reader forever
    (docs / "loop").symlink_to(docs / "loop")  # a symlink loop
    (docs / "dangling").symlink_to(docs / "nowhere")
    (docs / "up").symlink_to(docs)  # a folder link: never followed (no cycles)
    if os.geteuid() == 0:
        os.mknod(docs / "zero", 0o600 | 0o020000, os.makedev(1, 5))  # like /dev/zero
    config = Config(data_dir=tmp_path / "data", model_provider="fake", plugins=["docs"])

    code = await asyncio.wait_for(commands.ingest(config, [str(docs)], SERVER, None), 120)

    out = capsys.readouterr().out
    assert code == 1  # something was skipped: the exit code says so
    assert f"✓ {docs / 'howto' / 'index.txt'}" in out
    assert f"✓ {docs / 'library' / 'index.txt'}" in out  # the second one is not a duplicate
    assert f"✗ {docs / 'pipe'}: skipped: a FIFO (named pipe), not a file" in out
    assert f"✗ {docs / 'loop'}: skipped: can't be read" in out
    assert f"✗ {docs / 'dangling'}: skipped: a broken symbolic link" in out
    assert f"✗ {docs / 'up'}: skipped: a link to a folder (not followed)" in out
    if os.geteuid() == 0:
        assert f"✗ {docs / 'zero'}: skipped: a device, not a file" in out
    app = await build_app(config, plugins=[DocsPlugin()])
    try:
        names = sorted(d.name for d in await app.store.documents.list(SERVER))
        assert names == ["howto/index.txt", "library/index.txt"]
    finally:
        await app.close()


async def test_file_addresses_stored_earlier_are_not_shown_to_members(
    start_world: StartWorld,
) -> None:
    """Documents added by older versions kept `file:///<operator's path>` as their link."""
    # A reply both documents hold a sentence of: its citations survive the check either way.
    world = await start_world(
        reply="The community garden opens at 7 in the morning [1]. "
        "The kettle's warranty lasts 24 months [2]."
    )
    ingestor = Ingestor(world.app.store, await world.vectors(), await world.ai.embedder())
    await ingestor.ingest(
        GARDEN_TEXT.encode(),
        "garden.txt",
        server_id=SERVER_A,
        uploader_id=0,
        source_url="file:///home/operator/private/garden.txt",
    )
    await ingestor.ingest(
        kettle_pdf(),
        "kettle-manual.pdf",
        server_id=SERVER_A,
        uploader_id=0,
        source_url="https://discord.com/channels/1001/11/42",
    )
    alice = world.member("alice")
    garden = await alice.say("/ask When does the community garden open?")
    assert "garden.txt" in garden and "file:" not in garden and "/home/operator" not in garden
    kettle = await alice.say("/ask How long is the kettle's warranty?")
    assert "<https://discord.com/channels/1001/11/42>" in kettle  # web links stay
