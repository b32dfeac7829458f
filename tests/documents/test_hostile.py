"""Hostile uploads: every reader, random and adversarial input, bounded time and memory.

Property tests (Hypothesis; profiles in conftest.py: `ci` by default, `long` for many more
examples) check that any bytes give a ParsedDocument or one of our own DocumentErrors, never
another exception, and that time and Python-level memory stay within a linear bound. Then the
per-upload budget: the reported files pass fast in its child process, and files past a small
budget stop with one sentence.
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.documents import DocumentError, parse_document_sync, split_document
from bot.documents.budget import OverBudget, UploadBudget, parse_and_split
from tests.documents.hostile import (
    csv_files,
    docx_files,
    docx_package,
    html_files,
    pdf_file,
    pdf_files,
    text_files,
)

# Per example: 2 s of CPU plus 4 s per MB of input; 64 MB of Python memory plus 60 bytes per input
# byte (the text, its clean copy, the chunks and their overlap are a few copies each).
SECONDS_BASE, SECONDS_PER_MB = 2.0, 4.0
MEMORY_BASE, MEMORY_PER_BYTE = 64 * 1024 * 1024, 60


# The readers' and LangChain's imports happen here, not inside a measured (and traced) example.
split_document(parse_document_sync(b"<p>warm up</p>", "w.html"))


def read_within_bounds(data: bytes, filename: str) -> None:
    """Parse and split `data`: a result or a DocumentError, within the time and memory bounds.

    Run twice: timed by this thread's CPU time (other processes' load doesn't count), then
    with tracemalloc (which slows it down) for the memory peak."""
    started = time.thread_time()
    read(data, filename)
    seconds = time.thread_time() - started
    assert seconds < SECONDS_BASE + SECONDS_PER_MB * len(data) / 1e6, (filename, len(data))
    tracemalloc.start()
    try:
        read(data, filename)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < MEMORY_BASE + MEMORY_PER_BYTE * len(data), (filename, len(data), peak)


def read(data: bytes, filename: str) -> None:
    try:
        split_document(parse_document_sync(data, filename))
    except DocumentError as error:  # our own errors only, each one sentence to show as is
        assert error.user_message.strip()
        assert "\n" not in error.user_message


@given(csv_files(), st.sampled_from(["data.csv", "data.tsv"]))
def test_csv_reader(data: bytes, filename: str) -> None:
    read_within_bounds(data, filename)


@given(html_files(), st.sampled_from(["page.html", "page.htm"]))
def test_html_reader(data: bytes, filename: str) -> None:
    read_within_bounds(data, filename)


@given(text_files(), st.sampled_from(["notes.txt", "README.md"]))
def test_text_and_markdown_readers(data: bytes, filename: str) -> None:
    read_within_bounds(data, filename)


@given(docx_files())
def test_docx_reader(data: bytes) -> None:
    read_within_bounds(data, "report.docx")


@given(pdf_files())
def test_pdf_reader(data: bytes) -> None:
    read_within_bounds(data, "manual.pdf")


@given(st.binary(max_size=20_000), st.sampled_from(["a.pdf", "a.docx", "a.html", "a.csv", "a"]))
def test_any_bytes_under_any_name(data: bytes, filename: str) -> None:
    read_within_bounds(data, filename)


def test_a_long_run_without_spaces_is_cut_by_position_in_linear_memory() -> None:
    doc = parse_document_sync(("ğ" * 1_000_000 + " son.").encode(), "g.txt")
    tracemalloc.start()
    try:
        chunks = split_document(doc, chunk_size=1000, chunk_overlap=150)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert peak < 40 * 1024 * 1024  # letter by letter, the splitter needed 230 MB
    assert [len(c.text) for c in chunks[:2]] == [850, 850]
    assert "".join(c.text for c in chunks[:-1]) == "ğ" * 1_000_000


# ----- the reported files, and the budget ---------------------------------------------------


def wide_csv() -> bytes:
    """The reported file: a header and one row of 100,000 columns, 889 KB."""
    header = ",".join(f"c{i}" for i in range(100_000))
    return (header + "\n" + ",".join(str(i % 10) for i in range(100_000)) + "\n").encode()


def nested_html() -> bytes:
    """The reported file: 200,000 nested <div>s around one word, 2.2 MB."""
    return b"<div>" * 200_000 + b"deep" + b"</div>" * 200_000


@pytest.mark.parametrize(
    ("make", "filename", "expected"),
    [(wide_csv, "wide.csv", "c99999: 9"), (nested_html, "nested.html", "deep")],
)
async def test_reported_files_pass_quickly_in_the_budgeted_child(
    make: Callable[[], bytes], filename: str, expected: str
) -> None:
    data = make()
    started = time.perf_counter()

    prepared = await parse_and_split(data, filename, budget=UploadBudget(30, 512))

    assert time.perf_counter() - started < 5.0  # 100,000 columns took 41 s (108 s reported)
    assert expected in prepared.document.text
    assert prepared.chunks
    assert prepared.peak_mb < 300  # the nested divs took 550 MB as a BeautifulSoup tree


async def test_past_the_cpu_budget_the_upload_stops_with_one_sentence() -> None:
    # About 3 s of CPU to extract: 300,000 text operators on one page.
    data = pdf_file(["BT /F1 10 Tf 40 760 Td " + "(w) Tj " * 300_000 + "ET"])
    started = time.perf_counter()

    with pytest.raises(OverBudget) as refused:
        await parse_and_split(data, "slow.pdf", budget=UploadBudget(cpu_seconds=1, memory_mb=512))

    assert time.perf_counter() - started < 20.0  # wall time: the CPUs may be shared
    assert refused.value.resource == "time"
    assert refused.value.user_message.startswith(
        "`slow.pdf` needed more than the 1 second of processing an upload may use here"
    )


async def test_past_the_memory_budget_the_upload_stops_with_one_sentence() -> None:
    # 200,000 paragraphs: python-docx holds the whole XML tree (about 150 MB).
    body = "".join(f"<w:p><w:r><w:t>w{i}</w:t></w:r></w:p>" for i in range(200_000))

    with pytest.raises(OverBudget) as refused:
        await parse_and_split(
            docx_package(body), "big.docx", budget=UploadBudget(cpu_seconds=30, memory_mb=64)
        )

    assert refused.value.resource == "memory"
    assert "64 MB of memory" in refused.value.user_message


async def test_the_childs_own_errors_arrive_as_they_are() -> None:
    with pytest.raises(DocumentError) as refused:
        await parse_and_split(b"\x00\x01\x02" * 100, "x.txt", budget=UploadBudget(10, 256))

    assert type(refused.value).__name__ == "MismatchedDocumentType"
    assert refused.value.user_message.startswith("`x.txt` is named like plain text")


def test_a_server_budget_stays_within_the_operators_ceiling() -> None:
    ceiling = UploadBudget(cpu_seconds=20, memory_mb=256)

    assert UploadBudget(60, 1024).within(ceiling) == UploadBudget(20, 256)
    assert UploadBudget(5, 128).within(ceiling) == UploadBudget(5, 128)


def test_a_csv_value_over_the_field_limit_is_refused_in_one_sentence() -> None:
    with pytest.raises(DocumentError) as refused:
        parse_document_sync(b'a,b\n"' + b"x" * 200_000 + b'",1\n', "field.csv")

    assert refused.value.user_message == (
        "`field.csv` has more than 131,072 characters in one value. "
        "Split it into smaller files and upload those."
    )
