"""Reading a teaching CSV: every row checked before anything is stored.

One bad row rejects the file with one sentence per bad row (the first ones shown), so an
import is all or nothing. Linear in the file's size; the size and row count are capped.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from typing import Literal

from bot.shared.errors import SohbetError

__all__ = [
    "LABELS",
    "MAX_BYTES",
    "MAX_ROWS",
    "CsvRejected",
    "ParsedAnswer",
    "ParsedExample",
    "ParsedTerm",
    "normalize_label",
    "read_answers",
    "read_examples",
    "read_terms",
    "text_key",
]

Task = Literal["sentiment", "glossary", "answers"]
LABELS = ("positive", "neutral", "negative")
_LABEL_NAMES = {
    "positive": "positive",
    "pos": "positive",
    "+1": "positive",
    "1": "positive",
    "neutral": "neutral",
    "neu": "neutral",
    "0": "neutral",
    "negative": "negative",
    "neg": "negative",
    "-1": "negative",
    "olumlu": "positive",
    "nötr": "neutral",
    "olumsuz": "negative",
}
MAX_BYTES = 5_000_000
MAX_ROWS = 20_000
MAX_TEXT = 2000
MAX_TERM = 200
MAX_ANSWER = 4000
SHOWN_ERRORS = 10


class CsvRejected(SohbetError):
    """The file was not imported; `errors` says what is wrong with which row."""

    def __init__(self, errors: list[str]) -> None:
        shown = errors[:SHOWN_ERRORS]
        more = len(errors) - len(shown)
        lines = "\n".join(f"- {e}" for e in shown)
        tail = f"\n- … and {more} more." if more > 0 else ""
        super().__init__(f"Nothing was imported. Fix these rows and try again:\n{lines}{tail}")
        self.errors = errors


@dataclass(frozen=True)
class ParsedExample:
    row: int
    text: str
    label: str


@dataclass(frozen=True)
class ParsedTerm:
    row: int
    source: str
    target: str
    source_lang: str
    target_lang: str


@dataclass(frozen=True)
class ParsedAnswer:
    row: int
    question: str
    answer: str


def text_key(text: str) -> str:
    """The identity of a text: the same words with other spacing or capitals are one text."""
    normal = re.sub(r"\s+", " ", text.strip()).casefold()
    return hashlib.sha256(normal.encode()).hexdigest()


def normalize_label(raw: str) -> str | None:
    return _LABEL_NAMES.get(raw.strip().casefold())


@dataclass
class _Reader:
    data: bytes
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    errors: list[str] = field(default_factory=list)

    def rows(self) -> list[tuple[int, dict[str, str]]]:
        if len(self.data) > MAX_BYTES:
            raise CsvRejected(
                [f"the file is {len(self.data):,} bytes; the limit is {MAX_BYTES:,}."]
            )
        try:
            text = self.data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise CsvRejected(
                [
                    f"the file is not UTF-8 text (byte {exc.start:,} can't be read); "
                    "save it as UTF-8."
                ]
            ) from None
        if "\x00" in text:
            raise CsvRejected(["the file holds NUL bytes: it is not a CSV text file."])
        reader = csv.reader(io.StringIO(text, newline=""))
        try:
            header = [h.strip().casefold() for h in next(reader)]
        except StopIteration:
            raise CsvRejected(["the file is empty."]) from None
        except csv.Error as exc:
            raise CsvRejected([f"row 1 can't be read as CSV ({exc})."]) from None
        missing = [name for name in self.required if name not in header]
        if missing:
            wanted = ",".join(self.required + self.optional)
            raise CsvRejected(
                [f"row 1 (the header) has no column {', '.join(missing)}; expected: {wanted}."]
            )
        columns = {
            name: header.index(name) for name in self.required + self.optional if name in header
        }
        rows: list[tuple[int, dict[str, str]]] = []
        number = 1
        try:
            for number, cells in enumerate(reader, start=2):
                if not any(c.strip() for c in cells):
                    continue  # blank lines are no rows
                if len(rows) >= MAX_ROWS:
                    raise CsvRejected([f"the file has more than {MAX_ROWS:,} rows; split it."])
                values = {k: cells[i].strip() if i < len(cells) else "" for k, i in columns.items()}
                rows.append((number, values))
        except csv.Error as exc:
            raise CsvRejected([f"row {number + 1} can't be read as CSV ({exc})."]) from None
        if not rows:
            raise CsvRejected(["the file has a header but no rows."])
        return rows

    def fail(self, row: int, sentence: str) -> None:
        self.errors.append(f"row {row}: {sentence}")

    def done(self) -> None:
        if self.errors:
            raise CsvRejected(self.errors)


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def read_examples(data: bytes) -> list[ParsedExample]:
    """Columns text,label; labels positive, neutral or negative. The same text twice with
    two labels is a contradiction the admin resolves, never a guess."""
    reader = _Reader(data, ("text", "label"))
    found: list[ParsedExample] = []
    seen: dict[str, ParsedExample] = {}
    for number, values in reader.rows():
        text, raw = values["text"], values["label"]
        label = normalize_label(raw)
        if not text:
            reader.fail(number, "the text is empty.")
            continue
        if len(text) > MAX_TEXT:
            reader.fail(number, f"the text is {len(text):,} characters; the limit is {MAX_TEXT:,}.")
            continue
        if label is None:
            reader.fail(number, f"the label “{_short(raw)}” is not positive, neutral or negative.")
            continue
        key = text_key(text)
        earlier = seen.get(key)
        if earlier is not None:
            if earlier.label != label:
                reader.fail(
                    number,
                    f"“{_short(text)}” is labelled {label} here but {earlier.label} in row "
                    f"{earlier.row}: keep one.",
                )
            continue  # the same text and label twice: once is enough
        example = ParsedExample(number, text, label)
        seen[key] = example
        found.append(example)
    reader.done()
    return found


def read_terms(data: bytes, source_lang: str, target_lang: str) -> list[ParsedTerm]:
    """Columns source,target and optionally from,to (language codes; default: the command's)."""
    from bot.nlp.errors import UnknownLanguage
    from bot.nlp.languages import normalize_language

    reader = _Reader(data, ("source", "target"), ("from", "to"))
    found: list[ParsedTerm] = []
    seen: dict[tuple[str, str, str], ParsedTerm] = {}
    for number, values in reader.rows():
        source, target = values["source"], values["target"]
        if not source or not target:
            reader.fail(number, "a term needs both its source and its target.")
            continue
        if max(len(source), len(target)) > MAX_TERM:
            reader.fail(number, f"a term is longer than {MAX_TERM} characters.")
            continue
        try:
            src = normalize_language(values.get("from") or source_lang)
            tgt = normalize_language(values.get("to") or target_lang)
        except UnknownLanguage as exc:
            reader.fail(number, exc.user_message)
            continue
        if src == tgt:
            reader.fail(number, "the two languages are the same.")
            continue
        key = (src, tgt, source.casefold())
        earlier = seen.get(key)
        if earlier is not None:
            if earlier.target != target:
                reader.fail(
                    number,
                    f"“{_short(source)}” becomes “{_short(target)}” here but "
                    f"“{_short(earlier.target)}” in row {earlier.row}: keep one.",
                )
            continue
        term = ParsedTerm(number, source, target, src, tgt)
        seen[key] = term
        found.append(term)
    reader.done()
    return found


def read_answers(data: bytes) -> list[ParsedAnswer]:
    """Columns question,answer."""
    reader = _Reader(data, ("question", "answer"))
    found: list[ParsedAnswer] = []
    for number, values in reader.rows():
        question, answer = values["question"], values["answer"]
        if not question or not answer:
            reader.fail(number, "a fixed answer needs both its question and its answer.")
            continue
        if len(question) > MAX_TEXT or len(answer) > MAX_ANSWER:
            reader.fail(
                number,
                f"the question may have {MAX_TEXT:,} characters and the answer {MAX_ANSWER:,}.",
            )
            continue
        found.append(ParsedAnswer(number, question, answer))
    reader.done()
    return found
