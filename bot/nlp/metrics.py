"""Quality metrics for the benchmarks: chrF (translation) and ROUGE-1/2/L (summaries).

chrF follows sacrebleu's default (character 1..6-grams, whitespace removed, beta = 2,
corpus-level statistics, precision and recall averaged over the n-gram orders).
ROUGE is F1 over casefolded word tokens (no stemming), averaged over documents.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from bot.nlp.words import words

__all__ = ["RougeScores", "chrf", "rouge", "sentence_chrf"]


def _char_ngrams(text: str, n: int) -> Counter[str]:
    chars = "".join(text.split())
    return Counter(chars[i : i + n] for i in range(len(chars) - n + 1))


def _chrf_stats(hypothesis: str, reference: str, order: int) -> list[int]:
    stats: list[int] = []
    for n in range(1, order + 1):
        hyp, ref = _char_ngrams(hypothesis, n), _char_ngrams(reference, n)
        stats += [sum(hyp.values()), sum(ref.values()), sum((hyp & ref).values())]
    return stats


def _chrf_from_stats(stats: Sequence[int], order: int, beta: float) -> float:
    factor = beta**2
    precision = recall = 0.0
    effective = 0
    for n in range(order):
        hyp_count, ref_count, matches = stats[3 * n : 3 * n + 3]
        if hyp_count > 0 and ref_count > 0:
            precision += matches / hyp_count
            recall += matches / ref_count
            effective += 1
    if effective == 0:
        return 0.0
    precision, recall = precision / effective, recall / effective
    if precision + recall == 0:
        return 0.0
    return 100 * (1 + factor) * precision * recall / (factor * precision + recall)


def chrf(
    hypotheses: Sequence[str], references: Sequence[str], *, order: int = 6, beta: float = 2.0
) -> float:
    """Corpus-level chrF in [0, 100]."""
    if len(hypotheses) != len(references):
        raise ValueError("hypotheses and references differ in length")
    totals = [0] * (3 * order)
    for hypothesis, reference in zip(hypotheses, references, strict=True):
        for i, value in enumerate(_chrf_stats(hypothesis, reference, order)):
            totals[i] += value
    return _chrf_from_stats(totals, order, beta)


def sentence_chrf(hypothesis: str, reference: str, *, order: int = 6, beta: float = 2.0) -> float:
    return _chrf_from_stats(_chrf_stats(hypothesis, reference, order), order, beta)


@dataclass(frozen=True, slots=True)
class RougeScores:
    rouge1: float
    rouge2: float
    rougeL: float

    def as_dict(self) -> dict[str, float]:
        return {"rouge1": self.rouge1, "rouge2": self.rouge2, "rougeL": self.rougeL}


def _f1(matches: int, hyp_total: int, ref_total: int) -> float:
    if matches == 0 or hyp_total == 0 or ref_total == 0:
        return 0.0
    precision, recall = matches / hyp_total, matches / ref_total
    return 2 * precision * recall / (precision + recall)


def _ngram_f1(hyp: list[str], ref: list[str], n: int) -> float:
    hyp_grams = Counter(tuple(hyp[i : i + n]) for i in range(len(hyp) - n + 1))
    ref_grams = Counter(tuple(ref[i : i + n]) for i in range(len(ref) - n + 1))
    matches = sum((hyp_grams & ref_grams).values())
    return _f1(matches, sum(hyp_grams.values()), sum(ref_grams.values()))


def _lcs_length(a: list[str], b: list[str]) -> int:
    previous = [0] * (len(b) + 1)
    for token in a:
        current = [0]
        for j, other in enumerate(b, start=1):
            current.append(previous[j - 1] + 1 if token == other else max(previous[j], current[-1]))
        previous = current
    return previous[-1]


def rouge(
    hypotheses: Sequence[str], references: Sequence[str], *, lang: str | None = None
) -> RougeScores:
    """Mean ROUGE-1/2/L F1 (0..100) over document pairs."""
    if len(hypotheses) != len(references):
        raise ValueError("hypotheses and references differ in length")
    if not hypotheses:
        return RougeScores(0.0, 0.0, 0.0)
    r1 = r2 = rl = 0.0
    for hypothesis, reference in zip(hypotheses, references, strict=True):
        hyp, ref = words(hypothesis, lang), words(reference, lang)
        r1 += _ngram_f1(hyp, ref, 1)
        r2 += _ngram_f1(hyp, ref, 2)
        rl += _f1(_lcs_length(hyp, ref), len(hyp), len(ref))
    count = len(hypotheses)
    return RougeScores(100 * r1 / count, 100 * r2 / count, 100 * rl / count)
