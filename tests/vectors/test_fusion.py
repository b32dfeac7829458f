"""Hybrid fusion and the relevance rule (bot/vectors/fusion.py)."""

from __future__ import annotations

from bot.vectors import SearchHit
from bot.vectors.fusion import fuse, is_relevant


def hit(key: str, dense: float | None = None, bm25: float | None = None) -> SearchHit:
    return SearchHit(
        id=key,
        text=key,
        server_id=1,
        channel_id=None,
        document_id=key,
        document_name=key,
        uploader_id=1,
        position=0,
        page=None,
        source_url=None,
        score=bm25 if bm25 is not None else (dense or 0.0),
        dense_score=dense,
        sparse_score=bm25,
    )


def test_a_strong_keyword_match_is_not_pushed_down_by_a_weak_dense_leg() -> None:
    # BM25 is sure ("qed": 30 vs 3); the dense leg barely prefers another paragraph.
    dense_leg = [hit("other", 0.42), hit("b", 0.41), hit("c", 0.41), hit("d", 0.40)]
    dense_leg.append(hit("right", 0.40))
    sparse_leg = [hit("right", 0.40, 30.0), hit("b", 0.41, 3.0)]
    assert fuse(dense_leg, sparse_leg, 3, "rrf")[0].id == "b"  # rank fusion loses it
    assert fuse(dense_leg, sparse_leg, 3)[0].id == "right"  # score fusion keeps it first


def test_a_question_in_another_language_is_carried_by_the_dense_leg() -> None:
    # A Turkish question shares no word with the English passage: BM25 finds nothing.
    fused = fuse([hit("para", 0.80), hit("x", 0.30)], [], 2)
    assert [h.id for h in fused] == ["para", "x"]
    assert fused[0].sparse_score is None


def test_both_scores_are_kept_on_the_fused_hit() -> None:
    fused = fuse([hit("a", 0.6), hit("b", 0.5)], [hit("b", 0.5, 7.0)], 2)
    assert {h.id: (h.dense_score, h.sparse_score) for h in fused} == {
        "a": (0.6, None),
        "b": (0.5, 7.0),
    }


def test_fusion_is_deterministic_and_bounded() -> None:
    dense_leg = [hit(k, 0.5) for k in "dcba"]
    fused = fuse(dense_leg, [], 3)
    assert [h.id for h in fused] == ["a", "b", "c"]  # exact ties broken by id
    assert fuse([], [], 5) == []


def test_relevance_needs_either_leg() -> None:
    assert is_relevant(0.30, None, 0.25, 0.6)  # dense alone
    assert is_relevant(0.05, 0.75, 0.25, 0.6)  # "What is QED short for?": words, no vector
    assert not is_relevant(0.10, 0.25, 0.25, 0.6)  # off-topic: one common word matched
    assert not is_relevant(0.10, 1.0, 0.25, 1.01)  # keyword evidence turned off
