"""A server's sentiment head: logistic regression (scikit-learn) over frozen sentence embeddings.

Parameter-efficient by construction: the encoder never changes, the head has
classes x (dimension + 1) numbers. Weights are stored as JSON (no pickles in the database) and
applied with numpy. Fitting and cross-validation are blocking: call them in a worker thread.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["C", "HeadWeights", "cross_validated", "fit", "predict_proba"]

# Inverse regularisation strength. bench/teaching.py compares 0.5, 2 and 8 on the servers'
# training rows only (inner cross-validation): 2 was best or tied at every size.
C = 2.0
MAX_FOLDS = 5

HeadWeights = dict[str, Any]  # {"classes": [...], "coef": [[...]], "intercept": [...]}


def _model() -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=C, max_iter=2000, class_weight="balanced")


def fit(vectors: np.ndarray, labels: Sequence[str]) -> HeadWeights:
    model = _model().fit(vectors, list(labels))
    return {
        "classes": [str(c) for c in model.classes_],
        "coef": np.round(model.coef_, 6).tolist(),
        "intercept": np.round(model.intercept_, 6).tolist(),
    }


def folds_for(labels: Sequence[str]) -> int:
    """As many folds as the rarest class allows, at most MAX_FOLDS (at least 2)."""
    return max(2, min(MAX_FOLDS, min(Counter(labels).values())))


def cross_validated(vectors: np.ndarray, labels: Sequence[str], seed: int = 0) -> list[str]:
    """Each example's label predicted by a head that never saw it (stratified k-fold)."""
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    folds = StratifiedKFold(n_splits=folds_for(labels), shuffle=True, random_state=seed)
    predicted = cross_val_predict(_model(), vectors, list(labels), cv=folds)
    return [str(p) for p in predicted]


def predict_proba(weights: HeadWeights, vectors: np.ndarray) -> tuple[list[str], np.ndarray]:
    """(classes, probabilities per row). Two classes: sklearn's single binary row."""
    classes = list(weights["classes"])
    coef = np.asarray(weights["coef"], dtype=np.float64)
    intercept = np.asarray(weights["intercept"], dtype=np.float64)
    scores = vectors @ coef.T + intercept
    if len(classes) == 2:  # one logit for classes[1]
        positive = 1.0 / (1.0 + np.exp(-scores[:, 0]))
        return classes, np.stack([1.0 - positive, positive], axis=1)
    scores -= scores.max(axis=1, keepdims=True)
    exp = np.exp(scores)
    return classes, exp / exp.sum(axis=1, keepdims=True)
