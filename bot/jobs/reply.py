"""redis-py types the asyncio client's list and hash commands as returning `Awaitable[T] | T`
(one signature for both clients); `await reply(redis.hlen(key))` gives mypy the T."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable
from typing import TypeVar, cast

__all__ = ["reply"]

T = TypeVar("T")


async def reply(value: Awaitable[T] | T) -> T:
    if inspect.isawaitable(value):
        return await value
    return cast(T, value)
