"""The public entry points: limits, hashes, async parsing and local files."""

from __future__ import annotations

import asyncio

import pytest

from bot.documents import (
    DEFAULT_LIMITS,
    DocumentError,
    DocumentLimits,
    DocumentTooLarge,
    EmptyDocument,
    parse_document,
    parse_document_sync,
    parse_file,
)


def test_default_limits() -> None:
    assert DEFAULT_LIMITS.max_bytes == 20 * 1024 * 1024
    assert DEFAULT_LIMITS.max_pages == 500
    with pytest.raises(ValueError):
        DocumentLimits(max_pages=0)


def test_size_can_be_checked_before_downloading() -> None:
    limits = DocumentLimits(max_bytes=1024)
    limits.check_size(1024, "ok.pdf")

    with pytest.raises(DocumentTooLarge) as caught:
        limits.check_size(5 * 1024 * 1024, "../dir/big.pdf")
    assert caught.value.user_message.startswith("`big.pdf` is 5.0 MB; the limit is 1 KB.")

    # A plain relative name keeps its folders (two index.txt stay apart).
    with pytest.raises(DocumentTooLarge) as caught:
        limits.check_size(5 * 1024 * 1024, "./dir/big.pdf")
    assert caught.value.user_message.startswith("`dir/big.pdf` is 5.0 MB; the limit is 1 KB.")


async def test_too_many_bytes_is_refused_without_parsing() -> None:
    with pytest.raises(DocumentTooLarge):
        await parse_document(b"x" * 2000, "a.txt", DocumentLimits(max_bytes=1000))


def test_too_much_text_is_refused() -> None:
    with pytest.raises(DocumentTooLarge) as caught:
        parse_document_sync(b"word " * 100, "a.txt", DocumentLimits(max_chars=100))

    assert "more than 100 characters" in caught.value.user_message


def test_whitespace_only_text_is_empty() -> None:
    with pytest.raises(EmptyDocument):
        parse_document_sync(b" \n\t\r\n ", "blank.txt")


def test_hash_depends_on_bytes_only() -> None:
    first = parse_document_sync(b"same content", "one.txt")
    second = parse_document_sync(b"same content", "two.md")
    third = parse_document_sync(b"other content", "one.txt")

    assert first.sha256 == second.sha256 != third.sha256
    assert len(first.sha256) == 64


async def test_parsing_leaves_the_event_loop_free() -> None:
    text = ("Bir cümle daha. " * 50 + "\n\n") * 1500  # about 1.2 MB of text
    ticks = 0
    done = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    doc = await parse_document(text.encode(), "big.txt", DocumentLimits(max_chars=5_000_000))
    done.set()
    await task

    assert doc.char_count > 1_000_000
    assert ticks > 10  # the loop kept running while the worker thread parsed


async def test_parse_file(tmp_path) -> None:
    path = tmp_path / "notlar.md"
    path.write_text("# Notlar\n\nÇok önemli.", encoding="utf-8")

    doc = await parse_file(path)

    assert (doc.name, doc.kind, doc.pages[0].text) == (
        "notlar.md",
        "markdown",
        "# Notlar\n\nÇok önemli.",
    )


async def test_parse_file_checks_size_first_and_reports_missing_files(tmp_path) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(b"x" * 5000)

    with pytest.raises(DocumentTooLarge):
        await parse_file(path, DocumentLimits(max_bytes=100))
    with pytest.raises(DocumentError) as caught:
        await parse_file(tmp_path / "missing.pdf")
    assert "`missing.pdf`" in caught.value.user_message
