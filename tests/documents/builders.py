"""Build real documents in memory for the tests: PDFs with pypdf, DOCX with python-docx."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

import docx
from docx.oxml import parse_xml
from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MC_NS = "http://schemas.openxmlformats.org/markup-compatibility/2006"


def make_pdf(pages: list[str], *, encrypt: dict | None = None) -> bytes:
    """A PDF whose pages show `pages` (one text line per line; "" leaves a page without text).

    Text uses the standard Helvetica font with WinAnsi encoding, so it can hold Latin-1
    letters (ç ö ü) but not ğ ı ş.
    """
    writer = PdfWriter()
    font = writer._add_object(
        DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject("/Helvetica"),
                NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
            }
        )
    )
    for text in pages:
        page = writer.add_blank_page(612, 792)
        if not text:
            continue
        ops = ["BT", "/F1 10 Tf", "12 TL", "40 760 Td"]
        for line in text.split("\n"):
            escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            ops.append(f"({escaped}) Tj T*")
        ops.append("ET")
        stream = DecodedStreamObject()
        stream.set_data("\n".join(ops).encode("cp1252"))
        page[NameObject("/Contents")] = writer._add_object(stream)
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})}
        )
    if encrypt:
        writer.encrypt(**encrypt)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def wrap(text: str, width: int = 90) -> str:
    """Break prose into lines of at most `width` characters (PDF text has no wrapping)."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return "\n".join([*lines, line])


def make_docx(build: Callable[[docx.document.Document], object]) -> bytes:
    document = docx.Document()
    build(document)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def append_body_xml(document: docx.document.Document, xml: str) -> None:
    """Insert raw WordprocessingML (with w: and mc: prefixes) before the section properties."""
    element = parse_xml(f'<w:body xmlns:w="{W_NS}" xmlns:mc="{MC_NS}">{xml}</w:body>')
    body = document.element.body
    for child in list(element):
        if body.sectPr is not None:
            body.sectPr.addprevious(child)
        else:
            body.append(child)


def rewrite_zip(data: bytes, edit: Callable[[str, bytes], bytes | None]) -> bytes:
    """Copy a zip, passing each member through `edit` (None drops the member)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = edit(info.filename, source.read(info.filename))
            if content is not None:
                target.writestr(info, content)
    return out.getvalue()


def make_zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()
