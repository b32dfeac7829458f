"""Many files through budgeted children (parse_and_split_many): each file keeps a budget of
its own, a hostile file stops alone, and the files around it are read."""

from __future__ import annotations

import contextlib
import time

from bot.documents.budget import (
    FileToParse,
    OverBudget,
    Prepared,
    UploadBudget,
    parse_and_split_many,
)
from bot.documents.errors import DocumentError
from tests.documents.hostile import docx_package, pdf_file


def note(i: int) -> FileToParse:
    return FileToParse(f"Note {i}: the kettle's filter is rinsed weekly.".encode(), f"n{i}.txt")


def slow_pdf(words: int) -> bytes:
    return pdf_file(["BT /F1 10 Tf 40 760 Td " + "(w) Tj " * words + "ET"])


def big_docx(paragraphs: int) -> bytes:
    return docx_package(
        "".join(f"<w:p><w:r><w:t>w{i}</w:t></w:r></w:p>" for i in range(paragraphs))
    )


async def collect(
    files: list[FileToParse], budget: UploadBudget, **kwargs: object
) -> dict[int, Prepared | DocumentError]:
    outcomes: dict[int, Prepared | DocumentError] = {}
    async for index, outcome in parse_and_split_many(files, budget=budget, **kwargs):  # type: ignore[arg-type]
        assert index not in outcomes
        outcomes[index] = outcome
    return outcomes


async def test_a_cpu_hog_among_small_files_stops_alone() -> None:
    files = [note(0), note(1), FileToParse(slow_pdf(300_000), "slow.pdf"), note(3), note(4)]

    outcomes = await collect(files, UploadBudget(cpu_seconds=1, memory_mb=512))

    refused = outcomes[2]
    assert isinstance(refused, OverBudget) and refused.resource == "time"
    assert refused.user_message.startswith("`slow.pdf` needed more than the 1 second")
    for i in (0, 1, 3, 4):
        prepared = outcomes[i]
        assert isinstance(prepared, Prepared)
        assert prepared.document.text.startswith(f"Note {i}:")


async def test_a_memory_hog_among_small_files_stops_alone() -> None:
    files = [note(0), FileToParse(big_docx(200_000), "big.docx"), note(2)]

    outcomes = await collect(files, UploadBudget(cpu_seconds=30, memory_mb=64))

    refused = outcomes[1]
    assert isinstance(refused, OverBudget) and refused.resource == "memory"
    assert "64 MB of memory" in refused.user_message
    assert isinstance(outcomes[0], Prepared) and isinstance(outcomes[2], Prepared)


async def test_every_file_has_its_own_cpu_budget_in_a_shared_process() -> None:
    # Each PDF takes about 0.6 s of CPU; four in one process use more than one budget.
    files = [FileToParse(slow_pdf(50_000), f"p{i}.pdf") for i in range(4)]

    outcomes = await collect(files, UploadBudget(cpu_seconds=2, memory_mb=512))

    assert all(isinstance(o, Prepared) for o in outcomes.values()), outcomes
    assert sum(o.cpu_seconds for o in outcomes.values() if isinstance(o, Prepared)) > 2


async def test_memory_left_by_an_earlier_file_does_not_refuse_the_next() -> None:
    # Each DOCX needs about 150 MB; a budget of 230 MB holds one, not two at once.
    files = [FileToParse(big_docx(200_000), f"d{i}.docx") for i in range(2)]

    outcomes = await collect(files, UploadBudget(cpu_seconds=30, memory_mb=230))

    assert all(isinstance(o, Prepared) for o in outcomes.values()), outcomes


async def test_errors_sizes_and_progress_arrive_per_file() -> None:
    files = [
        note(0),
        FileToParse(b"\x00\x01\x02" * 100, "x.txt"),
        FileToParse(b"x" * 2000, "big.txt"),
    ]
    from bot.documents import DocumentLimits

    seen: list[int] = []
    outcomes: dict[int, Prepared | DocumentError] = {}
    async for index, outcome in parse_and_split_many(
        files,
        DocumentLimits(max_bytes=1000),
        budget=UploadBudget(10, 256),
        progress=lambda index, done, total: seen.append(index),
    ):
        outcomes[index] = outcome

    assert isinstance(outcomes[0], Prepared)
    assert type(outcomes[1]).__name__ == "MismatchedDocumentType"
    assert type(outcomes[2]).__name__ == "DocumentTooLarge"
    assert 0 in seen


async def test_leaving_early_stops_the_work() -> None:
    files = [note(0), *(FileToParse(slow_pdf(300_000), f"s{i}.pdf") for i in range(3))]
    outcomes = parse_and_split_many(files, budget=UploadBudget(30, 512))
    async with contextlib.aclosing(outcomes):
        async for _index, _outcome in outcomes:
            break  # the first PDF is being parsed (about 4 s of CPU each)
        started = time.perf_counter()
    assert time.perf_counter() - started < 3  # its worker was killed, not waited for
