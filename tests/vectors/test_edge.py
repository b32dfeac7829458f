"""The embedded store: one owner process, persistence, schema checks."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bot.vectors import SearchScope, VectorStoreError, VectorStoreLocked, open_vector_store
from bot.vectors.edge import EdgeVectorStore
from bot.vectors.schema import KEYWORD_FIELDS

from .conftest import DIMENSION, chunk

REPO = Path(__file__).resolve().parents[2]


def _run_python(code: str) -> subprocess.CompletedProcess[str]:
    """Run code in a fresh interpreter (another process, as a second bot would be)."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_a_second_process_gets_a_friendly_locked_error(store_dir: Path) -> None:
    store = await open_vector_store(None, store_dir, DIMENSION)
    try:
        result = _run_python(
            f"""
            import asyncio, json
            from pathlib import Path
            from bot.vectors import VectorStoreLocked, open_vector_store

            async def main():
                try:
                    await open_vector_store(None, Path({str(store_dir)!r}), {DIMENSION})
                except VectorStoreLocked as error:
                    print(json.dumps({{"pid": error.owner_pid, "message": str(error)}}))
                else:
                    print(json.dumps({{"opened": True}}))

            asyncio.run(main())
            """
        )
        assert result.returncode == 0, result.stderr
        outcome = json.loads(result.stdout)
        assert outcome["pid"] == __import__("os").getpid()
        assert "already in use" in outcome["message"]
        assert "SOHBET_QDRANT_URL" in outcome["message"]
        assert str(store_dir) not in outcome["message"]  # members never see the operator's paths
        await store.ping()  # the owner is unaffected
    finally:
        await store.close()


async def test_a_second_open_in_the_same_process_is_refused_too(store_dir: Path) -> None:
    store = await open_vector_store(None, store_dir, DIMENSION)
    try:
        with pytest.raises(VectorStoreLocked):
            await open_vector_store(None, store_dir, DIMENSION)
    finally:
        await store.close()
    reopened = await open_vector_store(None, store_dir, DIMENSION)  # close freed the lock
    await reopened.close()


async def test_cancelled_while_opening_frees_the_store(
    store_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio
    import threading

    import bot.vectors.edge as edge

    opening, release = threading.Event(), threading.Event()
    real_open = edge._open_shard

    def slow_open(*args: object) -> object:
        opening.set()
        release.wait(10)  # e.g. a large shard loading during start-up
        return real_open(*args)

    monkeypatch.setattr(edge, "_open_shard", slow_open)
    task = asyncio.create_task(open_vector_store(None, store_dir, DIMENSION))
    assert await asyncio.to_thread(opening.wait, 10)
    task.cancel()  # a shutdown while starting
    with pytest.raises(asyncio.CancelledError):
        await task
    release.set()
    monkeypatch.setattr(edge, "_open_shard", real_open)
    for _ in range(100):  # the abandoned shard is closed and the lock freed, off the loop
        try:
            store = await open_vector_store(None, store_dir, DIMENSION)
            break
        except VectorStoreLocked:
            await asyncio.sleep(0.05)
    else:
        pytest.fail("the store stayed locked after a cancelled open")
    await store.ping()
    await store.close()


async def test_reopening_keeps_the_data(store_dir: Path) -> None:
    store = await open_vector_store(None, store_dir, DIMENSION)
    await store.upsert(
        [chunk(f"k{i}", f"kept note {i} about tulips", position=i) for i in range(5)]
    )
    await store.close()

    store = await open_vector_store(None, store_dir, DIMENSION)
    try:
        assert await store.count(1) == 5
        hits = await store.search("tulips", None, SearchScope(1), limit=5)
        assert len(hits) == 5
        await store.upsert([chunk("k9", "one more tulip note")])
        assert await store.count() == 6
    finally:
        await store.close()


async def test_data_survives_a_crash_and_the_lock_dies_with_its_process(store_dir: Path) -> None:
    result = _run_python(
        f"""
        import asyncio, os
        from pathlib import Path
        from bot.vectors import open_vector_store
        from tests.vectors.conftest import chunk

        async def main():
            store = await open_vector_store(None, Path({str(store_dir)!r}), {DIMENSION})
            await store.upsert([chunk("crash", "written just before the crash")])
            os._exit(0)  # no close, no flush

        asyncio.run(main())
        """
    )
    assert result.returncode == 0, result.stderr

    store = await open_vector_store(None, store_dir, DIMENSION)
    try:
        [hit] = await store.search("crash", None, SearchScope(1))
        assert hit.id == "crash"
    finally:
        await store.close()


async def test_opening_with_another_dimension_explains_the_mismatch(store_dir: Path) -> None:
    store = await open_vector_store(None, store_dir, DIMENSION)
    await store.close()
    with pytest.raises(VectorStoreError, match=f"holds {DIMENSION}-dimensional.*makes 32-"):
        await open_vector_store(None, store_dir, 32)
    store = await open_vector_store(None, store_dir, DIMENSION)  # the failed open freed the lock
    await store.close()


async def test_optimize_keeps_results(store_dir: Path) -> None:
    store = await EdgeVectorStore.open(store_dir, DIMENSION)
    try:
        await store.upsert(
            [chunk(f"o{i}", f"optimize note {i} lilies", position=i) for i in range(50)]
        )
        await store.delete_document(1, "doc")
        await store.upsert([chunk("after", "lilies after the delete")])
        await store.optimize()
        info = await store.points_info()
        assert info["points"] == 1
        [hit] = await store.search("lilies", None, SearchScope(1))
        assert hit.id == "after"
    finally:
        await store.close()


async def test_payload_indexes_exist_with_server_id_as_the_tenant(store_dir: Path) -> None:
    store = await EdgeVectorStore.open(store_dir, DIMENSION)
    try:
        assert store._shard is not None
        schema = store._shard.info().payload_schema
        assert set(KEYWORD_FIELDS) <= set(schema)
        assert getattr(schema["server_id"].params, "is_tenant", None) is True
    finally:
        await store.close()
