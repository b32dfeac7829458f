"""Follow-up questions: "and what is its admin port?" after "How do I restart the Zephyr router?".

`/ask` remembers each member's last questions in a channel for a short while (in memory only:
nothing is stored, so nothing needs forgetting). A question that reads like a follow-up (short,
or pointing back with "it", "its", "that", "bu", "onun" ...) is searched together with the
previous question, so retrieval finds the document the conversation is about; a question that
names its own subject is searched alone. bench/followup_quality.py measures both kinds.
"""

from __future__ import annotations

import re
import time
from collections import OrderedDict
from dataclasses import dataclass

__all__ = ["FollowUps", "is_follow_up", "retrieval_query"]

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
