"""DOCX text with python-docx, in document order: paragraphs, tables, content controls, text boxes.

python-docx opens and validates the package; the body XML is then walked directly because
python-docx's paragraph API skips content controls (w:sdt) and text boxes. Tracked deletions
and the fallback copies of drawings (mc:Fallback) are skipped so nothing is read twice.

DOCX has no fixed pages. When the file records page breaks (hard breaks, or the breaks Word
rendered when it last saved the file) the text is split there and pages are numbered; the
numbers are Word's last layout, so approximate. Without breaks the text is one unnumbered page.
"""

from __future__ import annotations

import io
import logging
import zipfile

import docx
from lxml import etree

from bot.documents.cleanup import clean_text
from bot.documents.errors import (
    CorruptDocument,
    DocumentTooLarge,
    EncryptedDocument,
    UnsupportedDocumentType,
)
from bot.documents.models import DocumentLimits, Page
from bot.i18n import N_

__all__ = ["read_docx"]

log = logging.getLogger(__name__)

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
# Subtrees without readable text, or with text that appears elsewhere too.
_SKIP = frozenset(
    {_W + tag for tag in ("del", "moveFrom", "pPr", "rPr", "sectPr", "tblPr", "trPr", "tcPr")}
    | {_MC + "Fallback"}
)
_CHARACTERS = {_W + "tab": "\t", _W + "cr": "\n", _W + "noBreakHyphen": "-"}


def read_docx(data: bytes, name: str, limits: DocumentLimits) -> list[Page]:
    _check_archive(data, name, limits)
    try:
        document = docx.Document(io.BytesIO(data))
    except ValueError as exc:
        if "content type" in str(exc):  # .docm, .dotx: a Word file, but not a document
            raise UnsupportedDocumentType(
                name, N_("a macro-enabled Word document or a template (.docm, .dotx)")
            ) from None
        raise CorruptDocument(name, "docx") from None
    except MemoryError:
        raise
    except Exception as exc:  # python-docx raises KeyError, lxml errors, ... on broken files
        log.info("%s: not a readable DOCX: %r", name, exc)
        raise CorruptDocument(name, "docx") from None

    collector = _Collector()
    collector.walk(document.element.body)
    texts = [clean_text("".join(page)) for page in collector.pages]
    if collector.breaks == 0:
        return [Page(None, texts[0])]
    return [Page(number, text) for number, text in enumerate(texts, start=1)]


def _check_archive(data: bytes, name: str, limits: DocumentLimits) -> None:
    """Refuse zip bombs and encrypted zip entries before python-docx unpacks everything."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError):
        raise CorruptDocument(name, "docx") from None
    if any(entry.flag_bits & 0x1 for entry in entries):
        raise EncryptedDocument(name)
    unpacked = sum(entry.file_size for entry in entries)
    if unpacked > limits.max_unpacked_bytes:
        raise DocumentTooLarge(
            name, unpacked, limits.max_unpacked_bytes, detail=N_(" when unpacked")
        )


class _Collector:
    """Text of the body, split at page breaks; table rows become 'cell | cell' lines."""

    def __init__(self) -> None:
        self.pages: list[list[str]] = [[]]
        self.breaks = 0
        self._cells: list[list[str]] = []  # buffers of the open table cells, innermost last
        self._rows: list[list[str]] = []  # finished cells of the open rows
        self._breaks_in_table = 0
        self._after_hard_break = False

    def walk(self, body: etree._Element) -> None:
        walker = etree.iterwalk(body, events=("start", "end"))
        for event, element in walker:
            tag = element.tag
            if event == "start":
                if tag in _SKIP:
                    walker.skip_subtree()
                else:
                    self._start(tag, element)
            else:
                self._end(tag)

    def _start(self, tag: str, element: etree._Element) -> None:
        if tag == _W + "t":
            self._write(element.text or "")
        elif tag in _CHARACTERS:
            self._write(_CHARACTERS[tag])
        elif tag == _W + "br":
            if element.get(_W + "type") == "page":
                self._page_break(rendered=False)
            else:
                self._write("\n")
        elif tag == _W + "lastRenderedPageBreak":
            self._page_break(rendered=True)
        elif tag == _W + "tc":
            self._cells.append([])
        elif tag == _W + "tr":
            self._rows.append([])

    def _end(self, tag: str) -> None:
        if tag == _W + "p":
            self._write("\n")
        elif tag == _W + "tc" and self._cells:
            cell = " ".join("".join(self._cells.pop()).split())
            if self._rows:
                self._rows[-1].append(cell)
        elif tag == _W + "tr" and self._rows:
            cells = self._rows.pop()
            if any(cells):
                self._write(" | ".join(cells) + "\n")
        elif tag == _W + "tbl" and not self._cells:
            self._write("\n")
            # Breaks inside a table (rows spilling onto the next page) start pages after it.
            for _ in range(self._breaks_in_table):
                self.pages.append([])
                self.breaks += 1
            self._breaks_in_table = 0

    def _write(self, text: str) -> None:
        (self._cells[-1] if self._cells else self.pages[-1]).append(text)
        if self._after_hard_break and text.strip():
            self._after_hard_break = False

    def _page_break(self, *, rendered: bool) -> None:
        if self._cells:
            self._breaks_in_table += 1
        elif rendered and self._after_hard_break:
            # Word records a rendered break right after a hard one: count them once.
            self._after_hard_break = False
        else:
            self.pages.append([])
            self.breaks += 1
            self._after_hard_break = not rendered
