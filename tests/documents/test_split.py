"""Splitting keeps page numbers and overlaps neighbours as configured."""

from __future__ import annotations

from itertools import pairwise

import pytest

from bot.documents import (
    Page,
    ParsedDocument,
    parse_document_sync,
    split_document,
    split_document_async,
)
from tests.documents.builders import make_pdf, wrap

WORDS = (
    "Sohbet reads uploaded documents and answers questions about them with citations. "
    "Each page is split on its own, so every chunk knows the page it came from. "
)


def _pdf_doc() -> ParsedDocument:
    pages = [wrap(f"Page one. {WORDS * 20}"), "", wrap(f"Page three. {WORDS * 12}")]
    return parse_document_sync(make_pdf(pages), "book.pdf")


def _doc(kind: str, *pages: Page) -> ParsedDocument:
    return ParsedDocument(name="x", kind=kind, sha256="0" * 64, size=0, pages=pages)  # type: ignore[arg-type]


def test_chunks_keep_their_page_and_offset() -> None:
    doc = _pdf_doc()

    chunks = split_document(doc, chunk_size=400, chunk_overlap=80)

    assert [chunk.position for chunk in chunks] == list(range(len(chunks)))
    assert {chunk.page for chunk in chunks} == {1, 3}  # the empty page 2 gives nothing
    assert chunks[0].text.startswith("Page one.")
    first_on_three = next(chunk for chunk in chunks if chunk.page == 3)
    assert first_on_three.text.startswith("Page three.")
    pages = {page.number: page.text for page in doc.pages}
    for chunk in chunks:
        assert 0 < len(chunk.text) <= 400
        assert pages[chunk.page][chunk.start : chunk.start + len(chunk.text)] == chunk.text
    # Page order is kept.
    page_numbers = [chunk.page or 0 for chunk in chunks]
    assert page_numbers == sorted(page_numbers)


@pytest.mark.parametrize(("size", "overlap"), [(300, 60), (500, 150), (800, 0)])
def test_neighbours_overlap_as_configured(size: int, overlap: int) -> None:
    chunks = split_document(_pdf_doc(), chunk_size=size, chunk_overlap=overlap)

    shared = [
        before.start + len(before.text) - after.start
        for before, after in pairwise(chunks)
        if before.page == after.page
    ]
    assert len(shared) >= 3
    if overlap == 0:
        assert all(n <= 0 for n in shared)
    else:
        # Up to the configured overlap, short of it by at most one word.
        assert all(overlap - 15 <= n <= overlap for n in shared)


def test_chunks_never_cross_pages() -> None:
    doc = _doc("pdf", Page(1, "alpha " * 10), Page(2, "beta " * 10))

    chunks = split_document(doc, chunk_size=1000, chunk_overlap=100)

    assert [(chunk.page, chunk.text.split()[0]) for chunk in chunks] == [(1, "alpha"), (2, "beta")]


def test_sentences_are_kept_whole_when_they_fit() -> None:
    text = " ".join(f"Sentence number {n} ends here." for n in range(40))
    chunks = split_document(_doc("txt", Page(None, text)), chunk_size=200, chunk_overlap=0)

    assert all(chunk.text.startswith("Sentence") for chunk in chunks)
    assert all(chunk.text.endswith("here.") for chunk in chunks)
    assert all(chunk.page is None for chunk in chunks)


def test_markdown_splits_at_headings() -> None:
    section = "Some words about this topic. " * 6
    text = "\n\n".join(f"## Section {n}\n\n{section}" for n in range(4))

    chunks = split_document(_doc("markdown", Page(None, text)), chunk_size=300, chunk_overlap=0)

    assert [chunk.text.splitlines()[0] for chunk in chunks] == [f"## Section {n}" for n in range(4)]


def test_csv_rows_stay_whole() -> None:
    rows = "\n".join(f"{n},name {n},city {n}" for n in range(60))
    doc = parse_document_sync(f"id,name,city\n{rows}\n".encode(), "t.csv")

    chunks = split_document(doc, chunk_size=200, chunk_overlap=0)

    assert len(chunks) > 5
    for chunk in chunks:
        blocks = chunk.text.split("\n\n")
        assert all(block.count("\n") == 2 and block.startswith("id: ") for block in blocks)


@pytest.mark.parametrize(("size", "overlap"), [(0, 0), (100, 100), (100, -1)])
def test_bad_sizes_are_refused(size: int, overlap: int) -> None:
    with pytest.raises(ValueError):
        split_document(_doc("txt", Page(None, "x")), chunk_size=size, chunk_overlap=overlap)


async def test_async_variant_gives_the_same_chunks() -> None:
    doc = _pdf_doc()

    assert await split_document_async(doc, 300, 50) == split_document(doc, 300, 50)
