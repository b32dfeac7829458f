"""Citations that hold: each [n] of an answer is checked against source n after the answer.

A claim's key words are the content words and numbers of its sentence that the question did
not already say (the question's words are in every source the search found). A marker stays
when its source holds at least `SUPPORT` of them (numbers must all be there, in digits or written
out: "50" is held by "fifty minutes" and "elli dakika"); otherwise it is re-pointed to the source
that does, or dropped when none does. A marker standing alone after the full stop ("... are
deleted. [2]") cites the sentences before it since the previous marker: it stays when its source
holds one of them. An answer that cites nothing gets the one source that clearly holds it (most
of its key words, well ahead of the next source, or the search's first among sources that hold
it alike) — small models often forget the marker. A refusal cites nothing: the reply then says
"Consulted, not cited".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.knowledge.answers import Source, cited_numbers, is_refusal
from bot.nlp.numbers import written_forms
from bot.nlp.sentences import split_sentences
from bot.nlp.words import rough_stems

__all__ = ["CheckedAnswer", "check_citations", "support"]

SUPPORT = 0.5  # share of a claim's key words its cited source must hold
CLEAR = 0.6  # an uncited answer: the best source holds this much of it...
MARGIN = 0.25  # ...and this much more than the next one
_MARKERS = re.compile(r"\s*\[(\d{1,2}(?:\s*,\s*\d{1,2})*)\]")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_WORD = re.compile(r"\w")


@dataclass(frozen=True)
class CheckedAnswer:
    text: str  # the answer with its markers re-pointed, dropped or added
    cited: list[Source]
    changes: list[str] = field(default_factory=list)  # "[2]->[1]", "-[3]", "+[1]"


def _words(text: str) -> set[str]:
    return rough_stems(text) - _META


# Words an answer uses about its sources rather than about the facts ("as stated in [1]").
_META = rough_stems(
    "stated states mentioned according source sources document documents provided given says "
    "said information text passage belirtildiği göre kaynak kaynaklar belge belgeler laut quelle"
)
NUMBER_WEIGHT = 3  # a number the source holds is strong evidence: it counts as three words


def _numbers(text: str) -> set[str]:
    return {n.replace(",", "") for n in _NUMBER.findall(text)}


def _asked(question: str) -> frozenset[str]:
    return frozenset(_words(question) | _numbers(question))


def _key(text: str, asked: frozenset[str]) -> tuple[set[str], set[str]]:
    """(key words, numbers) of `text` that the question did not say."""
    return _words(text) - asked, _numbers(text) - asked


# What a source holds: its words, its numbers in digits, its text (numbers written out in words).
_Held = tuple[set[str], set[str], str]


def _terms_of(source: Source) -> _Held:
    text = " ".join(re.sub(r"[\W_]+", " ", source.text.casefold()).split())
    return _words(source.text), _numbers(source.text), f" {text} "


def _holds_number(number: str, have: _Held) -> bool:
    """In digits, or written out ("50" and "fifty minutes", "elli dakika")."""
    return number in have[1] or any(f" {form} " in have[2] for form in written_forms(number))


def support(claim: str, source: Source, question: str = "") -> float:
    """Share of the claim's key words and numbers that `source` holds (1.0: nothing to
    check); 0 when a number of the claim is missing from it."""
    return _support(_key(_MARKERS.sub("", claim), _asked(question)), _terms_of(source))


def _support(key: tuple[set[str], set[str]], have: _Held) -> float:
    terms, numbers = key
    if not all(_holds_number(n, have) for n in numbers):
        return 0.0
    if not terms and not numbers:
        return 1.0
    weight = NUMBER_WEIGHT * len(numbers)
    return (len(terms & have[0]) + weight) / (len(terms) + weight)


def check_citations(answer: str, sources: Sequence[Source], question: str = "") -> CheckedAnswer:
    """Keep, re-point or drop each marker; add one when none was written and one source
    clearly holds the answer (see the module docstring)."""
    if not sources or not answer.strip() or is_refusal(answer):
        return CheckedAnswer(answer, [])
    asked = _asked(question)
    have = {s.number: _terms_of(s) for s in sources}
    changes: list[str] = []
    pieces: list[str] = []
    position = 0
    uncited: list[str] = []  # sentences since the last marker
    for sentence in split_sentences(answer):
        start = answer.find(sentence, position)
        if start < 0:
            continue
        pieces.append(answer[position:start])
        words = _MARKERS.sub("", sentence)
        said = bool(_WORD.search(words))
        # "... deleted. [2]": markers after the full stop cite the sentences before them.
        claims = [words] if said or not uncited else uncited
        pieces.append(_check_sentence(sentence, [_key(c, asked) for c in claims], have, changes))
        if cited_numbers(sentence):
            uncited = []
        elif said:
            uncited.append(words)
        position = start + len(sentence)
    pieces.append(answer[position:])
    text = "".join(pieces)
    if not cited_numbers(text):
        number = _clear_holder(_key(text, asked), have)
        if number is not None:
            text = f"{text.rstrip()} [{number}]"
            changes.append(f"+[{number}]")
    cited = set(cited_numbers(text))
    return CheckedAnswer(text, [s for s in sources if s.number in cited], changes)


def _clear_holder(key: tuple[set[str], set[str]], have: dict[int, _Held]) -> int | None:
    """The source that clearly holds an uncited answer: the only one holding CLEAR of it, or
    one holding MARGIN more than any other; among several that hold it alike, the one the
    search ranked first (source 1), when it is one of them."""
    scores = {n: _support(key, terms) for n, terms in have.items()}
    holders = sorted((n for n in scores if scores[n] >= CLEAR), key=lambda n: -scores[n])
    if not holders:
        return None
    if len(holders) == 1 or scores[holders[0]] - scores[holders[1]] >= MARGIN:
        return holders[0]
    return 1 if 1 in holders and scores[1] == scores[holders[0]] else None


def _check_sentence(
    sentence: str,
    keys: list[tuple[set[str], set[str]]],
    have: dict[int, _Held],
    changes: list[str],
) -> str:
    """`sentence`'s markers kept, re-pointed or dropped: a source backs them when it holds
    SUPPORT of one of the `keys` (the sentence's own claim, or the sentences before a marker
    that stands alone)."""
    numbers = [n for n in cited_numbers(sentence) if n in have] + [
        n for n in cited_numbers(sentence) if n not in have
    ]
    if not numbers:
        return sentence

    def backing(m: int) -> float:
        return max(_support(key, have[m]) for key in keys)

    kept: list[int] = []
    best = max(have, key=backing)
    for n in numbers:
        if n in have and backing(n) >= SUPPORT:
            kept.append(n)
            continue
        if backing(best) >= SUPPORT:
            kept.append(best)
            changes.append(f"[{n}]->[{best}]")
        else:
            changes.append(f"-[{n}]")
    kept = list(dict.fromkeys(kept))
    groups = iter([", ".join(str(n) for n in kept)] if kept else [])

    def replace(match: re.Match[str]) -> str:
        # The first marker group carries every kept number; the others disappear.
        group = next(groups, None)
        return f" [{group}]" if group else ""

    return _MARKERS.sub(replace, sentence)
