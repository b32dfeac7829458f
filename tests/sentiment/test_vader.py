"""VADER engine: clear English cases, score semantics, guard rails."""

from __future__ import annotations

import pytest

from bot.nlp.errors import EmptyText, EngineError, EngineTimeout, InputTooLong
from plugins.sentiment.engines import Limits, SentimentEngine, SentimentResult, VaderEngine

CLEAR = [
    ("I absolutely love this, it's wonderful!", "positive"),
    ("Thanks a lot, you were super helpful :)", "positive"),
    ("This is the worst service I have ever had. Terrible.", "negative"),
    ("I hate waiting, this app is broken and useless", "negative"),
    ("The meeting is at 3 pm in room 204.", "neutral"),
    ("😍😍", "positive"),
]


async def test_clear_english_cases(vader: VaderEngine) -> None:
    results = await vader.analyze_many([text for text, _ in CLEAR])
    assert [r.label for r in results] == [label for _, label in CLEAR]
    assert all(r.engine == "vader" and 0.0 <= r.score <= 1.0 for r in results)
    assert isinstance(vader, SentimentEngine)


def test_score_is_confidence_derived_from_compound(vader: VaderEngine) -> None:
    strong = vader.result_from_scores({"compound": 0.9, "neu": 0.2})
    weak = vader.result_from_scores({"compound": 0.06, "neu": 0.9})
    negative = vader.result_from_scores({"compound": -0.8, "neu": 0.1})
    neutral = vader.result_from_scores({"compound": 0.01, "neu": 0.85})
    assert strong == SentimentResult("positive", 0.95, "vader")
    assert weak.label == "positive" and weak.score == pytest.approx(0.53)
    assert negative == SentimentResult("negative", 0.9, "vader")
    assert neutral == SentimentResult("neutral", 0.85, "vader")


async def test_single_analyze_matches_batch(vader: VaderEngine) -> None:
    one = await vader.analyze("  What a great day!  ")
    assert one == (await vader.analyze_many(["What a great day!"]))[0]


async def test_guard_rails_give_friendly_errors() -> None:
    engine = VaderEngine(limits=Limits(max_chars=20, max_batch=2))
    with pytest.raises(EmptyText) as empty:
        await engine.analyze("   ")
    assert "no text" in empty.value.user_message
    with pytest.raises(InputTooLong) as long:
        await engine.analyze("x" * 21)
    assert "21 characters" in long.value.user_message and "20" in long.value.user_message
    with pytest.raises(EngineError, match="at most 2"):
        await engine.analyze_many(["a", "b", "c"])
    with pytest.raises(EngineError, match="only analyse text"):
        await engine.analyze_many([None])  # type: ignore[list-item]
    assert await engine.analyze_many([]) == []


async def test_timeout_becomes_engine_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    def slow_score(texts: list[str]) -> list[SentimentResult]:
        time.sleep(0.5)
        return []

    engine = VaderEngine(limits=Limits(timeout=0.05))
    monkeypatch.setattr(engine, "_score", slow_score)
    with pytest.raises(EngineTimeout) as err:
        await engine.analyze("fine")
    assert "0.05 s" in err.value.user_message
