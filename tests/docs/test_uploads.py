"""Bad uploads are explained and leave nothing behind; duplicates are skipped."""

from __future__ import annotations

import asyncio
import struct
import zlib
from typing import Any

import pytest

from bot.knowledge import DuplicateDocument, Ingestor
from tests.docs.conftest import GARDEN_TEXT, SERVER_A, World, kettle_pdf, posted
from tests.documents.builders import make_pdf


def png() -> bytes:
    """A real 1x1 PNG image."""

    def part(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + part(b"IHDR", header)
        + part(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + part(b"IEND", b"")
    )


BAD_FILES = {
    "encrypted": (
        "locked.pdf",
        make_pdf(["secret plans"], encrypt={"user_password": "pw", "algorithm": "AES-256"}),
        "`locked.pdf` is protected with a password, so I can't read it.",
    ),
    "corrupt": (
        "cut.pdf",
        make_pdf(["Hello world"] * 3)[:400],
        "`cut.pdf` seems to be damaged or incomplete: I couldn't read it as a PDF.",
    ),
    "empty text": ("empty.txt", b"  \n\n  ", "`empty.txt` has no text I could extract."),
    "scanned pdf": ("scan.pdf", make_pdf(["", ""]), "`scan.pdf` has no text I could extract."),
    "image": ("photo.png", png(), "`photo.png` looks like a PNG image, which I can't read."),
    "renamed image": (
        "report.pdf",
        png(),
        "`report.pdf` is named like a PDF, but its contents are a PNG image.",
    ),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
async def test_bad_files_are_explained_and_leave_nothing(world: World, case: str) -> None:
    name, data, message = BAD_FILES[case]
    alice = world.member("alice")

    out = await alice.say(f"/docs upload file:{world.file(name, data)}")

    assert f"sohbet> ❌ **{name}** was not added." in out
    assert f"sohbet> (only you) {message}" in out
    assert "Traceback" not in out and "went wrong" not in out
    assert await world.rows(SERVER_A) == []
    assert await world.chunks(SERVER_A) == 0


async def test_oversized_files_are_refused_before_download(world: World) -> None:
    admin = world.member("mod", admin=True)
    await admin.say("/plugins config set plugin:docs key:max_file_mb value:1")
    big = world.file("big.txt", "All work and no play. " * 70_000)  # 1.5 MB

    out = await admin.say(f"/docs upload file:{big}")
    assert out == "sohbet> (only you) `big.txt` is 1.5 MB; the limit is 1.0 MB.\n"
    assert await world.rows(SERVER_A) == [] and await world.chunks(SERVER_A) == 0


async def test_the_same_file_twice_is_skipped(world: World) -> None:
    alice, bob = world.member("alice"), world.member("bob")
    manual = kettle_pdf()
    await alice.say(f"/docs upload file:{world.file('kettle-manual.pdf', manual)}")
    (row,) = await world.rows(SERVER_A)

    # Same bytes under another name, by someone else: still the same document.
    out = await bob.say(f"/docs upload file:{world.file('copy.pdf', manual)}")
    expected = f"`kettle-manual.pdf` is already in this server's documents (id `{row.id[:8]}`)"
    assert expected in out
    out = await bob.menu("Add to documents", posted(bob, [world.file("again.pdf", manual)]))
    assert expected in out
    assert len(await world.rows(SERVER_A)) == 1 and await world.chunks(SERVER_A) == 3

    # A different edition of the manual is a different document.
    out = await bob.say(f"/docs upload file:{world.file('v2.pdf', kettle_pdf('2'))}")
    assert "✅ Added **v2.pdf**" in out


async def test_one_bad_attachment_does_not_stop_the_others(world: World) -> None:
    alice = world.member("alice")
    files = [
        world.file("photo.png", png()),
        world.file("garden.txt", GARDEN_TEXT),
    ]
    out = await alice.menu("Add to documents", posted(alice, files))
    assert "(only you) `photo.png` looks like a PNG image" in out
    assert "✅ Added **garden.txt**" in out
    assert [d.name for d in await world.rows(SERVER_A)] == ["garden.txt"]

    out = await alice.menu("Add to documents", posted(alice, []))
    assert "That message has no attached file to add." in out


async def test_simultaneous_uploads_of_one_file_keep_one_copy(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingestor = Ingestor(world.app.store, await world.vectors(), await world.ai.embedder())
    data = kettle_pdf()
    # Make the race certain: all three pass the duplicate check before any of them inserts.
    documents = world.app.store.documents
    check, together, calls = documents.by_hashes, asyncio.Barrier(3), [0]

    async def by_hashes_together(server_id: int, hashes: Any) -> Any:
        found = await check(server_id, hashes)
        calls[0] += 1
        if calls[0] <= 3:
            await together.wait()
        return found

    monkeypatch.setattr(documents, "by_hashes", by_hashes_together)

    results = await asyncio.gather(
        *(ingestor.ingest(data, f"k{i}.pdf", server_id=SERVER_A, uploader_id=i) for i in range(3)),
        return_exceptions=True,
    )

    done = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, DuplicateDocument)]
    assert len(done) == 1 and len(refused) == 2, results
    (row,) = await world.rows(SERVER_A)
    assert row.id == done[0].document_id and row.status == "ready"
    assert await world.chunks(SERVER_A) == 3


async def test_several_files_in_one_command_are_added_in_one_run(world: World) -> None:
    alice = world.member("alice")
    notes = [
        world.file(f"note{i}.txt", f"Note {i}: the bakery opens at {i + 6}.") for i in range(3)
    ]
    photo = world.file("photo.png", png())

    out = await alice.say(
        f"/docs upload file:{notes[0]} file2:{notes[1]} file3:{photo} file4:{notes[2]}"
    )

    assert "📄 Reading 4 files…" in out
    assert "✅ Added **note0.txt**: 1 page, 1 chunk" in out and "✅ Added **note2.txt**" in out
    assert "Added 3 documents (3 chunks) in " in out and "; 1 not added." in out
    assert "(only you) `photo.png` looks like a PNG image" in out
    assert sorted(d.name for d in await world.rows(SERVER_A)) == [
        "note0.txt",
        "note1.txt",
        "note2.txt",
    ]
