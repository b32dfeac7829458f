"""Choose the implementation from configuration: embedded by default, a server by URL."""

from __future__ import annotations

from pathlib import Path

from bot.vectors.errors import VectorStoreError
from bot.vectors.models import VectorStore

__all__ = ["open_vector_store"]


async def open_vector_store(
    url: str | None,
    path: Path,
    dimension: int,
    collection: str = "sohbet_chunks",
    *,
    api_key: str | None = None,
    bm25_language: str = "english",
) -> VectorStore:
    """Open the vector store.

    `url=None`: the embedded Qdrant Edge store in `path` (locked to this process).
    `url=":memory:"`: qdrant-client's in-memory local mode (tests, throwaway runs).
    `url="http(s)://..."`: a Qdrant server; `api_key` for Qdrant Cloud or a secured server.
    """
    if url is None:
        from bot.vectors.edge import EdgeVectorStore

        return await EdgeVectorStore.open(path, dimension, collection, bm25_language)
    if url == ":memory:" or url.startswith(("http://", "https://")):
        from bot.vectors.server import QdrantServerStore

        return await QdrantServerStore.open(
            url, dimension, collection, api_key=api_key, bm25_language=bm25_language
        )
    raise VectorStoreError(
        f"{url!r} is not a Qdrant URL. Use http(s)://host:6333, ':memory:', or leave the "
        "Qdrant URL unset for the embedded store."
    )
