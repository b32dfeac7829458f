"""Engines shared by the sentiment tests: real models, loaded once per session."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

import pytest

from plugins.sentiment.engines import MultilingualEngine, VaderEngine


@pytest.fixture(scope="session")
def vader() -> VaderEngine:
    return VaderEngine()


@pytest.fixture(scope="session")
def multilingual() -> MultilingualEngine:
    engine = MultilingualEngine()
    engine.classifier()
    asyncio.run(engine.analyze("warm-up"))  # loads the packaged embedder once
    return engine


async def ticks_while(work: Awaitable[object]) -> int:
    """How often a heartbeat task ran on the loop while ``work`` was awaited."""
    ticks = 0
    done = asyncio.Event()

    async def heartbeat() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            await asyncio.sleep(0)

    beat = asyncio.create_task(heartbeat())
    try:
        await work
    finally:
        done.set()
        await beat
    return ticks
