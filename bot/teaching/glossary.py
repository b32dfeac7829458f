"""A server's glossary for one language pair: which terms occur in a text, the prompt lines
that name them, and which of them a translation missed.

Matching is case-insensitive at word starts and allows suffixes ("file" finds "files",
"Parola" finds "Parolanızı"): Turkish attaches case and possessive endings to the term. A
Turkish term ending in p, ç, t or k also matches with that consonant softened (kitap ->
kitabı, renk -> rengi), as the language writes it before a vowel.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Glossary", "Term", "fold", "prompt_lines", "retry_line"]

_SOFTENED = {"p": "b", "ç": "c", "t": "d", "k": "ğ"}


def fold(text: str, lang: str = "") -> str:
    """Case-folded the way the language writes capitals (Turkish İ/I)."""
    if lang in ("tr", "az"):
        text = text.replace("İ", "i").replace("I", "ı")
    return text.casefold()


@dataclass(frozen=True)
class Term:
    source: str
    target: str


def _pattern(term: str, lang: str) -> re.Pattern[str]:
    folded = fold(term.strip(), lang)
    variants = [re.escape(folded)]
    if lang == "tr" and len(folded) >= 3 and folded[-1] in _SOFTENED:
        variants.append(re.escape(folded[:-1] + _SOFTENED[folded[-1]]))
    return re.compile(r"(?<!\w)(?:" + "|".join(variants) + ")")


@dataclass(frozen=True)
class Glossary:
    source_lang: str
    target_lang: str
    terms: tuple[Term, ...]

    def found_in(self, text: str) -> list[Term]:
        """The terms whose source side occurs in `text`, longest first (a longer term wins
        over one it contains: "user account" before "user")."""
        folded = fold(text, self.source_lang)
        found: list[Term] = []
        taken: list[tuple[int, int]] = []
        for term in sorted(self.terms, key=lambda t: len(t.source), reverse=True):
            for match in _pattern(term.source, self.source_lang).finditer(folded):
                span = match.span()
                if any(a < span[1] and span[0] < b for a, b in taken):
                    continue
                taken.append(span)
                if term not in found:
                    found.append(term)
        return found

    def missing(self, translation: str, terms: Sequence[Term]) -> list[Term]:
        """The terms whose target side the translation does not contain."""
        folded = fold(translation, self.target_lang)
        return [t for t in terms if not _pattern(t.target, self.target_lang).search(folded)]


def prompt_lines(terms: Sequence[Term]) -> str:
    """The instruction a translation prompt carries for the terms found in the text."""
    pairs = "\n".join(f"- {t.source} → {t.target}" for t in terms)
    return f"Translate these terms exactly as this glossary says:\n{pairs}"


def retry_line(missed: Sequence[Term]) -> str:
    named = ", ".join(f"“{t.source}” as “{t.target}”" for t in missed)
    return f"Your translation did not use the glossary: translate {named}."
