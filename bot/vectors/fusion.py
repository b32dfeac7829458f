"""Hybrid search fusion, shared by both stores: one dense leg and one BM25 leg become one ranking.

Each store runs the two legs itself (with the scope filter on both) and hands the candidates
here. Every candidate carries its dense cosine (the stores return the dense vector with BM25
hits), and a BM25 score when the BM25 leg found it.

Why not the engine's rank fusion (RRF): it ignores score gaps, so a weak dense leg pushes
the right passage down on questions that share many words with it (reading comprehension),
while a convex combination of normalised scores keeps the stronger evidence in front on
both kinds of question. bench/retrieval_quality.py measures every method here on several
question sets; `DEFAULT_METHOD` and `DENSE_WEIGHT` are what it chose.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Sequence
from typing import Literal

from bot.vectors.models import SearchHit

__all__ = [
    "DEFAULT_METHOD",
    "DENSE_WEIGHT",
    "RRF_K",
    "FusionMethod",
    "fuse",
    "is_relevant",
]

FusionMethod = Literal["rrf", "dbsf", "convex", "convex-minmax"]
DEFAULT_METHOD: FusionMethod = "convex"
DENSE_WEIGHT = 0.4
RRF_K = 60  # the usual reciprocal-rank-fusion constant: score = sum(1 / (k + rank))


def _merge(dense_leg: Sequence[SearchHit], sparse_leg: Sequence[SearchHit]) -> list[SearchHit]:
    """One hit per chunk. A BM25 hit carries both scores (the stores compute its cosine from
    the returned vector), so it replaces the same chunk's dense-leg hit."""
    merged = {hit.id: hit for hit in dense_leg}
    merged.update((hit.id, hit) for hit in sparse_leg)
    return list(merged.values())


def _scaled_max(values: dict[str, float]) -> dict[str, float]:
    top = max(values.values(), default=0.0)
    return {key: (value / top if top > 0 else 0.0) for key, value in values.items()}


def _scaled_minmax(values: dict[str, float]) -> dict[str, float]:
    if not values:
        return {}
    low, high = min(values.values()), max(values.values())
    span = high - low
    return {key: ((value - low) / span if span > 0 else 1.0) for key, value in values.items()}


def _scaled_dbsf(values: dict[str, float]) -> dict[str, float]:
    """Qdrant's distribution-based scaling: mean +- 3 standard deviations mapped to [0, 1]."""
    if not values:
        return {}
    scores = list(values.values())
    mean, std = statistics.fmean(scores), statistics.pstdev(scores) or 1.0
    low, high = mean - 3 * std, mean + 3 * std
    return {key: min(1.0, max(0.0, (v - low) / (high - low))) for key, v in values.items()}


def _ranks(hits: Sequence[SearchHit]) -> dict[str, int]:
    return {hit.id: rank for rank, hit in enumerate(hits, start=1)}


def _rrf(dense_leg: Sequence[SearchHit], sparse_leg: Sequence[SearchHit]) -> dict[str, float]:
    scores: dict[str, float] = {}
    for ranks in (_ranks(dense_leg), _ranks(sparse_leg)):
        for key, rank in ranks.items():
            scores[key] = scores.get(key, 0.0) + 1.0 / (RRF_K + rank)
    return scores


def _weighted(
    hits: Sequence[SearchHit],
    dense_leg: Sequence[SearchHit],
    sparse_leg: Sequence[SearchHit],
    method: FusionMethod,
    dense_weight: float,
) -> dict[str, float]:
    """Each leg's scores scaled to [0, 1], then weighted; a missing score counts 0."""
    if method == "dbsf":  # Qdrant's DBSF: each leg scaled over its own candidates, equal weights
        d = _scaled_dbsf({h.id: h.dense_score or 0.0 for h in dense_leg})
        s = _scaled_dbsf({h.id: h.sparse_score or 0.0 for h in sparse_leg})
        dense_weight = 0.5
    else:
        scale = _scaled_max if method == "convex" else _scaled_minmax
        d = scale({h.id: h.dense_score for h in hits if h.dense_score is not None})
        s = scale({h.id: h.sparse_score for h in hits if h.sparse_score is not None})
    return {
        h.id: dense_weight * d.get(h.id, 0.0) + (1 - dense_weight) * s.get(h.id, 0.0) for h in hits
    }


def fuse(
    dense_leg: Sequence[SearchHit],
    sparse_leg: Sequence[SearchHit],
    limit: int,
    method: FusionMethod = DEFAULT_METHOD,
    dense_weight: float = DENSE_WEIGHT,
) -> list[SearchHit]:
    """The best `limit` chunks of both legs; each hit's `score` is its fused score.

    Ties are broken by chunk id so a ranking never depends on the order the engine returned.
    """
    hits = _merge(dense_leg, sparse_leg)
    if not hits:
        return []
    scores = (
        _rrf(dense_leg, sparse_leg)
        if method == "rrf"
        else _weighted(hits, dense_leg, sparse_leg, method, dense_weight)
    )
    ranked = sorted(hits, key=lambda h: (-scores.get(h.id, 0.0), h.id))[:limit]
    return [dataclasses.replace(h, score=round(scores.get(h.id, 0.0), 6)) for h in ranked]


def is_relevant(
    dense_score: float | None,
    keyword_coverage: float | None,
    min_dense: float,
    min_coverage: float,
    min_dense_with_keywords: float = 0.0,
) -> bool:
    """Whether a hit is worth showing the model: either leg's evidence may carry it.

    The dense cosine catches paraphrases and other languages; keyword coverage (the share of
    the question's searchable words the chunk contains) catches questions that name the
    passage's rare words (acronyms, identifiers) where the dense leg is weak. Coverage is a
    share, not a raw BM25 score, so one threshold holds for small and large corpora alike.
    `min_coverage` > 1 turns the keyword evidence off. `min_dense_with_keywords` is the lower
    cosine a keyword match still needs (a passage that shares words but no meaning).
    """
    if dense_score is not None and dense_score >= min_dense:
        return True
    return (
        keyword_coverage is not None
        and keyword_coverage >= min_coverage
        and (dense_score is None or dense_score >= min_dense_with_keywords)
    )
