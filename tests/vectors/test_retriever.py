"""The LangChain retriever: embeds with an Embedder, searches in scope, returns Documents."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from langchain_core.documents import Document

from bot.ai.base import Embedder
from bot.vectors import (
    HybridRetriever,
    SearchScope,
    VectorStore,
    VectorStoreError,
    open_vector_store,
)

from .conftest import DIMENSION, HashEmbedder, chunk

DOCS = [
    ("a", "Volunteers meet every Saturday morning at the community garden.", 1, None),
    ("b", "The garden hose is stored in the green shed behind the greenhouse.", 1, 10),
    ("c", "Membership fees are due by the end of March.", 1, None),
    ("d", "Saturday garden volunteers in another server.", 2, None),
]


async def _fill(store: VectorStore) -> None:
    await store.upsert(
        [
            chunk(cid, text, server=server, channel=channel, position=i, page=i + 1)
            for i, (cid, text, server, channel) in enumerate(DOCS)
        ]
    )


def test_the_test_embedder_is_an_embedder() -> None:
    assert isinstance(HashEmbedder(), Embedder)


async def test_returns_scoped_documents_with_citation_metadata(
    store: VectorStore, embedder: HashEmbedder
) -> None:
    await _fill(store)
    retriever = HybridRetriever(store=store, embedder=embedder, scope=SearchScope(1), k=2)

    documents = await retriever.ainvoke("when do garden volunteers meet on saturday")

    assert len(documents) == 2
    assert all(isinstance(doc, Document) for doc in documents)
    first = documents[0]
    assert first.page_content == DOCS[0][1]
    assert first.metadata["document_name"] == "doc.pdf"
    assert first.metadata["page"] == 1
    assert first.metadata["position"] == 0
    assert first.metadata["source_url"].startswith("https://discord.com/channels/1/")
    assert first.metadata["score"] > 0
    assert 0.3 < first.metadata["dense_score"] <= 1.0 + 1e-6
    assert all(doc.metadata["server_id"] == 1 for doc in documents)


async def test_relevance_gate_refuses_unrelated_questions_and_keeps_the_top_hits(
    store: VectorStore, embedder: HashEmbedder
) -> None:
    await _fill(store)
    strict = HybridRetriever(
        store=store, embedder=embedder, scope=SearchScope(1), k=3, min_dense_score=0.5
    )
    assert await strict.ainvoke("quantum chromodynamics lecture notes") == []
    kept = await strict.ainvoke("Membership fees are due by the end of March")
    # A gate, not a filter: the relevant chunk leads, the rest of the top 3 come along.
    assert kept[0].metadata["chunk_id"] == "c"
    assert len(kept) == 3


async def test_channel_scope_and_modes_pass_through(
    store: VectorStore, embedder: HashEmbedder
) -> None:
    await _fill(store)
    for mode in ("hybrid", "dense", "sparse"):
        retriever = HybridRetriever(
            store=store, embedder=embedder, scope=SearchScope(1, 20), k=5, mode=mode
        )
        ids = {doc.metadata["chunk_id"] for doc in await retriever.ainvoke("garden hose shed")}
        assert "b" not in ids  # channel 10 only
        assert "d" not in ids  # other server


def test_sync_invoke_works_outside_an_event_loop(store_dir: Path) -> None:
    store = asyncio.run(open_vector_store(None, store_dir, DIMENSION))
    try:
        asyncio.run(_fill(store))
        retriever = HybridRetriever(store=store, embedder=HashEmbedder(), scope=SearchScope(1))
        documents = retriever.invoke("membership fees march")
        assert documents[0].metadata["chunk_id"] == "c"
    finally:
        asyncio.run(store.close())


async def test_sync_invoke_inside_a_loop_points_to_ainvoke(
    store: VectorStore, embedder: HashEmbedder
) -> None:
    retriever = HybridRetriever(store=store, embedder=embedder, scope=SearchScope(1))
    with pytest.raises(VectorStoreError, match="ainvoke"):
        retriever.invoke("anything")


def test_wrong_collaborators_are_refused(embedder: HashEmbedder) -> None:
    with pytest.raises(VectorStoreError, match="needs a VectorStore"):
        HybridRetriever(store=object(), embedder=embedder, scope=SearchScope(1))
