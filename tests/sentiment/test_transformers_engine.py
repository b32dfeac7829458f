"""Transformers engine: real loading of tiny classifiers built offline; label mapping.

The tiny models are randomly initialised, so predictions are arbitrary: the tests check that
every model label lands on the right sentiment and that scores add up, not accuracy.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.nlp.errors import EngineError, EngineUnavailable
from plugins.sentiment.engines import create_engine
from plugins.sentiment.engines.transformers_engine import TransformersEngine, map_model_labels
from tests.sentiment.conftest import ticks_while
from tests.sentiment.tiny_bert import build_classifier

TEXTS = ["I love it", "Berbat bir deneyimdi", "The box arrived today"]


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("classifiers")
    return {
        "binary": build_classifier(root / "binary", {0: "NEGATIVE", 1: "POSITIVE"}),
        "stars": build_classifier(root / "stars", {i: f"{i + 1} star" for i in range(5)}),
        "generic3": build_classifier(root / "generic3", {0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"}),
        "odd": build_classifier(root / "odd", {0: "joy", 1: "anger"}),
    }


def test_label_mapping_conventions() -> None:
    assert map_model_labels({0: "NEGATIVE", 1: "POSITIVE"}) == {
        "NEGATIVE": "negative",
        "POSITIVE": "positive",
    }
    assert map_model_labels({0: "neg", 1: "neu", 2: "pos"}) == {
        "neg": "negative",
        "neu": "neutral",
        "pos": "positive",
    }
    assert map_model_labels({i: f"{i + 1} stars" for i in range(5)}) == {
        "1 stars": "negative",
        "2 stars": "negative",
        "3 stars": "neutral",
        "4 stars": "positive",
        "5 stars": "positive",
    }
    assert map_model_labels({0: "LABEL_0", 1: "LABEL_1"}) == {
        "LABEL_0": "negative",
        "LABEL_1": "positive",
    }
    assert map_model_labels({0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"})["LABEL_1"] == "neutral"
    assert map_model_labels({0: "joy", 1: "anger"}, {"joy": "positive", "anger": "negative"}) == {
        "joy": "positive",
        "anger": "negative",
    }
    with pytest.raises(EngineError, match="label_map"):
        map_model_labels({0: "joy", 1: "anger"})
    with pytest.raises(EngineError, match="not a sentiment"):
        map_model_labels({0: "joy"}, {"joy": "happy"})  # type: ignore[dict-item]


async def test_binary_model_probabilities_map_to_two_sentiments(models: dict[str, Path]) -> None:
    engine = TransformersEngine(str(models["binary"]))
    results = await engine.analyze_many(TEXTS)
    assert len(results) == 3
    for result in results:
        assert result.label in {"positive", "negative"}
        assert 0.5 <= result.score <= 1.0  # the larger of two probabilities
        assert result.engine == f"transformers:{models['binary']}"


async def test_star_model_sums_probabilities_per_sentiment(models: dict[str, Path]) -> None:
    engine = TransformersEngine(str(models["stars"]))
    result = await engine.analyze("Fena değil")
    # Recompute with the raw pipeline: the score is the summed probability of the stars
    # that map to the returned sentiment, and it is the largest such sum.
    raw = engine._pipeline(["Fena değil"], top_k=None)[0]
    sums = {"negative": 0.0, "neutral": 0.0, "positive": 0.0}
    for item in raw:
        stars = int(item["label"][0])
        key = "negative" if stars <= 2 else "neutral" if stars == 3 else "positive"
        sums[key] += item["score"]
    best = max(sums, key=lambda k: sums[k])
    assert result.label == best
    assert result.score == pytest.approx(sums[best], abs=1e-4)


async def test_generic_labels_and_explicit_label_map(models: dict[str, Path]) -> None:
    three = await TransformersEngine(str(models["generic3"])).analyze_many(TEXTS)
    assert {r.label for r in three} <= {"negative", "neutral", "positive"}
    mapped = TransformersEngine(
        str(models["odd"]), label_map={"joy": "positive", "anger": "negative"}
    )
    assert (await mapped.analyze("hi")).label in {"positive", "negative"}


async def test_unmappable_labels_and_missing_models_fail_clearly(
    models: dict[str, Path], tmp_path: Path
) -> None:
    with pytest.raises(EngineError) as unmapped:
        await TransformersEngine(str(models["odd"])).analyze("hi")
    assert "joy" in unmapped.value.user_message
    with pytest.raises(EngineUnavailable) as missing:
        await create_engine("transformers", model=str(tmp_path / "absent")).analyze("hi")
    assert "isn't available" in missing.value.user_message
    with pytest.raises(EngineError, match="needs a model"):
        create_engine("transformers")


async def test_inference_leaves_the_loop_free(models: dict[str, Path]) -> None:
    engine = TransformersEngine(str(models["binary"]), batch_size=1)
    await engine.analyze("warm-up")
    ticks = await ticks_while(engine.analyze_many(["some text to classify"] * 32))
    assert ticks > 5
