"""The numpy softmax classifier and the training helpers (no download: synthetic data)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bot.evaluation.sentiment_corpus import CLASSES, Example, _untag, split
from plugins.sentiment.engines.multilingual import DEFAULT_WEIGHTS
from plugins.sentiment.engines.softmax import SoftmaxModel
from tools.train_sentiment import train_softmax


def blobs(n: int, seed: int) -> tuple[np.ndarray, list[str]]:
    rng = np.random.default_rng(seed)
    centers = {"negative": -2.0, "neutral": 0.0, "positive": 2.0}
    labels = [CLASSES[i % 3] for i in range(n)]
    x = np.stack([rng.normal(centers[label], 0.7, size=6) for label in labels])
    return x, labels


def test_softmax_learns_separable_classes_and_round_trips(tmp_path: Path) -> None:
    x, y = blobs(300, seed=1)
    model = train_softmax(x, y, classes=CLASSES, epochs=200)
    x_test, y_test = blobs(90, seed=2)
    accuracy = np.mean([p == g for p, g in zip(model.predict(x_test), y_test, strict=True)])
    assert accuracy > 0.95
    probabilities = model.predict_proba(x_test)
    assert probabilities.shape == (90, 3)
    assert np.allclose(probabilities.sum(axis=1), 1.0)

    model.meta = {"embedder": "test"}
    model.save(tmp_path / "m.json")
    loaded = SoftmaxModel.load(tmp_path / "m.json")
    assert loaded.classes == list(CLASSES) and loaded.meta == {"embedder": "test"}
    assert np.allclose(loaded.predict_proba(x_test), probabilities, atol=1e-4)


def test_damaged_model_files_are_rejected(tmp_path: Path) -> None:
    x, y = blobs(30, seed=3)
    data = train_softmax(x, y, classes=CLASSES, epochs=5).to_dict()
    data["bias"] = [0.0]
    with pytest.raises(ValueError, match="inconsistent"):
        SoftmaxModel.from_dict(data)
    with pytest.raises(ValueError, match="not a sohbet"):
        SoftmaxModel.from_dict({"format": "other"})


def test_split_is_stratified_and_deterministic() -> None:
    examples = [
        Example(f"{label} {source} {i}", label, "en", source)  # type: ignore[arg-type]
        for label in CLASSES
        for source in ("a", "b")
        for i in range(10)
    ]
    train, test = split(examples)
    assert len(test) == 12 and len(train) == 48
    assert {(e.label, e.source) for e in test} == {(c, s) for c in CLASSES for s in ("a", "b")}
    assert split(examples) == (train, test)
    assert not set(train) & set(test)


def test_tagged_corpus_lines_become_plain_sentences() -> None:
    line = "Mr./NNP Vinken/NNP is/VBZ chairman/NN of/IN Elsevier/NNP ,/, the/DT group/NN ./."
    assert _untag(line) == "Mr. Vinken is chairman of Elsevier, the group."
    assert _untag("It/PRP 's/VBZ ok/JJ (/( really/RB )/) !/.") == "It's ok (really)!"


def test_shipped_weights_describe_their_training() -> None:
    meta = json.loads(DEFAULT_WEIGHTS.read_text())["meta"]
    assert meta["embedder"] == "use-multilingual-v3"
    assert meta["heldout"]["accuracy"] > meta["heldout"]["majority_baseline"] + 0.3
