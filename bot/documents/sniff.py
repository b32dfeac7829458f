"""Tell a document's format from its bytes; the file name and content type only confirm it.

Binary formats are recognised by their magic numbers (``%PDF-``; a ZIP holding
``word/document.xml`` for DOCX); anything else must decode as text (BOMs for UTF-8/16/32,
BOM-less UTF-16, UTF-8, then a legacy code page, Turkish cp1254 first among the Latin ones).
Among text formats the extension or content type decides; without one, HTML, CSV and Markdown
are recognised from the text itself.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from dataclasses import dataclass
from typing import NoReturn

from bot.documents.errors import (
    CorruptDocument,
    EmptyDocument,
    EncryptedDocument,
    MismatchedDocumentType,
    UnsupportedDocumentType,
    display_name,
)
from bot.documents.models import DocumentKind
from bot.i18n import N_

__all__ = ["Detection", "declared_kind", "decode_text", "detect", "sniff_kind"]

_EXTENSIONS: dict[str, DocumentKind] = {
    "pdf": "pdf",
    "docx": "docx",
    "txt": "txt",
    "text": "txt",
    "log": "txt",
    "md": "markdown",
    "markdown": "markdown",
    "mdown": "markdown",
    "mkd": "markdown",
    "html": "html",
    "htm": "html",
    "xhtml": "html",
    "csv": "csv",
    "tsv": "csv",
}

_CONTENT_TYPES: dict[str, DocumentKind] = {
    "application/pdf": "pdf",
    "application/x-pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "text/plain": "txt",
    "text/markdown": "markdown",
    "text/x-markdown": "markdown",
    "text/html": "html",
    "application/xhtml+xml": "html",
    "text/csv": "csv",
    "application/csv": "csv",
    "text/tab-separated-values": "csv",
}

_BINARY_KINDS = ("pdf", "docx")

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", N_("a PNG image")),
    (b"\xff\xd8\xff", N_("a JPEG image")),
    (b"GIF87a", N_("a GIF image")),
    (b"GIF89a", N_("a GIF image")),
    (b"II*\x00", N_("a TIFF image")),
    (b"MM\x00*", N_("a TIFF image")),
    (b"RIFF", N_("a media file (image, audio or video)")),
    (b"OggS", N_("an audio file")),
    (b"ID3", N_("an MP3 file")),
    (b"fLaC", N_("an audio file")),
    (b"\x1f\x8b", N_("a gzip archive")),
    (b"7z\xbc\xaf\x27\x1c", N_("a 7-Zip archive")),
    (b"Rar!\x1a\x07", N_("a RAR archive")),
    (b"\x7fELF", N_("a program")),
    (b"{\\rtf", N_("an RTF document")),
    (b"%!PS", N_("a PostScript file")),
)

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# Single-byte Latin code pages that charset detection confuses on short text; cp1254 (Turkish
# Windows) decodes Western European text the same way and Turkish text correctly.
_LATIN_CODEPAGES = frozenset(
    {"cp1250", "cp1252", "cp1254", "cp1257", "cp1258", "latin_1", "mac_latin2", "mac_roman"}
    | {f"iso8859_{n}" for n in (1, 2, 3, 4, 9, 10, 13, 14, 15, 16)}
)

_LEGACY_SAMPLE = 256 * 1024  # bytes given to charset detection
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f\ufffd]")
# WHATWG MIME sniffing: text that starts with one of these tags is HTML.
_HTML_START = re.compile(
    r"(?:<!doctype\s+html|<html|<head|<body|<script|<iframe|<h1|<div|<font|<table|<a|<style"
    r"|<title|<b|<br|<p)(?=[\s>/])|<!--",
    re.IGNORECASE,
)
_MARKDOWN_HINT = re.compile(r"^(?:#{1,6}[ \t]+\S|```|~~~)", re.MULTILINE)


@dataclass(frozen=True)
class Detection:
    """The sniffed kind; for text kinds also the decoded text and the encoding used."""

    kind: DocumentKind
    text: str | None = None
    encoding: str | None = None


def sniff_kind(data: bytes, filename: str, content_type: str | None = None) -> DocumentKind:
    """The document kind of `data`, or a DocumentError saying why it can't be read."""
    return detect(data, filename, content_type).kind


def declared_kind(filename: str, content_type: str | None = None) -> DocumentKind | None:
    """The kind promised by the file's extension, else by its content type; None if neither."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    if "." in base:
        kind = _EXTENSIONS.get(base.rsplit(".", 1)[1].lower())
        if kind is not None:
            return kind
    if content_type:
        return _CONTENT_TYPES.get(content_type.split(";", 1)[0].strip().lower())
    return None


def detect(data: bytes, filename: str, content_type: str | None = None) -> Detection:
    name = display_name(filename)
    if not data:
        raise EmptyDocument(name)
    declared = declared_kind(filename, content_type)
    binary = _sniff_binary(data, name, declared)
    if binary is not None:
        if declared is not None and declared != binary:
            raise MismatchedDocumentType(name, declared, binary)
        return Detection(binary)

    decoded = decode_text(data, _charset(content_type))
    if decoded is None or _looks_binary(decoded[0]):
        if declared in _BINARY_KINDS:
            raise CorruptDocument(name, declared)
        _unsupported(name, declared, "binary data, not text")
    text, encoding = decoded
    if declared in _BINARY_KINDS:
        raise MismatchedDocumentType(name, declared, _text_kind(text))
    return Detection(declared or _text_kind(text), text, encoding)


def decode_text(data: bytes, charset: str | None = None) -> tuple[str, str] | None:
    """(text, encoding) for bytes that decode as text, None for binary data.

    Order: BOM, BOM-less UTF-16, the declared charset, UTF-8, then a detected legacy code page.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _try_decode(data[len(bom) :], encoding)
    utf16 = _bomless_utf16(data)
    if utf16 is not None:
        return _try_decode(data, utf16)
    if data[:8192].count(0) > len(data[:8192]) // 100:
        return None  # NUL bytes: binary data (a stray one in real text is tolerated)
    if charset and charset.lower().replace("-", "").startswith(("utf16", "utf32")):
        charset = None  # without a BOM or NUL pattern, such a claim is wrong
    for candidate in (charset, "utf-8"):
        if candidate:
            decoded = _try_decode(data, candidate)
            if decoded is not None:
                return decoded
    return _decode_legacy(data)


def _sniff_binary(data: bytes, name: str, declared: DocumentKind | None) -> DocumentKind | None:
    """'pdf' or 'docx' for those formats, None for text; raises for other binary formats."""
    if data.startswith(b"%PDF-") or (declared == "pdf" and b"%PDF-" in data[:1024]):
        return "pdf"
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _sniff_zip(data, name, declared)
    if data.startswith(_OLE2):
        if "EncryptedPackage".encode("utf-16-le") in data:
            raise EncryptedDocument(name, N_("is a password-protected Office file"))
        _unsupported(name, declared, N_("an old-style Office file (.doc, .xls or .ppt)"))
    if data[4:8] == b"ftyp":
        _unsupported(name, declared, N_("a video or audio file"))
    for magic, found in _SIGNATURES:
        if data.startswith(magic):
            _unsupported(name, declared, found)
    return None


def _sniff_zip(data: bytes, name: str, declared: DocumentKind | None) -> DocumentKind:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            mimetype = archive.read("mimetype")[:100] if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError):
        raise CorruptDocument(name, "docx" if declared == "docx" else N_("a ZIP archive")) from None
    if "word/document.xml" in names or (
        "[Content_Types].xml" in names and any(n.startswith("word/") for n in names)
    ):
        return "docx"
    if any(n.startswith("xl/") for n in names):
        found = N_("an Excel workbook")
    elif any(n.startswith("ppt/") for n in names):
        found = N_("a PowerPoint presentation")
    elif mimetype.startswith(b"application/vnd.oasis.opendocument"):
        found = N_("an OpenDocument file (.odt, .ods or .odp)")
    elif mimetype.startswith(b"application/epub"):
        found = N_("an e-book (EPUB)")
    else:
        found = N_("a ZIP archive")
    _unsupported(name, declared, found)


def _unsupported(name: str, declared: DocumentKind | None, found: str) -> NoReturn:
    if declared is not None:
        raise MismatchedDocumentType(name, declared, found)
    raise UnsupportedDocumentType(name, found)


def _charset(content_type: str | None) -> str | None:
    if not content_type:
        return None
    for param in content_type.split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            return value.strip().strip("\"'") or None
    return None


def _try_decode(data: bytes, encoding: str) -> tuple[str, str] | None:
    try:
        return data.decode(encoding), codecs.lookup(encoding).name
    except (UnicodeDecodeError, LookupError):
        return None


def _bomless_utf16(data: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' when every other byte is mostly zero (ASCII-heavy UTF-16)."""
    sample = data[:4096]
    if len(data) % 2 or len(sample) < 4:
        return None
    half = len(sample) // 2
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd >= half * 0.3 and even <= half * 0.05:
        return "utf-16-le"
    if even >= half * 0.3 and odd <= half * 0.05:
        return "utf-16-be"
    return None


def _decode_legacy(data: bytes) -> tuple[str, str] | None:
    from charset_normalizer import from_bytes  # only for the rare non-UTF-8 upload

    best = from_bytes(data[:_LEGACY_SAMPLE]).best()
    if best is None:
        return None
    candidates = [best.encoding]
    if best.encoding in _LATIN_CODEPAGES:
        candidates.insert(0, "cp1254")
    for encoding in candidates:
        decoded = _try_decode(data, encoding)
        if decoded is not None:
            return decoded
    return data.decode(best.encoding, errors="replace"), best.encoding


def _looks_binary(text: str) -> bool:
    sample = text[:65536]
    return len(_CONTROL_CHARS.findall(sample)) > len(sample) * 0.01


def _text_kind(text: str) -> DocumentKind:
    head = text[:4096].lstrip()
    if _HTML_START.match(head):
        return "html"
    if _looks_like_csv(text):
        return "csv"
    if _MARKDOWN_HINT.search(text[:20000]):
        return "markdown"
    return "txt"


def _looks_like_csv(text: str) -> bool:
    """At least 3 lines that split into the same number (>= 2) of fields on , ; or tab."""
    lines = text[:20000].splitlines()
    if len(text) > 20000:
        lines = lines[:-1]  # the last sampled line may be cut off
    lines = [line for line in lines if line.strip()][:20]
    if len(lines) < 3:
        return False
    for delimiter in (",", ";", "\t"):
        try:
            widths = {len(row) for row in csv.reader(lines, delimiter=delimiter)}
        except csv.Error:
            continue
        if len(widths) == 1 and widths.pop() >= 2:
            return True
    return False
