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


def test_the_task_plugins_share_one_bounded_pool() -> None:
    from bot.nlp.runtime import EnginePool

    pool = EnginePool(size=3)
    made: list[str] = []

    def make(name: str) -> object:
        made.append(name)
        return object()

    a = pool.get("translate", "opus-en-tr", lambda: make("t1"))
    assert pool.get("translate", "opus-en-tr", lambda: make("again")) is a
    pool.get("summarize", "opus-en-tr", lambda: make("s1"))  # same key, another plugin
    pool.get("sentiment", ("auto", ""), lambda: make("x1"))
    pool.get("sentiment", ("transformers", "m"), lambda: make("x2"))  # 4 > 3: oldest goes
    assert made == ["t1", "s1", "x1", "x2"]
    pool.get("translate", "opus-en-tr", lambda: make("t1 again"))
    assert made[-1] == "t1 again"  # one bound for every plugin's models together
    pool.drop("sentiment")
    pool.get("sentiment", ("transformers", "m"), lambda: make("x2 again"))
    assert made[-1] == "x2 again"
