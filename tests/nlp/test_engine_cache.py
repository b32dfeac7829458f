"""`EngineCache`: loaded engines are reused per key; the least recently used goes first."""

from __future__ import annotations

from bot.nlp.runtime import EngineCache


def test_engines_are_reused_and_the_least_recently_used_is_dropped() -> None:
    created: list[str] = []

    def make(key: str) -> object:
        created.append(key)
        return object()

    cache: EngineCache[str, object] = EngineCache(2)
    a = cache.get("a", lambda: make("a"))
    cache.get("b", lambda: make("b"))
    assert cache.get("a", lambda: make("a")) is a  # reused, and now the most recent
    cache.get("c", lambda: make("c"))  # over the size: "b" (least recently used) goes
    assert cache.get("a", lambda: make("a")) is a
    cache.get("b", lambda: make("b"))
    assert created == ["a", "b", "c", "b"]
    cache.clear()
    assert cache.get("a", lambda: make("a")) is not a
