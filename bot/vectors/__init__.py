"""Vector store service: document chunks with dense + BM25 vectors, scoped per server.

Embedded Qdrant Edge by default, a Qdrant server by URL; one schema, one interface.

    store = await open_vector_store(config.qdrant_url, config.data_dir / "vectors", embedder.dimension)
    await store.upsert(chunks)
    hits = await store.search(question, await embedder.embed_query(question), SearchScope(guild_id))
"""

from bot.vectors.errors import VectorStoreError, VectorStoreLocked, VectorStoreUnavailable
from bot.vectors.factory import open_vector_store
from bot.vectors.models import ChunkRecord, SearchHit, SearchMode, SearchScope, VectorStore
from bot.vectors.retriever import HybridRetriever, hit_to_document

__all__ = [
    "ChunkRecord",
    "HybridRetriever",
    "SearchHit",
    "SearchMode",
    "SearchScope",
    "VectorStore",
    "VectorStoreError",
    "VectorStoreLocked",
    "VectorStoreUnavailable",
    "hit_to_document",
    "open_vector_store",
]
