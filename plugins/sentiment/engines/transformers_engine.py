"""Any Hugging Face text-classification model (Hub id or local folder) as a sentiment engine.

The model's own labels are mapped onto positive/neutral/negative: by name ("POSITIVE",
"neg", "Neutral"), by star rating ("1 star" .. "5 stars"), by the common ``LABEL_0..2``
conventions, or by an explicit ``label_map``. Probabilities of labels that map to the same
sentiment are added; ``score`` is the summed probability of the returned label.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from bot.nlp.errors import EngineUnavailable
from plugins.sentiment.engines.base import LABELS, EngineError, Label, Limits, SentimentResult

__all__ = ["TransformersEngine", "map_model_labels"]

_STARS = re.compile(r"^\s*([1-5])\s*(star|stars|yıldız)?\s*$", re.IGNORECASE)


def _by_name(raw: str) -> Label | None:
    name = raw.strip().lower()
    if name.startswith("pos") or name in {"olumlu", "good"}:
        return "positive"
    if name.startswith("neg") or name in {"olumsuz", "bad"}:
        return "negative"
    if name.startswith("neu") or name in {"nötr", "notr", "none", "mixed"}:
        return "neutral"
    stars = _STARS.match(name)
    if stars:
        value = int(stars.group(1))
        return "negative" if value <= 2 else "neutral" if value == 3 else "positive"
    return None


def map_model_labels(
    id2label: Mapping[int, str],
    overrides: Mapping[str, Label] | None = None,
    *,
    engine: str = "transformers",
) -> dict[str, Label]:
    """Map each of the model's label names to a sentiment, or raise EngineError."""
    names = [id2label[i] for i in sorted(id2label)]
    mapping: dict[str, Label] = {}
    generic = all(re.fullmatch(r"LABEL_\d+", n) for n in names)
    for index, name in enumerate(names):
        if overrides and name in overrides:
            if overrides[name] not in LABELS:
                raise EngineError(f"`{overrides[name]}` is not a sentiment label.", engine)
            mapping[name] = overrides[name]
            continue
        label = _by_name(name)
        if label is None and generic and len(names) in (2, 3):
            # SST-2 style (0 negative, 1 positive) or TweetEval style (0 neg, 1 neu, 2 pos).
            order: tuple[Label, ...] = (
                ("negative", "positive") if len(names) == 2 else ("negative", "neutral", "positive")
            )
            label = order[index]
        if label is None:
            raise EngineError(
                f"I can't tell what the model's label `{name}` means. "
                "Give the engine a label_map, e.g. {'" + name + "': 'positive'}.",
                engine,
            )
        mapping[name] = label
    return mapping


class TransformersEngine:
    """A ``text-classification`` pipeline loaded lazily, once, in a worker thread."""

    def __init__(
        self,
        model: str,
        *,
        label_map: Mapping[str, Label] | None = None,
        device: str = "cpu",
        max_length: int = 512,
        batch_size: int = 16,
        limits: Limits | None = None,
    ) -> None:
        if not model.strip():
            raise EngineError(
                "The transformers engine needs a model name or folder.", "transformers"
            )
        self.model_id = model
        self.name = f"transformers:{model}"
        self.label_map = dict(label_map or {})
        self.device = device
        self.max_length = max_length
        self.batch_size = batch_size
        self.limits = limits or Limits(timeout=60.0)
        self._pipeline: Any = None
        self._mapping: dict[str, Label] = {}
        self._load_lock = threading.Lock()
        self._run_lock = threading.Lock()

    def load(self) -> None:
        """Load the model (blocking; idempotent). Raises EngineError if it can't be used."""
        if self._pipeline is not None:
            return
        with self._load_lock:
            if self._pipeline is not None:
                return
            try:
                from transformers import pipeline

                classifier = pipeline(
                    "text-classification", model=self.model_id, device=self.device
                )
            except Exception as exc:  # OSError, ValueError, hub errors: all "can't load"
                raise EngineUnavailable(
                    self.name, "the model could not be loaded from the Hub or that folder"
                ) from exc
            id2label = classifier.model.config.id2label or {}
            self._mapping = map_model_labels(
                {int(k): str(v) for k, v in id2label.items()}, self.label_map, engine=self.name
            )
            self._pipeline = classifier

    def _classify(self, texts: list[str]) -> list[SentimentResult]:
        self.load()
        with self._run_lock:
            outputs = self._pipeline(
                texts,
                top_k=None,
                truncation=True,
                max_length=self.max_length,
                batch_size=self.batch_size,
            )
        results = []
        for scores in outputs:
            totals: dict[Label, float] = {}
            for item in scores:
                sentiment = self._mapping[item["label"]]
                totals[sentiment] = totals.get(sentiment, 0.0) + float(item["score"])
            label = max(totals, key=lambda k: totals[k])
            results.append(SentimentResult(label, round(totals[label], 4), self.name))
        return results

    async def analyze(self, text: str) -> SentimentResult:
        return (await self.analyze_many([text]))[0]

    async def analyze_many(self, texts: Sequence[str]) -> list[SentimentResult]:
        cleaned = self.limits.check(self.name, texts)
        if not cleaned:
            return []
        return await self.limits.in_thread(self.name, lambda: self._classify(cleaned))
