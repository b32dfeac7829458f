"""Vector store service: document chunks with dense + BM25 vectors, scoped per server.

Embedded Qdrant Edge by default, a Qdrant server by URL; one schema, one interface.

    store = await open_vector_store(url, data_dir / "vectors", embedder.dimension)
    await store.upsert(chunks)
    vector = await embedder.embed_query(question)
    hits = await store.search(question, vector, SearchScope(server_id=guild_id))
"""

from typing import TYPE_CHECKING, Any

from bot.vectors.errors import (
    VectorStoreDamaged,
    VectorStoreError,
    VectorStoreLocked,
    VectorStoreUnavailable,
)
from bot.vectors.factory import open_vector_store
from bot.vectors.models import ChunkRecord, SearchHit, SearchMode, SearchScope, VectorStore

if TYPE_CHECKING:
    from bot.vectors.retriever import HybridRetriever, hit_to_document

__all__ = [
    "ChunkRecord",
    "HybridRetriever",
    "SearchHit",
    "SearchMode",
    "SearchScope",
    "VectorStore",
    "VectorStoreDamaged",
    "VectorStoreError",
    "VectorStoreLocked",
    "VectorStoreUnavailable",
    "hit_to_document",
    "open_vector_store",
]


def __getattr__(name: str) -> Any:
    # The retriever pulls in LangChain (about 1.5 s): import it only when it is used.
    if name in ("HybridRetriever", "hit_to_document"):
        from bot.vectors import retriever

        return getattr(retriever, name)
    raise AttributeError(f"module 'bot.vectors' has no attribute {name!r}")
