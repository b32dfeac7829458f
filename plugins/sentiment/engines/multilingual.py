"""Offline multilingual sentiment: a small softmax classifier over multilingual sentence embeddings.

The classifier (plugins/sentiment/data/multilingual_sentiment.json, trained by
``python -m tools.train_sentiment``) was fitted on the embeddings of one embedder; the
engine refuses an embedder with another name or size. ``score`` is the class probability.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import cast

import numpy as np

from bot.ai.base import Embedder
from bot.nlp.errors import EngineUnavailable
from plugins.sentiment.engines.base import Label, Limits, SentimentResult
from plugins.sentiment.engines.softmax import SoftmaxModel

__all__ = ["DEFAULT_WEIGHTS", "MultilingualEngine"]

DEFAULT_WEIGHTS = Path(__file__).resolve().parent.parent / "data" / "multilingual_sentiment.json"


class MultilingualEngine:
    """Embeds with ``embedder`` (off the loop) and classifies with the shipped weights."""

    name = "multilingual"

    def __init__(
        self,
        embedder: Embedder | None = None,
        *,
        weights: Path = DEFAULT_WEIGHTS,
        limits: Limits | None = None,
    ) -> None:
        self._embedder = embedder
        self.weights_path = weights
        self.limits = limits or Limits(timeout=30.0)
        self._model: SoftmaxModel | None = None
        self._lock = threading.Lock()

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:  # the packaged default the weights were trained for
            from bot.ai.embeddings import build_embedder

            self._embedder = build_embedder()
        return self._embedder

    def classifier(self) -> SoftmaxModel:
        """Read and check the weights once. Blocking on first use: checking the embedder's
        size may load its model."""
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._read_weights()
        return self._model

    def _read_weights(self) -> SoftmaxModel:
        try:
            model = SoftmaxModel.load(self.weights_path)
        except (OSError, ValueError, KeyError) as exc:
            raise EngineUnavailable(
                self.name, "its classifier file is missing or damaged; reinstall or retrain it"
            ) from exc
        trained_for = model.meta.get("embedder")
        embedder = self.embedder
        # Names first: asking a sentence-transformers embedder for its size loads the model.
        if trained_for != embedder.name or model.dimension != embedder.dimension:
            raise EngineUnavailable(
                self.name,
                f"its classifier was trained on `{trained_for}` embeddings but "
                f"`{embedder.name}` is configured; retrain it with tools.train_sentiment",
            )
        return model

    async def analyze(self, text: str) -> SentimentResult:
        return (await self.analyze_many([text]))[0]

    async def analyze_many(self, texts: Sequence[str]) -> list[SentimentResult]:
        cleaned = self.limits.check(self.name, texts)
        if not cleaned:
            return []
        # The first call reads the weights and may load the embedder to learn its size.
        model = self._model
        if model is None:
            model = await self.limits.in_thread(self.name, self.classifier)
        vectors = await self.limits.run(self.name, self.embedder.embed_documents(cleaned))
        probabilities = model.predict_proba(np.asarray(vectors, dtype=np.float64))
        results = []
        for row in probabilities:
            best = int(row.argmax())
            label = cast(Label, model.classes[best])
            results.append(SentimentResult(label, round(float(row[best]), 4), self.name))
        return results
