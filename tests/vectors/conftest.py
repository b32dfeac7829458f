"""Fixtures: both VectorStore implementations, and a small deterministic real embedder."""

from __future__ import annotations

import hashlib
import math
import os
import re
import tempfile
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path

import pytest

from bot.vectors import ChunkRecord, VectorStore, open_vector_store

DIMENSION = 64
BACKENDS = ["edge", "memory"]


def hash_vector(text: str, dimension: int = DIMENSION) -> list[float]:
    """Hashing-trick bag of words: texts sharing words get a high cosine, others about 0."""
    vector = [0.0] * dimension
    for word in re.findall(r"\w+", text.lower()):
        digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
        index = int.from_bytes(digest[:4], "big") % dimension
        vector[index] += 1.0 if digest[4] & 1 else -1.0
    norm = math.sqrt(sum(x * x for x in vector))
    if not norm:
        vector[0], norm = 1.0, 1.0  # empty text: an arbitrary but valid direction
    return [x / norm for x in vector]


class HashEmbedder:
    """Satisfies bot.ai.base.Embedder without a model download."""

    name = "hash-test"
    dimension = DIMENSION

    async def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        return [hash_vector(text) for text in texts]

    async def embed_query(self, text: str) -> list[float]:
        return hash_vector(text)


def chunk(
    chunk_id: str,
    text: str,
    *,
    server: int = 1,
    channel: int | None = None,
    document: str = "doc",
    uploader: int = 100,
    position: int = 0,
    page: int | None = None,
    dense: list[float] | None = None,
) -> ChunkRecord:
    return ChunkRecord(
        id=chunk_id,
        text=text,
        dense=dense if dense is not None else hash_vector(text),
        server_id=server,
        channel_id=channel,
        document_id=document,
        document_name=f"{document}.pdf",
        uploader_id=uploader,
        position=position,
        page=page,
        source_url=f"https://discord.com/channels/{server}/{channel}/{document}",
    )


async def open_backend(backend: str, path: Path) -> VectorStore:
    return await open_vector_store(None if backend == "edge" else ":memory:", path, DIMENSION)


@pytest.fixture
def store_dir(tmp_path: Path) -> Iterator[Path]:
    """A folder on tmpfs when there is one: the engine fsyncs every write, and on a busy disk
    that alone made each test take a second. Persistence tests use tmp_path (a real disk)."""
    if not os.access("/dev/shm", os.W_OK):
        yield tmp_path
        return
    with tempfile.TemporaryDirectory(prefix="sohbet-vectors-", dir="/dev/shm") as folder:
        yield Path(folder)


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, store_dir: Path) -> AsyncIterator[VectorStore]:
    opened = await open_backend(request.param, store_dir / "vectors")
    yield opened
    await opened.close()


@pytest.fixture
def embedder() -> HashEmbedder:
    return HashEmbedder()
