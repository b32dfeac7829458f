"""PDF parsing: pages, encryption, damage, scans, limits and progress."""

from __future__ import annotations

import hashlib

import pytest

from bot.documents import (
    CorruptDocument,
    DocumentLimits,
    DocumentTooLarge,
    EmptyDocument,
    EncryptedDocument,
    Page,
    TooManyPages,
    parse_document,
    parse_document_sync,
)
from tests.documents.builders import make_pdf


def test_pages_keep_their_numbers_and_text() -> None:
    data = make_pdf(["First page\nsecond line", "", "Third page: çöü (Latin-1)"])

    doc = parse_document_sync(data, "report.pdf")

    assert doc.kind == "pdf"
    assert doc.name == "report.pdf"
    assert doc.pages == (
        Page(1, "First page\nsecond line"),
        Page(2, ""),
        Page(3, "Third page: çöü (Latin-1)"),
    )
    assert doc.sha256 == hashlib.sha256(data).hexdigest()
    assert doc.size == len(data)
    assert doc.text == "First page\nsecond line\n\nThird page: çöü (Latin-1)"


def test_password_protected_pdf_is_refused() -> None:
    data = make_pdf(["secret"], encrypt={"user_password": "pw", "algorithm": "AES-256"})

    with pytest.raises(EncryptedDocument) as caught:
        parse_document_sync(data, "locked.pdf")

    assert "`locked.pdf`" in caught.value.user_message
    assert "password" in caught.value.user_message


@pytest.mark.parametrize("algorithm", ["RC4-128", "AES-128", "AES-256"])
def test_owner_password_only_pdf_is_read(algorithm: str) -> None:
    # Only printing/copying is restricted: the empty user password opens it.
    data = make_pdf(
        ["restricted but readable"],
        encrypt={"user_password": "", "owner_password": "owner", "algorithm": algorithm},
    )

    doc = parse_document_sync(data, "restricted.pdf")

    assert doc.pages[0].text == "restricted but readable"


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.9])
def test_truncated_pdf_is_corrupt(keep: float) -> None:
    data = make_pdf(["Hello world"] * 3)

    with pytest.raises(CorruptDocument) as caught:
        parse_document_sync(data[: int(len(data) * keep)], "cut.pdf")

    assert "damaged" in caught.value.user_message


def test_pdf_header_without_a_pdf_behind_it_is_corrupt() -> None:
    with pytest.raises(CorruptDocument):
        parse_document_sync(b"%PDF-1.7\n" + b"garbage " * 200, "fake.pdf")


def test_pdf_without_any_text_is_empty_and_hints_at_ocr() -> None:
    with pytest.raises(EmptyDocument) as caught:
        parse_document_sync(make_pdf(["", ""]), "scan.pdf")

    assert "OCR" in caught.value.user_message


def test_too_many_pages_is_refused_before_extraction() -> None:
    calls: list[tuple[int, int]] = []

    with pytest.raises(TooManyPages) as caught:
        parse_document_sync(
            make_pdf(["a", "b", "c"]),
            "long.pdf",
            DocumentLimits(max_pages=2),
            progress=lambda done, total: calls.append((done, total)),
        )

    assert caught.value.pages == 3
    assert "2 pages" in caught.value.user_message
    assert isinstance(caught.value, DocumentTooLarge)
    assert calls == []


def test_too_much_text_stops_extraction() -> None:
    calls: list[tuple[int, int]] = []
    data = make_pdf(["x" * 80] * 10)

    with pytest.raises(DocumentTooLarge) as caught:
        parse_document_sync(
            data,
            "wordy.pdf",
            DocumentLimits(max_chars=200),
            progress=lambda done, total: calls.append((done, total)),
        )

    assert "characters" in caught.value.user_message
    assert calls == [(1, 10), (2, 10)]  # stopped on the third page


def test_progress_reports_every_page() -> None:
    calls: list[tuple[int, int]] = []

    parse_document_sync(
        make_pdf(["a", "b", "c"]), "p.pdf", progress=lambda d, t: calls.append((d, t))
    )

    assert calls == [(1, 3), (2, 3), (3, 3)]


async def test_async_progress_runs_on_the_event_loop_thread(monkeypatch) -> None:
    import threading

    import bot.documents.parse as parse_module

    loop_thread = threading.get_ident()
    parser_threads: list[int] = []
    progress_threads: list[int] = []
    calls: list[tuple[int, int]] = []
    real_read_pdf = parse_module.read_pdf

    def spy(*args, **kwargs):
        parser_threads.append(threading.get_ident())
        return real_read_pdf(*args, **kwargs)

    monkeypatch.setattr(parse_module, "read_pdf", spy)

    def progress(done: int, total: int) -> None:
        progress_threads.append(threading.get_ident())
        calls.append((done, total))

    doc = await parse_document(make_pdf(["a", "b"]), "p.pdf", progress=progress)

    assert [page.text for page in doc.pages] == ["a", "b"]
    assert parser_threads and parser_threads[0] != loop_thread
    assert calls == [(1, 2), (2, 2)]  # all delivered before parse_document returned
    assert set(progress_threads) == {loop_thread}


def test_an_error_in_the_progress_callback_is_not_reported_as_damage() -> None:
    class Stop(Exception):
        pass

    def progress(done: int, total: int) -> None:
        raise Stop

    with pytest.raises(Stop):
        parse_document_sync(make_pdf(["a", "b"]), "p.pdf", progress=progress)


async def test_cancelling_stops_the_worker_thread(monkeypatch) -> None:
    import asyncio
    import threading

    import bot.documents.parse as parse_module

    finished = threading.Event()
    cancel_requested = threading.Event()
    real_read_pdf = parse_module.read_pdf

    def spy(data, name, limits, report):
        def slow_report(done: int, total: int) -> None:
            report(done, total)
            if done == 1:  # hold the worker after page 1 until the task is cancelled
                cancel_requested.wait(5)

        try:
            return real_read_pdf(data, name, limits, slow_report)
        finally:
            finished.set()

    monkeypatch.setattr(parse_module, "read_pdf", spy)
    calls: list[int] = []
    started = asyncio.Event()

    def progress(done: int, total: int) -> None:
        calls.append(done)
        started.set()

    task = asyncio.create_task(
        parse_document(make_pdf(["text"] * 400), "long.pdf", progress=progress)
    )
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    cancel_requested.set()

    assert await asyncio.to_thread(finished.wait, 5)
    await asyncio.sleep(0.05)  # let already queued progress calls arrive
    assert len(calls) < 400
