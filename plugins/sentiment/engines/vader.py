"""VADER (Hutto & Gilbert, 2014): a rule-based English sentiment lexicon, good on chat and emoji."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from bot.nlp.errors import EngineUnavailable
from plugins.sentiment.engines.base import Label, Limits, SentimentResult

__all__ = ["VaderEngine"]


class VaderEngine:
    """English only. ``score``: ``0.5 + |compound| / 2`` for positive/negative (compound is
    VADER's -1..1 polarity), VADER's neutral-token share for neutral."""

    name = "vader"

    def __init__(self, *, threshold: float = 0.05, limits: Limits | None = None) -> None:
        self.threshold = threshold  # |compound| below this is neutral (VADER's own convention)
        self.limits = limits or Limits(timeout=10.0)
        self._analyzer: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        if self._analyzer is None:
            with self._lock:
                if self._analyzer is None:
                    try:
                        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
                    except ImportError as exc:
                        raise EngineUnavailable(
                            self.name, "vadersentiment is not installed"
                        ) from exc
                    self._analyzer = SentimentIntensityAnalyzer()
        return self._analyzer

    def _score(self, texts: list[str]) -> list[SentimentResult]:
        analyzer = self._load()
        return [self.result_from_scores(analyzer.polarity_scores(t)) for t in texts]

    def result_from_scores(self, scores: dict[str, float]) -> SentimentResult:
        compound = float(scores["compound"])
        label: Label
        if compound >= self.threshold:
            label, score = "positive", 0.5 + compound / 2
        elif compound <= -self.threshold:
            label, score = "negative", 0.5 - compound / 2
        else:
            label, score = "neutral", float(scores["neu"])
        return SentimentResult(label, round(min(max(score, 0.0), 1.0), 4), self.name)

    async def analyze(self, text: str) -> SentimentResult:
        return (await self.analyze_many([text]))[0]

    async def analyze_many(self, texts: Sequence[str]) -> list[SentimentResult]:
        cleaned = self.limits.check(self.name, texts)
        if not cleaned:
            return []
        return await self.limits.in_thread(self.name, lambda: self._score(cleaned))
