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

from bot.i18n import _, format_number
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
        tail = "\n- " + _("… and {n} more.", n=format_number(more)) if more > 0 else ""
        super().__init__(
            _("Nothing was imported. Fix these rows and try again:") + f"\n{lines}{tail}"
        )
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
                [
                    _(
                        "The file is {size} bytes; the limit is {limit}.",
                        size=format_number(len(self.data)),
                        limit=format_number(MAX_BYTES),
                    )
                ]
            )
        try:
            text = self.data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise CsvRejected(
                [
                    _(
                        "The file is not UTF-8 text (byte {n} can't be read); save it as UTF-8.",
                        n=format_number(exc.start),
                    )
                ]
            ) from None
        if "\x00" in text:
            raise CsvRejected([_("The file holds NUL bytes: it is not a CSV text file.")])
        reader = csv.reader(io.StringIO(text, newline=""))
        try:
            header = [h.strip().casefold() for h in next(reader)]
        except StopIteration:
            raise CsvRejected([_("The file is empty.")]) from None
        except csv.Error as exc:
            raise CsvRejected(
                [_("Row 1 can't be read as CSV ({error}).", error=str(exc))]
            ) from None
        missing = [name for name in self.required if name not in header]
        if missing:
            wanted = ",".join(self.required + self.optional)
            raise CsvRejected(
                [
                    _(
                        "Row 1 (the header) has no column {missing}; expected: {wanted}.",
                        missing=", ".join(missing),
                        wanted=wanted,
                    )
                ]
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
                    raise CsvRejected(
                        [
                            _(
                                "The file has more than {n} rows; split it.",
                                n=format_number(MAX_ROWS),
                            )
                        ]
                    )
                values = {k: cells[i].strip() if i < len(cells) else "" for k, i in columns.items()}
                rows.append((number, values))
        except csv.Error as exc:
            raise CsvRejected(
                [_("Row {row} can't be read as CSV ({error}).", row=number + 1, error=str(exc))]
            ) from None
        if not rows:
            raise CsvRejected([_("The file has a header but no rows.")])
        return rows

    def fail(self, sentence: str) -> None:
        """`sentence` names its row."""
        self.errors.append(sentence)

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
            reader.fail(_("Row {row}: the text is empty.", row=number))
            continue
        if len(text) > MAX_TEXT:
            reader.fail(
                _(
                    "Row {row}: the text is {n} characters; the limit is {limit}.",
                    row=number,
                    n=format_number(len(text)),
                    limit=format_number(MAX_TEXT),
                )
            )
            continue
        if label is None:
            reader.fail(
                _(
                    "Row {row}: the label “{label}” is not positive, neutral or negative.",
                    row=number,
                    label=_short(raw),
                )
            )
            continue
        key = text_key(text)
        earlier = seen.get(key)
        if earlier is not None:
            if earlier.label != label:
                reader.fail(
                    _(
                        "Row {row}: “{text}” is labelled {label} here but {earlier} in row "
                        "{earlier_row}: keep one.",
                        row=number,
                        text=_short(text),
                        label=label,
                        earlier=earlier.label,
                        earlier_row=earlier.row,
                    )
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
            reader.fail(_("Row {row}: a term needs both its source and its target.", row=number))
            continue
        if max(len(source), len(target)) > MAX_TERM:
            reader.fail(
                _("Row {row}: a term is longer than {n} characters.", row=number, n=MAX_TERM)
            )
            continue
        try:
            src = normalize_language(values.get("from") or source_lang)
            tgt = normalize_language(values.get("to") or target_lang)
        except UnknownLanguage as exc:
            reader.fail(_("Row {row}: {reason}", row=number, reason=exc.user_message))
            continue
        if src == tgt:
            reader.fail(_("Row {row}: the two languages are the same.", row=number))
            continue
        key = (src, tgt, source.casefold())
        earlier = seen.get(key)
        if earlier is not None:
            if earlier.target != target:
                reader.fail(
                    _(
                        "Row {row}: “{source}” becomes “{target}” here but “{earlier}” in row "
                        "{earlier_row}: keep one.",
                        row=number,
                        source=_short(source),
                        target=_short(target),
                        earlier=_short(earlier.target),
                        earlier_row=earlier.row,
                    )
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
            reader.fail(
                _("Row {row}: a fixed answer needs both its question and its answer.", row=number)
            )
            continue
        if len(question) > MAX_TEXT or len(answer) > MAX_ANSWER:
            reader.fail(
                _(
                    "Row {row}: the question may have {question} characters and the answer "
                    "{answer}.",
                    row=number,
                    question=format_number(MAX_TEXT),
                    answer=format_number(MAX_ANSWER),
                )
            )
            continue
        found.append(ParsedAnswer(number, question, answer))
    reader.done()
    return found
