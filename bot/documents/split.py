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
import re
from itertools import pairwise
from typing import TYPE_CHECKING

from bot.documents.models import DocumentKind, ParsedDocument, TextChunk

if TYPE_CHECKING:
    from langchain_text_splitters import RecursiveCharacterTextSplitter

__all__ = ["split_document", "split_document_async"]

# Paragraphs, lines, sentences, clauses, words, characters; separators stay with the text
# before them, so sentences end with their full stop.
_PROSE_SEPARATORS = ["\n\n", "\n", ". ", "! ", "? ", "; ", ", ", " ", ""]
_LONG_RUN = 1 << 16  # characters without whitespace: cut by position, not by the splitter
_WHITESPACE = re.compile(r"\s+")


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
        spans = _spans(page.text, splitter, chunk_size - chunk_overlap)
        for start, end in _with_overlap(page.text, spans, chunk_overlap):
            chunks.append(TextChunk(page.text[start:end], page.number, len(chunks), start))
    return chunks


async def split_document_async(
    doc: ParsedDocument, chunk_size: int = 1000, chunk_overlap: int = 150
) -> list[TextChunk]:
    """`split_document` in a worker thread."""
    return await asyncio.to_thread(split_document, doc, chunk_size, chunk_overlap)


def _spans(
    text: str, splitter: RecursiveCharacterTextSplitter, size: int
) -> list[tuple[int, int]]:
    """(start, end) of each piece in `text`, in order, at most `size` characters each.

    A run of `_LONG_RUN` or more characters without whitespace is cut every `size` characters
    here: the splitter would first make it a list of single characters (1.9 million Turkish
    letters took 230 MB), and has nothing better to cut it at anyway."""
    spans: list[tuple[int, int]] = []
    begin = 0
    for run_start, run_end in _long_runs(text):
        spans += _splitter_spans(text, begin, run_start, splitter)
        spans += [(at, min(at + size, run_end)) for at in range(run_start, run_end, size)]
        begin = run_end
    return spans + _splitter_spans(text, begin, len(text), splitter)


def _splitter_spans(
    text: str, begin: int, end: int, splitter: RecursiveCharacterTextSplitter
) -> list[tuple[int, int]]:
    """The splitter's pieces of text[begin:end], as spans of `text`."""
    segment = text[begin:end] if begin or end < len(text) else text
    if not segment.strip():
        return []
    spans: list[tuple[int, int]] = []
    cursor = 0
    for piece in splitter.split_text(segment):
        start = segment.find(piece, cursor)
        if start < 0:  # not expected: the splitter only strips whitespace
            continue
        cursor = start + len(piece)
        spans.append((begin + start, begin + cursor))
    return spans


def _long_runs(text: str) -> list[tuple[int, int]]:
    """(start, end) of every run of at least `_LONG_RUN` characters without whitespace."""
    if len(text) < _LONG_RUN:
        return []
    runs: list[tuple[int, int]] = []
    previous = 0
    for gap in _WHITESPACE.finditer(text):
        if gap.start() - previous >= _LONG_RUN:
            runs.append((previous, gap.start()))
        previous = gap.end()
    if len(text) - previous >= _LONG_RUN:
        runs.append((previous, len(text)))
    return runs


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
