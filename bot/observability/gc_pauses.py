"""Garbage-collector pauses: measured, and made rare by freezing what startup allocated.

A full (generation 2) collection walks every tracked object. After torch, transformers,
LangChain and SQLAlchemy are imported that is millions of objects, and one collection holds the
GIL for 100-800 ms: the event loop stops for that long, whichever thread triggered it.
`freeze_startup_objects()` (call it once the app is built and models are loaded) moves every
existing object to the permanent generation, so later collections only walk what was allocated
since; `GCPauseRecorder` exports each pause as a Prometheus histogram sample.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Any

__all__ = ["GCPauseRecorder", "freeze_startup_objects"]


def freeze_startup_objects() -> int:
    """Collect once, then exclude every surviving object from future collections.

    Returns the number of frozen objects. Safe to call again (e.g. after a model loads later).
    """
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


class GCPauseRecorder:
    """Calls `on_pause(generation, seconds)` after every garbage collection."""

    def __init__(self, on_pause: Callable[[int, float], None]) -> None:
        self.on_pause = on_pause
        self._started: float | None = None
        self.installed = False

    def _callback(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        elif self._started is not None:
            self.on_pause(int(info.get("generation", 0)), time.perf_counter() - self._started)
            self._started = None

    def install(self) -> None:
        if not self.installed:
            gc.callbacks.append(self._callback)
            self.installed = True

    def remove(self) -> None:
        if self.installed:
            gc.callbacks.remove(self._callback)
            self.installed = False
