"""A server's own classifier (bot.teaching): labels from the head its admins trained."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from bot.i18n import _
from bot.teaching import TaughtSentiment
from plugins.sentiment.engines.base import Label, Limits, SentimentResult

__all__ = ["TaughtEngine"]


class TaughtEngine:
    """Answers with `head`; its name says which version of the server's classifier it was."""

    def __init__(self, head: TaughtSentiment, *, limits: Limits | None = None) -> None:
        self.head = head
        self.name = _("this server's classifier v{version}", version=head.version)
        self.limits = limits or Limits(timeout=30.0)

    async def analyze(self, text: str) -> SentimentResult:
        return (await self.analyze_many([text]))[0]

    async def analyze_many(self, texts: Sequence[str]) -> list[SentimentResult]:
        cleaned = self.limits.check(self.name, texts)
        if not cleaned:
            return []
        found = await self.limits.run(self.name, self.head.classify(cleaned))
        return [SentimentResult(cast(Label, label), score, self.name) for label, score in found]
