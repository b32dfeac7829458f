"""One contract, run against both implementations (embedded edge store and qdrant-client)."""

from __future__ import annotations

import dataclasses
import math

import pytest

from bot.vectors import SearchScope, VectorStore, VectorStoreError, VectorStoreUnavailable

from .conftest import DIMENSION, chunk, hash_vector

TEXTS = [
    "The library opens at nine and closes at five on weekdays.",
    "Our refund policy allows returns within thirty days with a receipt.",
    "Model XJ-9000 ships with a two year warranty.",
    "The cafeteria serves soup and sandwiches for lunch.",
    "Parking permits are renewed every January at the front desk.",
]
MODES = ["hybrid", "dense", "sparse"]


async def _load(store: VectorStore, server: int = 1, channel: int | None = None) -> None:
    await store.upsert(
        [
            chunk(f"{server}:{i}", text, server=server, channel=channel, position=i, page=i + 1)
            for i, text in enumerate(TEXTS)
        ]
    )


async def test_upsert_then_search_round_trips_every_field(store: VectorStore) -> None:
    record = chunk("a:0", TEXTS[1], server=7, channel=70, document="policy", page=3, position=4)
    await store.upsert([record])

    [hit] = await store.search("refund policy", hash_vector("refund policy"), SearchScope(7))

    assert (hit.id, hit.text, hit.server_id, hit.channel_id) == ("a:0", TEXTS[1], 7, 70)
    assert (hit.document_id, hit.document_name, hit.uploader_id) == ("policy", "policy.pdf", 100)
    assert (hit.position, hit.page, hit.source_url) == (4, 3, record.source_url)
    assert hit.score > 0
    assert hit.dense_score == pytest.approx(
        sum(a * b for a, b in zip(hash_vector("refund policy"), record.dense, strict=True)),
        abs=1e-5,
    )


async def test_large_snowflake_ids_keep_their_precision(store: VectorStore) -> None:
    big = 1_234_567_890_123_456_789  # Discord ids exceed 2**53
    await store.upsert([chunk("s", TEXTS[0], server=big, channel=big + 1, uploader=big + 2)])
    [hit] = await store.search("library", None, SearchScope(big, big + 1))
    assert (hit.server_id, hit.channel_id, hit.uploader_id) == (big, big + 1, big + 2)


async def test_upsert_same_id_replaces_the_chunk(store: VectorStore) -> None:
    await store.upsert([chunk("x", TEXTS[0])])
    await store.upsert([chunk("x", TEXTS[3])])

    assert await store.count() == 1
    [hit] = await store.search("lunch", None, SearchScope(1))
    assert hit.text == TEXTS[3]


async def test_batches_larger_than_one_engine_call_are_all_written(store: VectorStore) -> None:
    await store.upsert([chunk(f"c{i}", f"note number {i}", position=i) for i in range(300)])
    assert await store.count(1) == 300


@pytest.mark.parametrize("mode", MODES)
async def test_a_server_never_sees_another_servers_chunks(store: VectorStore, mode: str) -> None:
    await _load(store, server=1)
    await _load(store, server=2)  # identical texts and vectors in another server

    for server in (1, 2):
        hits = await store.search(
            "refund warranty lunch",
            hash_vector(TEXTS[1]),
            SearchScope(server),
            10,
            mode,  # type: ignore[arg-type]
        )
        assert hits
        assert {hit.server_id for hit in hits} == {server}
        assert all(hit.id.startswith(f"{server}:") for hit in hits)

    assert await store.search("refund", hash_vector(TEXTS[1]), SearchScope(3), mode=mode) == []  # type: ignore[arg-type]


@pytest.mark.parametrize("mode", MODES)
async def test_channel_scope_sees_its_channel_and_server_wide_chunks(
    store: VectorStore, mode: str
) -> None:
    query = "refund policy receipt"
    await store.upsert(
        [
            chunk("in-10", TEXTS[1], channel=10),
            chunk("in-20", TEXTS[1], channel=20),
            chunk("server-wide", TEXTS[1], channel=None),
            chunk("other-server", TEXTS[1], server=2, channel=10),
        ]
    )
    vector = hash_vector(query)

    def ids(hits: list) -> set[str]:
        return {hit.id for hit in hits}

    in_10 = await store.search(query, vector, SearchScope(1, 10), 10, mode)  # type: ignore[arg-type]
    in_20 = await store.search(query, vector, SearchScope(1, 20), 10, mode)  # type: ignore[arg-type]
    in_30 = await store.search(query, vector, SearchScope(1, 30), 10, mode)  # type: ignore[arg-type]
    whole = await store.search(query, vector, SearchScope(1), 10, mode)  # type: ignore[arg-type]

    assert ids(in_10) == {"in-10", "server-wide"}
    assert ids(in_20) == {"in-20", "server-wide"}
    assert ids(in_30) == {"server-wide"}
    assert ids(whole) == {"in-10", "in-20", "server-wide"}
    only_10 = await store.search(
        query,
        vector,
        SearchScope(1, 10, channel_only=True),
        10,
        mode,  # type: ignore[arg-type]
    )
    assert ids(only_10) == {"in-10"}  # `/ask this_channel:true`: not even server-wide ones


async def test_sparse_finds_an_exact_keyword_that_dense_misses(store: VectorStore) -> None:
    await _load(store)
    unrelated = hash_vector(TEXTS[3])  # the cafeteria chunk, nothing about XJ-9000

    sparse = await store.search("XJ-9000", unrelated, SearchScope(1), limit=1, mode="sparse")
    dense = await store.search("XJ-9000", unrelated, SearchScope(1), limit=1, mode="dense")
    hybrid = await store.search("XJ-9000", unrelated, SearchScope(1), limit=2, mode="hybrid")

    assert [hit.text for hit in sparse] == [TEXTS[2]]
    assert [hit.text for hit in dense] == [TEXTS[3]]
    assert {hit.text for hit in hybrid} == {TEXTS[2], TEXTS[3]}  # fusion keeps both leaders
    assert sparse[0].dense_score is not None and sparse[0].dense_score < 0.5
    assert dense[0].dense_score == pytest.approx(1.0, abs=1e-4)


async def test_hybrid_ranks_a_chunk_found_by_both_legs_first(store: VectorStore) -> None:
    await _load(store)
    query = "refund policy returns"
    hits = await store.search(query, hash_vector(query), SearchScope(1), limit=3)
    assert hits[0].text == TEXTS[1]
    assert [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True)
    assert hits[0].dense_score is not None and hits[0].dense_score > 0.5


async def test_hybrid_without_a_vector_falls_back_to_keywords(store: VectorStore) -> None:
    await _load(store)
    hits = await store.search("parking permits", None, SearchScope(1), limit=2)
    assert hits[0].text == TEXTS[4]
    assert hits[0].dense_score is None


async def test_a_query_of_stop_words_only_finds_nothing_by_keyword(store: VectorStore) -> None:
    await _load(store)
    assert await store.search("the and of", None, SearchScope(1), mode="sparse") == []
    assert await store.search("", None, SearchScope(1)) == []


async def test_delete_document_removes_only_that_document_of_that_server(
    store: VectorStore,
) -> None:
    await store.upsert(
        [chunk(f"a{i}", TEXTS[i], document="manual", position=i) for i in range(3)]
        + [chunk("b0", TEXTS[3], document="menu")]
        + [chunk("z0", TEXTS[0], server=2, document="manual")]  # same document id elsewhere
    )

    assert await store.delete_document(1, "manual") == 3
    assert await store.delete_document(1, "manual") == 0

    assert await store.count(1) == 1
    assert await store.count(2) == 1
    hits = await store.search("library nine five", None, SearchScope(1), limit=10)
    assert {hit.document_id for hit in hits} <= {"menu"}


async def test_document_chunks_in_reading_order_and_only_of_that_server(
    store: VectorStore,
) -> None:
    count = 300  # more than one scroll page
    parts = [chunk(f"m{i}", f"part {i}", document="manual", position=i) for i in range(count)]
    await store.upsert(
        [
            *parts[::-1],
            chunk("b0", TEXTS[3], document="menu"),
            chunk("z0", TEXTS[0], server=2, document="manual"),  # same document id elsewhere
        ]
    )

    hits = await store.document_chunks(1, "manual")
    assert [hit.text for hit in hits] == [f"part {i}" for i in range(count)]
    assert {(hit.server_id, hit.document_id) for hit in hits} == {(1, "manual")}
    [other] = await store.document_chunks(2, "manual")
    assert other.text == TEXTS[0]
    assert await store.document_chunks(3, "manual") == []


async def test_delete_by_uploader_in_one_server_or_everywhere(store: VectorStore) -> None:
    await store.upsert(
        [
            chunk("1a", TEXTS[0], server=1, uploader=5),
            chunk("1b", TEXTS[1], server=1, uploader=6),
            chunk("2a", TEXTS[2], server=2, uploader=5),
            chunk("3a", TEXTS[3], server=3, uploader=5),
        ]
    )

    assert await store.delete_by_uploader(5, server_id=1) == 1
    assert (await store.count(1), await store.count(2), await store.count(3)) == (1, 1, 1)
    assert await store.delete_by_uploader(5) == 2
    assert await store.count() == 1
    [left] = await store.search("refund", None, SearchScope(1))
    assert left.uploader_id == 6


async def test_delete_server_removes_everything_of_that_server(store: VectorStore) -> None:
    await _load(store, server=1)
    await _load(store, server=2)
    assert await store.delete_server(1) == len(TEXTS)
    assert (await store.count(1), await store.count(2)) == (0, len(TEXTS))


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (chunk("bad", "short vector", dense=[1.0] * (DIMENSION - 1)), "dimensions"),
        (chunk("bad", "nan", dense=[math.nan] * DIMENSION), "NaN"),
        (chunk("bad", "zeros", dense=[0.0] * DIMENSION), "zeros"),
        (chunk("bad", "   "), "no text"),
        (chunk("", "no id"), "empty id"),
        (chunk("bad", "negative", position=-1), "negative position"),
    ],
)
async def test_a_bad_chunk_is_rejected_and_nothing_is_written(
    store: VectorStore, bad: object, message: str
) -> None:
    good = [chunk(f"g{i}", TEXTS[i]) for i in range(3)]
    with pytest.raises(VectorStoreError, match=message):
        await store.upsert([*good, bad])  # type: ignore[list-item]
    assert await store.count() == 0


async def test_bad_search_requests_get_clear_errors(store: VectorStore) -> None:
    with pytest.raises(VectorStoreError, match="needs a query vector"):
        await store.search("x", None, SearchScope(1), mode="dense")
    with pytest.raises(VectorStoreError, match="dimensions"):
        await store.search("x", [1.0, 0.0], SearchScope(1))
    with pytest.raises(VectorStoreError, match="1 to 100"):
        await store.search("x", None, SearchScope(1), limit=0)
    with pytest.raises(VectorStoreError, match="Unknown search mode"):
        await store.search("x", None, SearchScope(1), mode="fuzzy")  # type: ignore[arg-type]


async def test_ping_then_close_makes_the_store_unavailable(store: VectorStore) -> None:
    await store.ping()
    await store.close()
    await store.close()  # idempotent
    with pytest.raises(VectorStoreUnavailable, match="closed"):
        await store.ping()
    with pytest.raises(VectorStoreUnavailable):
        await store.search("x", None, SearchScope(1))
    with pytest.raises(VectorStoreUnavailable):
        await store.upsert([chunk("x", TEXTS[0])])


@pytest.mark.parametrize("mode", MODES)
async def test_a_pending_document_is_invisible_until_published(
    store: VectorStore, mode: str
) -> None:
    pending = [
        dataclasses.replace(chunk(f"p:{i}", text, document="half", position=i), pending=True)
        for i, text in enumerate(TEXTS)
    ]
    await store.upsert(pending)
    vector = None if mode == "sparse" else hash_vector("refund policy")
    assert await store.search("refund policy", vector, SearchScope(1), mode=mode) == []
    assert await store.document_ids() == {"half": 1}  # the reconciler still sees it

    await store.publish_document(1, "half")
    await store.publish_document(1, "half")  # idempotent
    [first, *_] = await store.search("refund policy", vector, SearchScope(1), mode=mode)
    assert first.text == TEXTS[1]


async def test_document_ids_lists_every_document_with_its_server(store: VectorStore) -> None:
    await store.upsert([chunk("a", TEXTS[0], server=1, document="d1")])
    await store.upsert([chunk("b", TEXTS[1], server=2, document="d2")])
    await store.upsert([chunk("c", TEXTS[2], server=2, document="d2", position=1)])
    assert await store.document_ids() == {"d1": 1, "d2": 2}


async def test_several_documents_are_published_in_one_step_within_their_server(
    store: VectorStore,
) -> None:
    def pending(server: int, document: str, i: int) -> object:
        record = chunk(f"{server}:{document}", TEXTS[i], server=server, document=document)
        return dataclasses.replace(record, pending=True)

    await store.upsert(
        [pending(1, "a", 0), pending(1, "b", 1), pending(1, "c", 2), pending(2, "b", 3)]  # type: ignore[list-item]
    )

    await store.publish_documents(1, ["a", "b"])
    await store.publish_documents(1, [])

    found = {
        hit.document_id
        for hit in await store.search("x", None, SearchScope(1), mode="sparse", limit=10)
    }
    dense = await store.search("x", hash_vector("x"), SearchScope(1), mode="dense", limit=10)
    assert {hit.document_id for hit in dense} == {"a", "b"}
    assert found <= {"a", "b"}
    other = await store.search("x", hash_vector("x"), SearchScope(2), mode="dense", limit=10)
    assert other == []  # another server's document of the same id stays pending


async def test_move_server_gives_its_chunks_to_the_new_id(store: VectorStore) -> None:
    """A Telegram group that became a supergroup: its chunks, the ones for the group's own
    chat and those its anonymous admin uploaded, all answer under the new id."""
    old, new, other = -(2**62) - 4001234, -(2**62) - 1001234567890, -(2**62) - 4009999
    await store.upsert(
        [
            chunk("w", "warranty lasts two years", server=old, uploader=100),
            chunk("c", "descale the kettle monthly", server=old, channel=old, uploader=old),
            chunk("o", "warranty lasts two years", server=other, channel=other, uploader=other),
        ]
    )
    assert await store.move_server(old, new) == 2
    assert await store.count(old) == 0 and await store.count(new) == 2
    assert await store.count(other) == 1
    hits = await store.search(
        "descale kettle", None, SearchScope(server_id=new, channel_id=new), mode="sparse"
    )
    assert [(h.id, h.server_id, h.channel_id, h.uploader_id) for h in hits] == [
        ("c", new, new, new)
    ]
    assert {h.id for h in await store.document_chunks(new, "doc")} == {"w", "c"}
    assert await store.move_server(old, new) == 0  # idempotent
