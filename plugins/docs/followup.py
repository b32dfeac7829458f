"""Follow-up questions: "and what is its admin port?" after "How do I restart the Zephyr router?".

`/ask` remembers each member's last questions in a channel for a short while (in memory only:
nothing is stored, so nothing needs forgetting). A question that reads like a follow-up (short,
or pointing back with "it", "its", "that", "bu", "onun" ...) is first given to the chat model
to rewrite as a question that stands alone ("What does os.path.join return?"); the rewrite is
kept only if it names something from the earlier question and stays a short question. When the
model is off, too slow or its rewrite fails that check, the follow-up is searched together with
the previous question instead, so retrieval still finds the document the conversation is
about. A question that names its own subject is searched alone. bench/followup_quality.py
measures each path.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Literal

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from bot.nlp.words import STOPWORDS, words

__all__ = [
    "FollowUps",
    "Standalone",
    "accept_rewrite",
    "is_follow_up",
    "retrieval_query",
    "rewrite_messages",
    "standalone_query",
]

# Words that point back to something said before (English and Turkish).
_POINTERS = re.compile(
    r"\b(?:it|its|it's|itself|this|that|these|those|they|them|their|there|then|also|else|"
    r"same|one|bu|şu|o|onu|onun|ona|bunu|bunun|buna|şunu|orada|burada|onlar|onları|ayrıca|"
    r"peki|aynı)\b",
    re.IGNORECASE,
)
_OPENERS = re.compile(r"^\s*(?:and|but|so|what about|how about|ve|peki|ya|bir de)\b", re.I)
SHORT = 3  # words: "Why?", "And Turkish?" name no subject of their own
REMEMBER_S = 15 * 60
REMEMBER_TURNS = 2


def is_follow_up(question: str) -> bool:
    words = question.split()
    return len(words) <= SHORT or bool(_OPENERS.match(question) or _POINTERS.search(question))


def retrieval_query(question: str, previous: list[str]) -> str:
    """What to search for: the question, preceded by the last one when it follows up on it."""
    if not previous or not is_follow_up(question):
        return question
    return f"{previous[-1]} {question}"


REWRITE_PROMPT = (
    "You rewrite a follow-up question so that it can be understood on its own. Replace words "
    "that point back (it, its, that, this, they, bu, şu, onun, bunun ...) with what they refer "
    "to in the earlier questions. Keep the language of the follow-up question. Do not answer "
    "it. Reply with the rewritten question only, on one line."
)
_LABEL = re.compile(r"^\s*(?:[\w ]{0,30}(?:question|soru)[\w ]{0,15}:|-|\*|\d+[.)])\s*", re.I)
MAX_REWRITE_CHARS = 300

Ask = Callable[[list[BaseMessage]], AsyncIterator[str]]


@dataclass(frozen=True)
class Standalone:
    query: str  # what to search for
    how: Literal["alone", "rewritten", "joined"]


def rewrite_messages(question: str, previous: list[str]) -> list[BaseMessage]:
    earlier = "\n".join(f"- {q}" for q in previous)
    user = (
        f"Earlier questions:\n{earlier}\n\nFollow-up question: {question}\n\n"
        "The follow-up question, rewritten to stand alone:"
    )
    return [SystemMessage(REWRITE_PROMPT), HumanMessage(user)]


def accept_rewrite(rewrite: str, question: str, previous: list[str]) -> str | None:
    """The model's rewrite when it is one short line that names something the earlier
    question named and the follow-up did not (what "it" stood for); None otherwise."""
    lines = [line for line in rewrite.strip().splitlines() if line.strip()]
    if not lines:
        return None
    text = _LABEL.sub("", lines[0]).strip().strip("\"'“”«»`").strip()
    if not text or len(text) > min(MAX_REWRITE_CHARS, 3 * (len(question) + len(previous[-1]))):
        return None
    antecedents = _names(previous[-1]) - _names(question)
    return text if _names(text) & antecedents else None


_COMMON = STOPWORDS["en"] | STOPWORDS["tr"] | STOPWORDS["de"]


def _names(text: str) -> set[str]:
    """Words that can name a subject (not "what", "does", "nasıl" ...)."""
    return {w for w in words(text, None) if len(w) > 1 and w not in _COMMON}


async def standalone_query(
    question: str, previous: list[str], ask: Ask | None, seconds: float
) -> Standalone:
    """What to search for, and how it was found (see the module docstring)."""
    if not previous or not is_follow_up(question):
        return Standalone(question, "alone")
    joined = Standalone(retrieval_query(question, previous), "joined")
    if ask is None or seconds <= 0:
        return joined
    try:
        async with asyncio.timeout(seconds):
            rewrite = await _first_line(ask(rewrite_messages(question, previous)))
    except Exception:  # slow, down or failing: the fallback is as good as before
        return joined
    accepted = accept_rewrite(rewrite, question, previous)
    return Standalone(accepted, "rewritten") if accepted else joined


async def _first_line(stream: AsyncIterator[str]) -> str:
    """Read until the first full line (the rewrite is one line): a model that goes on
    answering is stopped there instead of spending its whole token budget."""
    parts: list[str] = []
    try:
        async for piece in stream:
            parts.append(piece)
            text = "".join(parts).lstrip()
            if "\n" in text or len(text) > MAX_REWRITE_CHARS:
                break
    finally:
        closer = getattr(stream, "aclose", None)
        if closer is not None:
            await closer()
    return "".join(parts)


@dataclass
class _Turns:
    questions: list[str]
    at: float


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
