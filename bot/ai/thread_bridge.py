"""Handing items from a generation thread to the event loop that reads them.

Local models generate in a worker thread; the reader is a coroutine. The thread puts each item
with `put` (thread-safe, never blocks); the reader awaits `get`. When the reader goes away it
sets `cancel` (or the loop closes), which the thread checks between tokens to stop generating.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Generic, TypeVar

__all__ = ["LoopBridge"]

T = TypeVar("T")


class LoopBridge(Generic[T]):
    """Create on the event loop (it binds to the running loop)."""

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._items: asyncio.Queue[T] = asyncio.Queue()
        self.cancel = threading.Event()

    def put(self, item: T) -> None:
        """From the worker thread."""
        try:
            self._loop.call_soon_threadsafe(self._items.put_nowait, item)
        except RuntimeError:  # the loop is gone: nobody is listening any more
            self.cancel.set()

    async def get(self) -> T:
        return await self._items.get()
