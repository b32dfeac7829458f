"""CSV/TSV as text for retrieval: one block per row, each value labelled with its column.

The same shape as LangChain's CSVLoader ("column: value" lines), but from decoded text, with
the delimiter sniffed, and rows separated by blank lines so the splitter keeps rows whole.
"""

from __future__ import annotations

import csv
import io

from bot.documents.cleanup import clean_text

__all__ = ["csv_to_text"]

_DELIMITERS = ",;\t|"


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
    # Only the delimiter is sniffed: csv.Sniffer's guesses about quoting are unreliable.
    try:
        return csv.Sniffer().sniff(text[:20000], delimiters=_DELIMITERS).delimiter
    except csv.Error:
        return ","


def _column_names(header: list[str]) -> list[str]:
    names: list[str] = []
    for index, raw in enumerate(header):
        name = " ".join(raw.split())
        names.append(name if name and name not in names else f"column {index + 1}")
    return names


def _column(columns: list[str], index: int) -> str:
    return columns[index] if index < len(columns) else f"column {index + 1}"
