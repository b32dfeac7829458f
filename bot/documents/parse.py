"""Turn uploaded bytes into a ParsedDocument, off the event loop."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import logging
import threading
from pathlib import Path

from bot.documents.cleanup import clean_text
from bot.documents.csv_reader import csv_to_text
from bot.documents.docx_reader import read_docx
from bot.documents.errors import (
    CorruptDocument,
    DocumentError,
    DocumentTooLarge,
    EmptyDocument,
    display_name,
)
from bot.documents.html_reader import html_to_text
from bot.documents.models import DEFAULT_LIMITS, DocumentLimits, Page, ParsedDocument
from bot.documents.pdf_reader import ProgressCallback, read_pdf
from bot.documents.sniff import Detection, detect

__all__ = ["parse_document", "parse_document_sync", "parse_file"]

log = logging.getLogger(__name__)

# Encodings whose decoding BeautifulSoup would redo the same way; for others (a guessed legacy
# code page) it gets the bytes, so a <meta charset> in the page wins over our guess.
_TRUSTED_ENCODINGS = ("utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")


async def parse_document(
    data: bytes,
    filename: str,
    limits: DocumentLimits = DEFAULT_LIMITS,
    content_type: str | None = None,
    *,
    progress: ProgressCallback | None = None,
) -> ParsedDocument:
    """Parse `data` (the file's bytes) in a worker thread.

    `filename` and `content_type` (e.g. a Discord attachment's) must agree with the bytes.
    `progress(pages_done, total)` is called on the event loop's thread after each PDF page,
    and once with (1, 1) for other formats. Cancelling the call stops a PDF's worker thread
    at the next page. Raises a DocumentError subclass on bad input.
    """
    limits.check_size(len(data), filename)
    loop = asyncio.get_running_loop()
    cancelled = threading.Event()

    def report(done: int, total: int) -> None:  # runs in the worker thread
        if cancelled.is_set():
            raise _Cancelled
        if progress is not None:
            loop.call_soon_threadsafe(progress, done, total)

    try:
        return await asyncio.to_thread(
            parse_document_sync, data, filename, limits, content_type, progress=report
        )
    except asyncio.CancelledError:
        cancelled.set()
        raise


async def parse_file(
    path: str | Path,
    limits: DocumentLimits = DEFAULT_LIMITS,
    *,
    progress: ProgressCallback | None = None,
) -> ParsedDocument:
    """Parse a local file; its size is checked before it is read."""
    path = Path(path)
    try:
        size = (await asyncio.to_thread(path.stat)).st_size
        limits.check_size(size, path.name)
        data = await asyncio.to_thread(path.read_bytes)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise DocumentError(f"I can't read `{display_name(str(path))}`: {reason}.") from exc
    return await parse_document(data, path.name, limits, progress=progress)


def parse_document_sync(
    data: bytes,
    filename: str,
    limits: DocumentLimits = DEFAULT_LIMITS,
    content_type: str | None = None,
    *,
    progress: ProgressCallback | None = None,
) -> ParsedDocument:
    """The blocking parser behind `parse_document`; call it from a worker thread."""
    name = display_name(filename)
    limits.check_size(len(data), filename)
    detection = detect(data, filename, content_type)
    warnings: list[str] = []
    report = None if progress is None else _Guarded(progress)
    try:
        if detection.kind == "pdf":
            pages, warnings = read_pdf(data, name, limits, report)
        else:
            pages = _read_other(data, name, detection, limits)
    except (DocumentError, MemoryError):
        raise
    except _ProgressFailed as failed:
        raise failed.error from None  # the caller's own exception, not a damaged document
    except Exception as exc:
        log.warning("%s: %s parser failed: %r", name, detection.kind, exc)
        raise CorruptDocument(name, detection.kind) from exc
    if progress is not None and detection.kind != "pdf":
        progress(1, 1)

    chars = sum(len(page.text) for page in pages)
    if chars > limits.max_chars:
        raise DocumentTooLarge(name, chars, limits.max_chars, unit="characters of text")
    if not any(page.text.strip() for page in pages):
        raise EmptyDocument(name, detection.kind)
    return ParsedDocument(
        name=name,
        kind=detection.kind,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        pages=tuple(pages),
        encoding=detection.encoding,
        warnings=tuple(warnings),
    )


class _Cancelled(Exception):
    """Raised in the worker thread when the awaiting task was cancelled."""


class _ProgressFailed(Exception):
    def __init__(self, error: Exception) -> None:
        super().__init__(repr(error))
        self.error = error


class _Guarded:
    """Wraps the progress callback so its exceptions are not mistaken for parser errors."""

    def __init__(self, callback: ProgressCallback) -> None:
        self._callback = callback

    def __call__(self, done: int, total: int) -> None:
        try:
            self._callback(done, total)
        except Exception as exc:
            raise _ProgressFailed(exc) from exc


def _read_other(data: bytes, name: str, detection: Detection, limits: DocumentLimits) -> list[Page]:
    if detection.kind == "docx":
        return read_docx(data, name, limits)
    text = detection.text or ""
    if detection.kind == "html":
        trusted = detection.encoding in _TRUSTED_ENCODINGS
        return [Page(None, html_to_text(text if trusted else data, guess=text))]
    if detection.kind == "csv":
        try:
            return [Page(None, csv_to_text(text))]
        except csv.Error as exc:
            if "field limit" not in str(exc):
                raise
            limit = csv.field_size_limit()
            raise DocumentTooLarge(name, limit + 1, limit, unit="characters in one value") from None
    return [Page(None, clean_text(text))]
