"""Multilingual engine (shipped classifier over the packaged embedder) and the auto router."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from bot.ai.embeddings import EmbeddingConfig, build_embedder
from bot.nlp.errors import EmptyText, EngineUnavailable
from bot.nlp.langdetect import Detected
from plugins.sentiment.engines import (
    AutoEngine,
    MultilingualEngine,
    SentimentResult,
    VaderEngine,
    create_engine,
)
from plugins.sentiment.engines.multilingual import DEFAULT_WEIGHTS
from tests.sentiment.conftest import ticks_while

# Clear cases only: the classifier's measured accuracy on harder Turkish text is in
# bench/results/sentiment.md (it is far from perfect).
TURKISH = [
    ("Bu harika, çok güzel, teşekkürler!", "positive"),
    ("Muhteşem bir film.", "positive"),
    ("Rezalet, nefret ettim.", "negative"),
    ("Hiç beğenmedim, berbattı.", "negative"),
    ("Toplantı yarın saat onda başlayacak.", "neutral"),
]
ENGLISH = [
    ("What a wonderful movie, I loved every minute.", "positive"),
    ("Terrible food and a rude waiter, never again.", "negative"),
]


async def test_clear_turkish_and_english_cases(multilingual: MultilingualEngine) -> None:
    cases = TURKISH + ENGLISH
    results = await multilingual.analyze_many([text for text, _ in cases])
    assert [r.label for r in results] == [label for _, label in cases]
    assert all(r.engine == "multilingual" and 1 / 3 <= r.score <= 1.0 for r in results)


async def test_engine_stays_off_the_loop(multilingual: MultilingualEngine) -> None:
    texts = [f"Mesaj {i}: kargo bugün geldi ve çok memnunum." for i in range(24)]
    engine = MultilingualEngine(build_embedder(EmbeddingConfig(batch_size=4)))
    await engine.analyze("warm-up")
    assert await ticks_while(engine.analyze_many(texts)) > 10


async def test_first_use_checks_the_embedder_off_the_loop() -> None:
    import asyncio

    real = build_embedder()
    on_loop: list[bool] = []

    class LoadsWhenAsked:  # like sentence-transformers: asking its size loads the model
        name = real.name

        @property
        def dimension(self) -> int:
            try:
                asyncio.get_running_loop()
                on_loop.append(True)
            except RuntimeError:  # a worker thread has no running loop
                on_loop.append(False)
            return real.dimension

        async def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
            return await real.embed_documents(texts)

        async def embed_query(self, text: str) -> list[float]:
            return await real.embed_query(text)

    engine = MultilingualEngine(LoadsWhenAsked())
    assert (await engine.analyze("Muhteşem bir film.")).label == "positive"
    assert on_loop == [False]


async def test_classifier_must_match_the_embedder() -> None:
    class Other:
        name = "some-other-model"
        dimension = 512

        async def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
            return [[0.0] * 512 for _ in texts]

        async def embed_query(self, text: str) -> list[float]:
            return [0.0] * 512

    with pytest.raises(EngineUnavailable) as err:
        await MultilingualEngine(Other()).analyze("merhaba")
    assert "retrain" in err.value.user_message


async def test_missing_or_damaged_weights(tmp_path: Path) -> None:
    with pytest.raises(EngineUnavailable, match="missing or damaged"):
        await MultilingualEngine(weights=tmp_path / "absent.json").analyze("merhaba")
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"format": "sohbet-softmax-v1", "classes": []}))
    with pytest.raises(EngineUnavailable):
        await MultilingualEngine(weights=broken).analyze("merhaba")
    assert DEFAULT_WEIGHTS.stat().st_size < 200_000  # small enough to ship in the wheel


async def test_empty_text_is_refused_before_any_work(multilingual: MultilingualEngine) -> None:
    with pytest.raises(EmptyText):
        await multilingual.analyze_many(["fine", "  "])


# -- auto ---------------------------------------------------------------------------------------


async def test_auto_routes_english_to_vader_and_turkish_to_multilingual(
    vader: VaderEngine, multilingual: MultilingualEngine
) -> None:
    auto = AutoEngine(vader, multilingual)
    results = await auto.analyze_many(
        [
            "I really love this, thank you so much!",
            "Rezalet, nefret ettim.",
            "This is awful, I want my money back.",
            "Harika bir gün geçirdim, çok mutluyum!",
            "😍😍",
        ]
    )
    assert [(r.engine, r.label) for r in results] == [
        ("vader", "positive"),
        ("multilingual", "negative"),
        ("vader", "negative"),
        ("multilingual", "positive"),
        ("vader", "positive"),  # no letters: VADER reads emoji
    ]


async def test_auto_sends_unsure_detections_to_the_multilingual_engine() -> None:
    seen: dict[str, list[str]] = {"en": [], "other": []}

    class Recorder:
        def __init__(self, key: str) -> None:
            self.name = key

        async def analyze(self, text: str) -> SentimentResult:
            return (await self.analyze_many([text]))[0]

        async def analyze_many(self, texts: Sequence[str]) -> list[SentimentResult]:
            seen[self.name].extend(texts)
            return [SentimentResult("neutral", 1.0, self.name) for _ in texts]

    guesses = {"ok": Detected("en", 0.3), "hello there": Detected("en", 0.9)}
    auto = AutoEngine(Recorder("en"), Recorder("other"), detect=lambda t: guesses[t])
    results = await auto.analyze_many(["ok", "hello there"])
    assert [r.engine for r in results] == ["other", "en"]
    assert seen == {"en": ["hello there"], "other": ["ok"]}


def test_factory_builds_each_engine_by_name() -> None:
    assert isinstance(create_engine("auto"), AutoEngine)
    assert isinstance(create_engine("vader"), VaderEngine)
    assert isinstance(create_engine("multilingual"), MultilingualEngine)
    with pytest.raises(Exception, match="no sentiment engine called `magic`"):
        create_engine("magic")  # type: ignore[arg-type]
