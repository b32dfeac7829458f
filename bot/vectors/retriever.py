"""A LangChain retriever over the vector store, scoped to one server (and channel)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from langchain_core.callbacks import (
    AsyncCallbackManagerForRetrieverRun,
    CallbackManagerForRetrieverRun,
)
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field

from bot.ai.base import Embedder
from bot.vectors.errors import VectorStoreError
from bot.vectors.fusion import is_relevant
from bot.vectors.models import SearchHit, SearchMode, SearchScope, VectorStore

__all__ = ["HybridRetriever", "hit_to_document"]

MAX_CANDIDATES = 100  # the most hits asked for when unservable ones crowd the top


def hit_to_document(hit: SearchHit) -> Document:
    return Document(
        page_content=hit.text,
        id=hit.id,
        metadata={
            "chunk_id": hit.id,
            "document_id": hit.document_id,
            "document_name": hit.document_name,
            "page": hit.page,
            "position": hit.position,
            "source_url": hit.source_url,
            "server_id": hit.server_id,
            "channel_id": hit.channel_id,
            "uploader_id": hit.uploader_id,
            "score": hit.score,
            "dense_score": hit.dense_score,
            "sparse_score": hit.sparse_score,
            "keyword_coverage": hit.keyword_coverage,
        },
    )


class HybridRetriever(BaseRetriever):
    """Embeds the query, searches the store within `scope`, returns the best `k` chunks.

    Relevance gate: with `min_dense_score` set, the top hits are kept only when at least one
    of them is relevant by either leg (bot.vectors.fusion.is_relevant: dense cosine at least
    `min_dense_score`, or keyword coverage at least `min_keyword_coverage`); otherwise
    nothing is returned, so a question no document covers gets no context rather than
    noise. A gate, not a per-hit filter: the right passage at rank 3 is not dropped because
    its cosine is low when rank 1 shows the documents do cover the question
    (bench/retrieval_quality.py measures both).
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    store: Any = Field(description="a bot.vectors.VectorStore")
    embedder: Any = Field(description="a bot.ai.base.Embedder")
    scope: SearchScope
    k: int = Field(default=5, ge=1, le=100)
    min_dense_score: float | None = None
    min_keyword_coverage: float = 1.01  # > 1: keyword evidence off
    mode: SearchMode = "hybrid"
    # Which of the hits' documents may be served (listed and ready in SQL): chunks of any
    # other (an orphan after the database was lost, an upload still being written) are
    # dropped before anything is returned, so no answer cites them, even before the
    # reconciler has run. None: every chunk in the store (evaluation stores have no rows).
    ready_documents: Callable[[set[str]], Awaitable[set[str]]] | None = None

    def model_post_init(self, context: Any, /) -> None:
        if not isinstance(self.store, VectorStore):
            raise VectorStoreError("HybridRetriever needs a VectorStore as `store`.")
        if not isinstance(self.embedder, Embedder):
            raise VectorStoreError("HybridRetriever needs an Embedder as `embedder`.")

    async def _aget_relevant_documents(
        self, query: str, *, run_manager: AsyncCallbackManagerForRetrieverRun
    ) -> list[Document]:
        vector = await self.embedder.embed_query(query) if self.mode != "sparse" else None
        if vector is None and self.min_dense_score is not None:
            vector = await self.embedder.embed_query(query)  # needed for the threshold
        hits = await self._servable_hits(query, vector)
        if self.min_dense_score is not None and not any(
            is_relevant(
                hit.dense_score,
                hit.keyword_coverage,
                self.min_dense_score,
                self.min_keyword_coverage,
            )
            for hit in hits
        ):
            return []
        return [hit_to_document(hit) for hit in hits]

    async def _servable_hits(self, query: str, vector: list[float] | None) -> list[SearchHit]:
        """The best `k` hits whose documents may be served; asks the store for more while
        unservable ones took places (rare: between a lost database and the reconciler)."""
        limit = self.k
        while True:
            hits: list[SearchHit] = await self.store.search(
                query, vector, self.scope, limit=limit, mode=self.mode
            )
            if self.ready_documents is None:
                return hits
            ready = await self.ready_documents({h.document_id for h in hits})
            servable = [h for h in hits if h.document_id in ready]
            if len(servable) >= self.k or len(hits) < limit or limit >= MAX_CANDIDATES:
                return servable[: self.k]
            limit = min(limit * 4, MAX_CANDIDATES)

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(self.ainvoke(query))
        raise VectorStoreError(
            "HybridRetriever.invoke was called inside a running event loop; use `await ainvoke`."
        )
