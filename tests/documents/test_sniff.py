"""Type sniffing from the bytes; names and content types only confirm."""

from __future__ import annotations

import os

import pytest

from bot.core.errors import SohbetError
from bot.documents import (
    CorruptDocument,
    DocumentError,
    EmptyDocument,
    MismatchedDocumentType,
    UnsupportedDocumentType,
    parse_document_sync,
    sniff_kind,
)
from tests.documents.builders import make_docx, make_pdf

PDF = make_pdf(["hello"])
DOCX = make_docx(lambda document: document.add_paragraph("hello"))


@pytest.mark.parametrize(
    ("data", "filename", "content_type", "kind"),
    [
        (PDF, "a.pdf", None, "pdf"),
        (PDF, "no-extension", None, "pdf"),
        (PDF, "upload.bin", "application/octet-stream", "pdf"),
        (DOCX, "a.docx", None, "docx"),
        (
            DOCX,
            "a",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "docx",
        ),
        (b"plain words", "notes.txt", None, "txt"),
        (b"plain words", "script.py", None, "txt"),  # any other text is read as text
        (b"<!doctype html><p>x</p>", "page", None, "html"),
        (b"  <div>x</div>", "page.log", None, "txt"),  # the extension picks the text kind
        (b"<div>x</div>", "page", "text/html; charset=utf-8", "html"),
        (b"a,b\n1,2\n3,4\n", "data", None, "csv"),
        (b"a,b\n1,2\n3,4\n", "data.txt", None, "txt"),
        (b"Hello, world.\nBye, now.\n", "prose", None, "txt"),  # too short to call it CSV
        (b"# Title\n\ntext", "README", None, "markdown"),
        (b"# Title\n\ntext", "README", "text/markdown", "markdown"),
        (b"<p align='center'>logo</p>\n# Title", "README.md", None, "markdown"),
        (b"text", "C:\\Users\\me\\Belgeler\\not.TXT", None, "txt"),
    ],
)
def test_kind_is_sniffed(data: bytes, filename: str, content_type: str | None, kind: str) -> None:
    assert sniff_kind(data, filename, content_type) == kind


@pytest.mark.parametrize(
    ("data", "filename", "declared", "detected"),
    [
        (PDF, "report.docx", "docx", "pdf"),
        (DOCX, "report.pdf", "pdf", "docx"),
        (PDF, "notes.txt", "txt", "pdf"),
        (b"just some text", "report.pdf", "pdf", "txt"),
        (b"<html><body>x</body></html>", "page.docx", "docx", "html"),
    ],
)
def test_a_name_that_promises_another_format_is_refused(
    data: bytes, filename: str, declared: str, detected: str
) -> None:
    with pytest.raises(MismatchedDocumentType) as caught:
        sniff_kind(data, filename)

    assert (caught.value.declared, caught.value.detected) == (declared, detected)
    assert f"`{filename}`" in caught.value.user_message
    assert "Rename" in caught.value.user_message


def test_declared_content_type_is_checked_too() -> None:
    with pytest.raises(MismatchedDocumentType):
        sniff_kind(b"plain text", "upload", "application/pdf")


def test_binary_blob_named_txt_is_refused() -> None:
    with pytest.raises(UnsupportedDocumentType) as caught:
        parse_document_sync(os.urandom(4096), "notes.txt")

    assert "binary data" in caught.value.user_message
    assert "Rename" not in caught.value.user_message  # renaming would not help


@pytest.mark.parametrize(
    ("data", "found"),
    [
        (b"\x89PNG\r\n\x1a\n" + os.urandom(64), "PNG image"),
        (b"\xff\xd8\xff\xe0" + os.urandom(64), "JPEG image"),
        (b"\x1f\x8b\x08" + os.urandom(64), "gzip"),
        (b"{\\rtf1\\ansi hello}", "RTF"),
        (b"\x00\x00\x00\x18ftypmp42" + os.urandom(64), "video"),
    ],
)
def test_known_unsupported_formats_are_named(data: bytes, found: str) -> None:
    with pytest.raises(UnsupportedDocumentType) as caught:
        sniff_kind(data, "upload")

    assert found in caught.value.user_message
    assert "PDF, Word (.docx)" in caught.value.user_message


def test_garbage_named_pdf_is_corrupt() -> None:
    with pytest.raises(CorruptDocument):
        sniff_kind(os.urandom(2048), "broken.pdf")


def test_empty_upload() -> None:
    with pytest.raises(EmptyDocument):
        sniff_kind(b"", "nothing.txt")


def test_errors_are_friendly_sohbet_errors() -> None:
    with pytest.raises(DocumentError) as caught:
        sniff_kind(b"\x89PNG\r\n\x1a\n", "../../etc/`evil`\nname.txt")

    error = caught.value
    assert isinstance(error, SohbetError)
    assert error.user_message == str(error)
    assert error.name == "'evil' name.txt"  # base name only, no backticks or newlines
    assert "Traceback" not in error.user_message
