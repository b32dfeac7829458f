"""Split a parsed document into overlapping chunks that remember their page.

Each page is split on its own, so a chunk never spans two pages and its page number is exact.
LangChain's RecursiveCharacterTextSplitter picks the boundaries (paragraphs, then lines,
sentences, words) for `chunk_size - chunk_overlap` characters of new text; each chunk then
starts with the last `chunk_overlap` characters before it, cut at a word boundary. (LangChain's
own overlap is built from whole pieces, so with paragraphs or PDF lines longer than the
overlap it is often zero.) Sizes are in characters.
"""

from __future__ import annotations

import asyncio
from itertools import pairwise
from typing import TYPE_CHECKING

from bot.documents.models import DocumentKind, ParsedDocument, TextChunk

if TYPE_CHECKING:
    from langchain_text_splitters import RecursiveCharacterTextSplitter

__all__ = ["split_document", "split_document_async"]

# Paragraphs, lines, sentences, clauses, words, characters; separators stay with the text
# before them, so sentences end with their full stop.
_PROSE_SEPARATORS = ["\n\n", "\n", ". ", "! ", "? ", "; ", ", ", " ", ""]


def split_document(
    doc: ParsedDocument, chunk_size: int = 1000, chunk_overlap: int = 150
) -> list[TextChunk]:
    """Chunks of at most `chunk_size` characters (a single word longer than that excepted);
    neighbours on a page share about `chunk_overlap` characters (never more). CPU-light
    (about 10 ms per 100 pages); `split_document_async` runs it in a worker thread.
    """
    if chunk_size <= 0:
        raise ValueError("chunk_size must be positive")
    if not 0 <= chunk_overlap < chunk_size:
        raise ValueError("chunk_overlap must be at least 0 and smaller than chunk_size")
    splitter = _splitter(doc.kind, chunk_size - chunk_overlap)
    chunks: list[TextChunk] = []
    for page in doc.pages:
        if not page.text.strip():
            continue
        for start, end in _with_overlap(page.text, _spans(page.text, splitter), chunk_overlap):
            chunks.append(TextChunk(page.text[start:end], page.number, len(chunks), start))
    return chunks


async def split_document_async(
    doc: ParsedDocument, chunk_size: int = 1000, chunk_overlap: int = 150
) -> list[TextChunk]:
    """`split_document` in a worker thread."""
    return await asyncio.to_thread(split_document, doc, chunk_size, chunk_overlap)


def _spans(text: str, splitter: RecursiveCharacterTextSplitter) -> list[tuple[int, int]]:
    """(start, end) of each piece in `text`, in order."""
    spans: list[tuple[int, int]] = []
    cursor = 0
    for piece in splitter.split_text(text):
        start = text.find(piece, cursor)
        if start < 0:  # not expected: the splitter only strips whitespace
            continue
        cursor = start + len(piece)
        spans.append((start, cursor))
    return spans


def _with_overlap(text: str, spans: list[tuple[int, int]], overlap: int) -> list[tuple[int, int]]:
    """Extend each span but the first back by up to `overlap` characters, to a word start."""
    if overlap == 0:
        return spans
    result = spans[:1]
    for (previous_start, _), (start, end) in pairwise(spans):
        begin = max(previous_start, start - overlap)
        if begin > 0 and not text[begin - 1].isspace():
            while begin < start and not text[begin].isspace():
                begin += 1  # do not start inside a word
        while begin < start and text[begin].isspace():
            begin += 1
        result.append((begin, end))
    return result


def _splitter(kind: DocumentKind, chunk_size: int) -> RecursiveCharacterTextSplitter:
    # Imported here: LangChain takes about half a second to import.
    from langchain_text_splitters import Language, RecursiveCharacterTextSplitter

    if kind == "markdown":
        return RecursiveCharacterTextSplitter.from_language(
            Language.MARKDOWN, chunk_size=chunk_size, chunk_overlap=0
        )
    return RecursiveCharacterTextSplitter(
        separators=_PROSE_SEPARATORS, keep_separator="end", chunk_size=chunk_size, chunk_overlap=0
    )
