"""Re-embedding into a new collection: complete documents only, resumable, never mixing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from bot.vectors import SearchScope
from bot.vectors.edge import EdgeVectorStore
from bot.vectors.reindex import reindex

from .conftest import DIMENSION, chunk, hash_vector

NEW_DIMENSION = 32


class NewEmbedder:
    """Another embedder (another dimension); can be told to fail after some calls."""

    name = "hash-new"
    dimension = NEW_DIMENSION

    def __init__(self, fail_after: int | None = None) -> None:
        self.calls = 0
        self.fail_after = fail_after
        self.texts = 0

    async def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        self.calls += 1
        if self.fail_after is not None and self.calls > self.fail_after:
            raise ConnectionError("embedding server went away")
        self.texts += len(texts)
        return [hash_vector(t, NEW_DIMENSION) for t in texts]

    async def embed_query(self, text: str) -> list[float]:
        return hash_vector(text, NEW_DIMENSION)


async def filled(path: Path) -> EdgeVectorStore:
    store = await EdgeVectorStore.open(path, DIMENSION)
    await store.upsert(
        [chunk(f"a:{i}", f"alpha manual part {i}", document="a", position=i) for i in range(70)]
        + [chunk("b:0", "bravo router admin port 8080", document="b", server=2)]
        + [chunk("c:0", "charlie notes", document="c")]
    )
    for server, document in ((1, "a"), (2, "b"), (1, "c")):
        await store.publish_document(server, document)
    # An upload still running (pending) is not copied.
    await store.upsert([replace(chunk("p:0", "upload in progress", document="p"), pending=True)])
    return store


async def test_reindex_copies_complete_documents_with_the_new_vectors(tmp_path: Path) -> None:
    source = await filled(tmp_path / "vectors")
    target = await source.open_collection("new_32", NEW_DIMENSION)
    try:
        done: list[tuple[int, int]] = []
        report = await reindex(source, target, NewEmbedder(), lambda d, t: done.append((d, t)))
        assert (report.copied, report.chunks, report.documents) == (3, 72, 3)
        assert done[-1] == (72, 72)
        assert set(await target.document_ids()) == {"a", "b", "c"}  # not the pending upload
        hits = await target.search(
            "router admin port", hash_vector("router admin port", NEW_DIMENSION), SearchScope(2)
        )
        assert hits[0].document_id == "b" and hits[0].text == "bravo router admin port 8080"
        assert not await target.search("bravo", None, SearchScope(1))  # servers stay apart
        assert await source.count() == 73  # the old collection is untouched and still serves
        again = await reindex(source, target, NewEmbedder())
        assert (again.copied, again.chunks) == (0, 0)  # nothing left to do
    finally:
        await target.close()
        await source.close()


async def test_a_crash_half_way_resumes_and_deletions_follow(tmp_path: Path) -> None:
    source = await filled(tmp_path / "vectors")
    target = await source.open_collection("new_32", NEW_DIMENSION)
    try:
        # The first document ("a", 70 chunks) needs two batches: fail on the second call.
        with pytest.raises(ConnectionError):
            await reindex(source, target, NewEmbedder(fail_after=1))
        assert "a" in await target.document_ids(pending_only=True)  # half a copy, not served
        assert not await target.search("alpha", None, SearchScope(1))
        await source.delete_document(1, "c")  # deleted meanwhile
        resumed = NewEmbedder()
        report = await reindex(source, target, resumed)
        assert set(await target.document_ids()) == {"a", "b"}
        assert not await target.document_ids(pending_only=True)
        assert await target.count() == 71
        assert report.documents == 2
        await source.delete_document(2, "b")
        assert (await reindex(source, target, NewEmbedder())).removed == 1
        assert set(await target.document_ids()) == {"a"}
    finally:
        await target.close()
        await source.close()


async def test_the_new_collection_must_match_the_embedder(tmp_path: Path) -> None:
    source = await filled(tmp_path / "vectors")
    target = await source.open_collection("wrong", DIMENSION)
    try:
        with pytest.raises(ValueError, match="dimensions"):
            await reindex(source, target, NewEmbedder())
    finally:
        await target.close()
        await source.close()
