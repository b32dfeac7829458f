"""A tiny multinomial logistic regression in numpy: trained offline, shipped as JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["SoftmaxModel", "train_softmax"]

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


def train_softmax(
    x: npt.ArrayLike,
    labels: Sequence[str],
    *,
    classes: Sequence[str] | None = None,
    l2: float = 1e-3,
    epochs: int = 400,
    learning_rate: float = 0.05,
    seed: int = 0,
) -> SoftmaxModel:
    """Full-batch Adam on cross-entropy + L2, on standardised features. Deterministic."""
    features = np.asarray(x, dtype=np.float64)
    names = list(classes) if classes is not None else sorted(set(labels))
    index = {name: i for i, name in enumerate(names)}
    y = np.array([index[label] for label in labels])
    n, d = features.shape
    k = len(names)
    mean = features.mean(axis=0)
    scale = features.std(axis=0) + 1e-8
    z = (features - mean) / scale
    onehot = np.eye(k)[y]
    rng = np.random.default_rng(seed)
    w = rng.normal(0.0, 0.01, size=(d, k))
    b = np.zeros(k)
    params = [w, b]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    for step in range(1, epochs + 1):
        logits = z @ w + b
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        delta = (p - onehot) / n
        grads = [z.T @ delta + 2 * l2 * w, delta.sum(axis=0)]
        for i, (param, grad) in enumerate(zip(params, grads, strict=True)):
            m[i] = beta1 * m[i] + (1 - beta1) * grad
            v[i] = beta2 * v[i] + (1 - beta2) * grad * grad
            m_hat = m[i] / (1 - beta1**step)
            v_hat = v[i] / (1 - beta2**step)
            param -= learning_rate * m_hat / (np.sqrt(v_hat) + eps)
    return SoftmaxModel(names, w, b, mean, scale)
