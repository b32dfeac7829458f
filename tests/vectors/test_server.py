"""The qdrant-client implementation: configuration and unreachable servers."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
from qdrant_client import AsyncQdrantClient, models

from bot.vectors import VectorStoreError, VectorStoreUnavailable, open_vector_store
from bot.vectors.schema import SparseEncoder
from bot.vectors.server import QdrantServerStore

from .conftest import DIMENSION


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_an_unreachable_server_is_reported_as_unavailable(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{_free_port()}"  # nothing listens there
    start = time.perf_counter()
    with pytest.raises(VectorStoreUnavailable, match="Cannot reach the Qdrant server at"):
        await open_vector_store(url, tmp_path, DIMENSION)
    assert time.perf_counter() - start < 10


async def test_credentials_in_the_url_never_reach_the_message(tmp_path: Path) -> None:
    url = f"http://sohbet:hunter2@127.0.0.1:{_free_port()}"  # errors are shown to members
    with pytest.raises(VectorStoreUnavailable) as caught:
        await open_vector_store(url, tmp_path, DIMENSION)
    assert "hunter2" not in str(caught.value.user_message)
    assert "sohbet:***@127.0.0.1" in str(caught.value.user_message)


async def test_a_url_that_is_not_qdrant_is_refused(tmp_path: Path) -> None:
    with pytest.raises(VectorStoreError, match="not a Qdrant URL"):
        await open_vector_store("ftp://example.invalid", tmp_path, DIMENSION)


async def _store_on(client: AsyncQdrantClient) -> QdrantServerStore:
    store = QdrantServerStore(client, ":memory:", "sohbet_chunks", DIMENSION, SparseEncoder())
    await store._ensure_collection()
    return store


async def test_an_existing_collection_with_another_dimension_is_refused() -> None:
    client = AsyncQdrantClient(location=":memory:")
    await _store_on(client)  # creates the collection at DIMENSION
    store = QdrantServerStore(client, ":memory:", "sohbet_chunks", 32, SparseEncoder())
    with pytest.raises(VectorStoreError, match=f"holds {DIMENSION}-dimensional.*makes 32-"):
        await store._ensure_collection()
    await client.close()


async def test_a_foreign_collection_of_the_same_name_is_refused() -> None:
    client = AsyncQdrantClient(location=":memory:")
    await client.create_collection(
        "sohbet_chunks",
        vectors_config=models.VectorParams(size=DIMENSION, distance=models.Distance.COSINE),
    )
    with pytest.raises(VectorStoreError, match="not made by Sohbet"):
        await _store_on(client)
    await client.close()
