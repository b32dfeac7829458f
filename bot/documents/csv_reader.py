"""CSV/TSV as text for retrieval: one block per row, each value labelled with its column.

The same shape as LangChain's CSVLoader ("column: value" lines), but from decoded text, with
the delimiter sniffed, and rows separated by blank lines so the splitter keeps rows whole.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from itertools import islice

from bot.documents.cleanup import clean_text

__all__ = ["csv_to_text"]

_DELIMITERS = ",;\t|"
_SAMPLE_CHARS = 20_000
_SAMPLE_ROWS = 50


def csv_to_text(text: str) -> str:
    """Rows as 'column: value' lines; a table with only a header row gives the header."""
    rows = (
        row
        for row in csv.reader(io.StringIO(text), delimiter=_delimiter(text))
        if any(map(str.strip, row))
    )
    header = next(rows, None)
    if header is None:
        return ""
    columns = _column_names(header)
    blocks: list[str] = []
    for row in rows:
        lines = [
            f"{_column(columns, index)}: {value.strip()}"
            for index, value in enumerate(row)
            if value.strip()
        ]
        blocks.append("\n".join(lines))
    if not blocks:
        return clean_text(", ".join(columns))
    return clean_text("\n\n".join(blocks))


def _delimiter(text: str) -> str:
    """The candidate that splits the first rows most consistently into 2+ columns.

    Not csv.Sniffer: its quote-guessing regexes take seconds on a few crafted KB (`"\\n` x
    10000: 5 s) and hold the GIL meanwhile, so the event loop stops. csv.reader is linear.
    """
    sample = text[:_SAMPLE_CHARS]
    if len(text) > _SAMPLE_CHARS and "\n" in sample:
        sample = sample[: sample.rindex("\n")]  # the last sampled line may be cut off
    best, best_score = ",", (0, 0)
    for delimiter in _DELIMITERS:
        rows = csv.reader(io.StringIO(sample), delimiter=delimiter)
        try:
            widths = [len(row) for row in islice(rows, _SAMPLE_ROWS) if any(map(str.strip, row))]
        except csv.Error:
            continue
        if not widths:
            continue
        width, agreeing = Counter(widths).most_common(1)[0]
        if width >= 2 and (agreeing, width) > best_score:
            best, best_score = delimiter, (agreeing, width)
    return best


def _column_names(header: list[str]) -> list[str]:
    """Each column's name; a blank or repeated one becomes "column N". A set remembers the
    names taken: looking them up in the list made 100,000 columns take 40 s."""
    names: list[str] = []
    taken: set[str] = set()
    for index, raw in enumerate(header):
        name = " ".join(raw.split())
        if not name or name in taken:
            name = f"column {index + 1}"
        names.append(name)
        taken.add(name)
    return names


def _column(columns: list[str], index: int) -> str:
    return columns[index] if index < len(columns) else f"column {index + 1}"
