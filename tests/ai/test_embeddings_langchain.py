"""LangChain bridges: our embedder inside LangChain vector stores, LangChain embeddings as ours."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import numpy as np
import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding, Embeddings
from langchain_core.vectorstores import InMemoryVectorStore

from bot.ai.base import Embedder
from bot.ai.embeddings import LangChainEmbedder, as_langchain, build_embedder


@pytest.fixture(scope="module")
def embeddings() -> Embeddings:
    embedder = build_embedder()
    embedder.load()
    return as_langchain(embedder)


def test_sync_and_async_methods_agree(embeddings: Embeddings) -> None:
    texts = ["Kedi kanepede uyuyor.", "The meeting moved to Thursday."]
    sync_docs = embeddings.embed_documents(texts)
    async_docs = asyncio.run(embeddings.aembed_documents(texts))
    assert np.allclose(sync_docs, async_docs, atol=1e-6)
    assert np.allclose(
        embeddings.embed_query("merhaba"),
        asyncio.run(embeddings.aembed_query("merhaba")),
        atol=1e-6,
    )


async def test_langchain_vector_store_finds_turkish_by_english_query(
    embeddings: Embeddings,
) -> None:
    store = InMemoryVectorStore(embedding=embeddings)
    await store.aadd_texts(
        [
            "Toplantı perşembe öğleden sonra saat üçe ertelendi.",
            "Konser biletleri dakikalar içinde tükendi.",
            "Çamaşır makinesi yine bozuldu.",
        ]
    )
    hits = await store.asimilarity_search("The washing machine is broken again", k=1)
    assert hits[0].page_content.startswith("Çamaşır")


class AsyncOnly:
    """An Embedder with no sync path (as a remote service would be)."""

    name = "async-only"
    dimension = 2

    async def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        return [[float(len(t)), 1.0] for t in texts]

    async def embed_query(self, text: str) -> list[float]:
        return [float(len(text)), 1.0]


def test_async_only_embedder_works_from_sync_code_without_a_loop() -> None:
    wrapped = as_langchain(AsyncOnly())
    assert wrapped.embed_documents(["abc"]) == [[3.0, 1.0]]
    assert wrapped.embed_query("ab") == [2.0, 1.0]


async def test_sync_call_inside_a_running_loop_says_to_use_async() -> None:
    wrapped = as_langchain(AsyncOnly())
    with pytest.raises(RuntimeError, match="aembed_documents"):
        wrapped.embed_documents(["abc"])
    assert await wrapped.aembed_documents(["abc"]) == [[3.0, 1.0]]


async def test_langchain_embeddings_become_an_embedder_and_unwrap_back() -> None:
    fake = DeterministicFakeEmbedding(size=8)
    embedder = LangChainEmbedder(fake, name="fake", dimension=8)
    assert isinstance(embedder, Embedder)
    vectors = await embedder.embed_documents(["a", "b"])
    assert len(vectors) == 2 and len(vectors[0]) == 8
    assert await embedder.embed_query("a") == vectors[0]
    assert as_langchain(embedder) is fake
