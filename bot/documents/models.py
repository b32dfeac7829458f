"""What a parsed document looks like, the limits it must respect, and its chunks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from bot.documents.errors import DocumentTooLarge, display_name

__all__ = [
    "DEFAULT_LIMITS",
    "DocumentKind",
    "DocumentLimits",
    "Page",
    "ParsedDocument",
    "TextChunk",
]

DocumentKind = Literal["pdf", "docx", "txt", "markdown", "html", "csv"]


@dataclass(frozen=True)
class DocumentLimits:
    """Upper bounds checked while parsing, before the expensive work where possible.

    `max_bytes` is checked first (callers can check an attachment's size before downloading it
    with `check_size`); `max_pages` before any PDF page is extracted; `max_chars` while text is
    extracted; `max_unpacked_bytes` bounds the uncompressed size of a DOCX (zip bombs).
    """

    max_bytes: int = 20 * 1024 * 1024
    max_pages: int = 500
    max_chars: int = 2_000_000
    max_unpacked_bytes: int = 200 * 1024 * 1024

    def __post_init__(self) -> None:
        for name in ("max_bytes", "max_pages", "max_chars", "max_unpacked_bytes"):
            if getattr(self, name) <= 0:
                raise ValueError(f"DocumentLimits.{name} must be positive")

    def check_size(self, size: int, filename: str = "document") -> None:
        """Raise DocumentTooLarge if `size` bytes exceed `max_bytes`."""
        if size > self.max_bytes:
            raise DocumentTooLarge(display_name(filename), size, self.max_bytes)


DEFAULT_LIMITS = DocumentLimits()


@dataclass(frozen=True)
class Page:
    """Text of one page. `number` is 1-based; None when the format has no pages (TXT, HTML)."""

    number: int | None
    text: str


@dataclass(frozen=True)
class ParsedDocument:
    """A document's extracted text, page by page.

    Numbered pages are all kept (a page without text has `text == ""`), so for PDFs
    `pages[i].number == i + 1`; DOCX pages are numbered only when the file records page breaks.
    `sha256` is the hex digest of the uploaded bytes, for dedupe. `warnings` lists problems that
    did not stop parsing (e.g. one unreadable page).
    """

    name: str
    kind: DocumentKind
    sha256: str
    size: int
    pages: tuple[Page, ...]
    encoding: str | None = None
    warnings: tuple[str, ...] = field(default=())

    @property
    def text(self) -> str:
        """All pages' text, separated by blank lines."""
        return "\n\n".join(page.text for page in self.pages if page.text)

    @property
    def char_count(self) -> int:
        return sum(len(page.text) for page in self.pages)


@dataclass(frozen=True)
class TextChunk:
    """A piece of a document for embedding.

    `position` is the chunk's index in the document (0, 1, 2, ...), stable for the same bytes and
    settings; `start` is its character offset inside its page's text.
    """

    text: str
    page: int | None
    position: int
    start: int = 0
