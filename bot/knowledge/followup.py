"""Follow-up questions, decided with evidence: "What does it return?" after "What does os.walk do?".

`/ask` remembers each member's last questions in a channel for a short while (in memory only:
nothing is stored, so nothing needs forgetting). A question is read as a follow-up only when it
needs the earlier one:

- it points back with a word that stands for something said before ("it", "its", "they",
  "there", "bu", "onun" ...) and names almost nothing of its own (at most `OWN_WORDS` content
  words: "What does it return?"), opens with a continuation ("And in Turkish?") or names
  nothing at all ("Why?"), and the search proves it: searched together with the earlier
  question it finds relevant passages (the search's relevance gate), and its own words alone
  find nothing or another document ("return" is in many documents). A pointing question whose
  own words find nothing needs the document found joined to hold one of them (the joined search
  of an unrelated "Where do these codenames come from?" finds the earlier question's document,
  which says nothing of codenames; "and how long does it last?" needs no such check). When
  both searches lead to the same document, the earlier question changed nothing and is left
  out;
- or it is short and names something ("Turkish version?") that finds nothing relevant alone
  while the joined search does.

Common words are no evidence: "Are reliefs made only in one style?" names reliefs and style and
is searched alone, and so is "Why is it called Python?" (a name of its own). A long question
with a subject of its own is never joined, even when it finds nothing (an off-topic question
must be refused, not answered with the last topic). The earlier question goes into the answer
prompt only when it was used to search.
bench/ask_quality.py measures precision and recall on a follow-up set and a topic-switch set.
"""

from __future__ import annotations

import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from langchain_core.documents import Document

from bot.nlp.words import STOPWORDS, rough_stems, words

__all__ = [
    "REMEMBER_S",
    "Decision",
    "FollowUps",
    "decide",
    "needs_earlier",
]

# Words that stand for something said before (English, Turkish, German). Not "one", "also",
# "then", "same": they appear in ordinary standalone questions.
_POINTERS = frozenset(
    """it its itself they them their theirs he him his she her hers this that these those
    there bu şu o onu onun ona onda ondan bunu bunun buna bunda şunu şunun orada oraya
    burada onlar onları onların es sein seine ihr ihre dies diese dieser dort er""".split()  # noqa: SIM905
)
# "there is/are ...", "that is" and friends: existential or filler, not pointing back.
_NOT_POINTING = re.compile(
    r"\b(?:there|that)\s+(?:is|are|was|were|be|been|'s|’s|exist|exists)\b|"
    r"\b(?:is|are|was|were)\s+there\b",
    re.IGNORECASE,
)
# A name of its own: a capitalised word after the first ("Python", "Debian", "Knoppix"), an
# identifier ("os.walk", "max_pages", "HTTP2") or a quoted term.
_NAME = re.compile(
    r"(?<=\s)[A-ZÇĞİÖŞÜ][\w-]+|\b\w+[._]\w+\b|\b[A-Za-z]+\d\w*\b|[\"“'‘`][^\"”'’`]{2,}"
)
_OPENERS = re.compile(r"^\s*(?:and|but|so|what about|how about|ve|peki|ya|bir de|und)\b", re.I)
SHORT = 3  # words: "Why?", "And Turkish?" name no subject of their own
OWN_WORDS = 2  # a pointing question with more content words than this has its own subject
REMEMBER_S = 15 * 60
REMEMBER_TURNS = 2
_QUESTION_WORDS = frozenset(
    {
        "what", "why", "how", "when", "where", "which", "who", "whom", "whose",
        "neden", "niye", "niçin", "nasıl", "ne", "nerede", "kim", "hangi",
        "warum", "wie", "wann", "wo", "wer", "welche",
    }
)  # fmt: skip
_COMMON = STOPWORDS["en"] | STOPWORDS["tr"] | STOPWORDS["de"] | _POINTERS | _QUESTION_WORDS

Search = Callable[[str], Awaitable[list[Document]]]


def _own_words(question: str) -> list[str]:
    return [w for w in words(question) if len(w) > 1 and w not in _COMMON and not w.isdigit()]


def needs_earlier(question: str) -> str | None:
    """Why the question can't stand alone (None when it can): it points back and names almost
    nothing itself, it opens with "and ..."/"what about ...", or it names nothing at all."""
    own = _own_words(question)
    if _OPENERS.match(question):
        return "opens with a continuation"
    cleaned = _NOT_POINTING.sub(" ", question)
    points = any(w in _POINTERS for w in words(cleaned))
    if points and len(own) <= OWN_WORDS and not _NAME.search(question):
        return "points back"
    if not own:
        return "names nothing"
    return None


def _short(question: str) -> bool:
    return len(question.split()) <= SHORT


@dataclass(frozen=True)
class Decision:
    """What was searched, what it found, and whether the earlier question was used."""

    query: str
    found: list[Document]
    earlier: str | None = None  # set only when the earlier question was used
    why: str = "alone"

    @property
    def follow_up(self) -> bool:
        return self.earlier is not None


def _top(found: list[Document]) -> str | None:
    return str(found[0].metadata.get("document_id")) if found else None


async def decide(question: str, previous: list[str], search: Search) -> Decision:
    """Search `question` alone or with the last of `previous` (see the module docstring)."""
    if not previous:
        return Decision(question, await search(question))
    earlier = previous[-1]
    joined = f"{earlier} {question}"
    reason = needs_earlier(question)
    if reason is None and not _short(question):
        return Decision(question, await search(question), why="own subject")
    alone = await search(question)
    if reason is None and alone:
        return Decision(question, alone, why="short, found alone")
    together = await search(joined)
    if not together:
        return Decision(question, alone, why=f"{reason or 'short'}; nothing found joined")
    if alone and _top(alone) == _top(together):
        # The earlier question changes nothing: the question found its document itself.
        return Decision(question, alone, why=f"{reason}; same document alone")
    own = rough_stems(" ".join(_own_words(question)))
    lacks = own and not own & rough_stems(together[0].page_content)
    if reason == "points back" and not alone and lacks:
        # "Where do these codenames come from?" after an unrelated question: the joined search
        # found the earlier question's document, which says nothing of what this one asks.
        return Decision(question, alone, why=f"{reason}; joined document lacks its words")
    return Decision(joined, together, earlier=earlier, why=f"{reason or 'short'}; found joined")


@dataclass
class _Turns:
    questions: list[str]
    at: float = field(default_factory=time.monotonic)


class FollowUps:
    """The last questions of each member in each channel, forgotten after REMEMBER_S."""

    def __init__(self, max_keys: int = 10_000) -> None:
        self._turns: OrderedDict[tuple[int, int, int], _Turns] = OrderedDict()
        self.max_keys = max_keys

    def previous(self, key: tuple[int, int, int], now: float | None = None) -> list[str]:
        now = time.monotonic() if now is None else now
        turns = self._turns.get(key)
        if turns is None or now - turns.at > REMEMBER_S:
            self._turns.pop(key, None)
            return []
        return list(turns.questions)

    def remember(self, key: tuple[int, int, int], question: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        questions = [*self.previous(key, now), question][-REMEMBER_TURNS:]
        self._turns[key] = _Turns(questions, now)
        self._turns.move_to_end(key)
        while len(self._turns) > self.max_keys:  # bounded memory, oldest first
            self._turns.popitem(last=False)

    def forget_user(self, user_id: int) -> None:
        for key in [k for k in self._turns if k[2] == user_id]:
            del self._turns[key]
