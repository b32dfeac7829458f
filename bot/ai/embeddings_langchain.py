"""Bridges between our :class:`~bot.ai.base.Embedder` and LangChain's ``Embeddings``.

- :func:`as_langchain` hands an embedder to LangChain retrievers and vector stores.
- :class:`LangChainEmbedder` wraps any LangChain ``Embeddings`` (OpenAI, Ollama, ...) as an
  ``Embedder`` for our own services.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Sequence
from typing import Any, TypeVar

from langchain_core.embeddings import Embeddings

from bot.ai.base import Embedder

__all__ = ["EmbedderEmbeddings", "LangChainEmbedder", "as_langchain"]

T = TypeVar("T")


class EmbedderEmbeddings(Embeddings):
    """LangChain ``Embeddings`` backed by one of our embedders.

    The async methods run the model in worker threads. The sync methods compute directly when
    the embedder has a sync ``encode`` (our local models); for a purely async embedder they may
    only be called from a thread without a running event loop.
    """

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        encode = getattr(self.embedder, "encode", None)
        if callable(encode):
            rows: list[list[float]] = encode(texts).tolist()
            return rows
        return _run_sync(self.embedder.embed_documents(texts))

    def embed_query(self, text: str) -> list[float]:
        encode = getattr(self.embedder, "encode", None)
        if callable(encode):
            row: list[float] = encode([text], query=True)[0].tolist()
            return row
        return _run_sync(self.embedder.embed_query(text))

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        return await self.embedder.embed_documents(texts)

    async def aembed_query(self, text: str) -> list[float]:
        return await self.embedder.embed_query(text)


def as_langchain(embedder: Embedder) -> Embeddings:
    """Wrap an embedder for LangChain (a ``LangChainEmbedder`` is unwrapped, not re-wrapped)."""
    if isinstance(embedder, LangChainEmbedder):
        return embedder.embeddings
    return EmbedderEmbeddings(embedder)


class LangChainEmbedder:
    """Our ``Embedder`` backed by any LangChain ``Embeddings`` (e.g. ``OpenAIEmbeddings``).

    Uses LangChain's async methods, which providers implement natively or run in an executor.
    """

    def __init__(self, embeddings: Embeddings, *, name: str, dimension: int) -> None:
        self.embeddings = embeddings
        self.name = name
        self.dimension = dimension

    async def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        return await self.embeddings.aembed_documents(list(texts))

    async def embed_query(self, text: str) -> list[float]:
        return await self.embeddings.aembed_query(text)


def _run_sync(coro: Coroutine[Any, Any, T]) -> T:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    coro.close()
    raise RuntimeError(
        "Sync embedding was called inside a running event loop; use aembed_documents/aembed_query."
    )
