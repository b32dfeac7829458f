"""A tiny multinomial logistic regression in numpy: trained offline (tools/train_sentiment.py),
shipped as JSON, applied here."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["SoftmaxModel"]

Array = npt.NDArray[np.float64]


@dataclass
class SoftmaxModel:
    """``p = softmax(((x - mean) / scale) @ weights + bias)`` over ``classes``."""

    classes: list[str]
    weights: Array  # (dimension, classes)
    bias: Array  # (classes,)
    mean: Array  # (dimension,)
    scale: Array  # (dimension,)
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def dimension(self) -> int:
        return int(self.weights.shape[0])

    def predict_proba(self, x: npt.ArrayLike) -> Array:
        features = (np.asarray(x, dtype=np.float64) - self.mean) / self.scale
        logits = features @ self.weights + self.bias
        logits -= logits.max(axis=-1, keepdims=True)
        exp = np.exp(logits)
        result: Array = exp / exp.sum(axis=-1, keepdims=True)
        return result

    def predict(self, x: npt.ArrayLike) -> list[str]:
        return [self.classes[i] for i in self.predict_proba(x).argmax(axis=-1)]

    # -- persistence --------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        def rounded(a: Array) -> Any:
            return np.round(a, 6).tolist()

        return {
            "format": "sohbet-softmax-v1",
            "classes": self.classes,
            "weights": rounded(self.weights),
            "bias": rounded(self.bias),
            "mean": rounded(self.mean),
            "scale": rounded(self.scale),
            "meta": self.meta,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SoftmaxModel:
        if data.get("format") != "sohbet-softmax-v1":
            raise ValueError("not a sohbet softmax model")
        model = cls(
            classes=list(data["classes"]),
            weights=np.asarray(data["weights"], dtype=np.float64),
            bias=np.asarray(data["bias"], dtype=np.float64),
            mean=np.asarray(data["mean"], dtype=np.float64),
            scale=np.asarray(data["scale"], dtype=np.float64),
            meta=dict(data.get("meta", {})),
        )
        k, d = len(model.classes), model.weights.shape[0]
        if model.weights.shape != (d, k) or model.bias.shape != (k,) or model.mean.shape != (d,):
            raise ValueError("inconsistent softmax model shapes")
        return model

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_dict(), separators=(",", ":")) + "\n")

    @classmethod
    def load(cls, path: Path) -> SoftmaxModel:
        return cls.from_dict(json.loads(path.read_text()))
