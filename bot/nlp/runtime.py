"""Shared plumbing for engines: worker threads, timeouts, input limits, error mapping."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, Generic, ParamSpec, TypeVar, cast

from bot.nlp.errors import EmptyText, EngineFailed, EngineTimeout, InputTooLong, NlpError

__all__ = [
    "TASK_ENGINES",
    "EngineCache",
    "EnginePool",
    "check_input",
    "in_thread",
    "with_timeout",
]

log = logging.getLogger(__name__)
P = ParamSpec("P")
T = TypeVar("T")
K = TypeVar("K", bound=Hashable)


def check_input(text: str, *, engine: str, limit: int, action: str) -> str:
    """Reject empty or over-long input with a friendly error; return the text unchanged."""
    if not text or not text.strip():
        raise EmptyText(action)
    if len(text) > limit:
        raise InputTooLong(engine, len(text), limit)
    return text


async def with_timeout(awaitable: Awaitable[T], *, engine: str, seconds: float | None) -> T:
    """Await with a deadline; turn a timeout into `EngineTimeout` and crashes into `EngineFailed`.

    Project errors (`NlpError`) pass through unchanged so their messages reach the user.
    """
    try:
        return await asyncio.wait_for(awaitable, seconds)
    except TimeoutError:
        raise EngineTimeout(engine, seconds or 0) from None
    except NlpError:
        raise
    except Exception as exc:
        log.exception("engine %s failed", engine)
        raise EngineFailed(engine) from exc


async def in_thread(func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run blocking work (inference, tokenization) in a worker thread.

    A timed-out call stops waiting at once, but the worker thread finishes its current step
    in the background: Python threads cannot be killed.
    """
    return await asyncio.to_thread(func, *args, **kwargs)


class EngineCache(Generic[K, T]):
    """The few engines (loaded models) in use, by key; the least recently used is dropped
    once there are more than `size`. Creating one must be cheap: models load lazily."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[K, T] = OrderedDict()

    def get(self, key: K, create: Callable[[], T]) -> T:
        item = self._items.pop(key, None)
        if item is None:
            item = create()
        self._items[key] = item
        while len(self._items) > self.size:
            self._items.popitem(last=False)
        return item

    def clear(self) -> None:
        self._items.clear()


class EnginePool:
    """The task plugins' loaded models (translators, summarizers, sentiment classifiers) in one
    process-wide LRU: how many models stay in memory is bounded for the whole bot, not once per
    plugin. Keys are (owner, key), so plugins never get each other's engines."""

    def __init__(self, size: int) -> None:
        self._cache: EngineCache[tuple[str, Hashable], Any] = EngineCache(size)

    def get(self, owner: str, key: Hashable, create: Callable[[], T]) -> T:
        return cast(T, self._cache.get((owner, key), create))

    def drop(self, owner: str) -> None:
        """Forget one plugin's engines (its shutdown)."""
        items = self._cache._items
        for key in [k for k in items if k[0] == owner]:
            del items[key]

    def clear(self) -> None:
        self._cache.clear()


# The process's pool (translation and summarization seq2seq models, sentiment classifiers).
TASK_ENGINES = EnginePool(size=6)
