"""Quality metrics for evaluation and the benchmarks, from the field's own libraries.

chrF is sacrebleu's (its defaults: character 6-grams, beta 2). ROUGE is Google's rouge-score;
its default tokenizer keeps only ASCII letters and digits (Turkish "dünya" becomes "d nya"),
so it is given the project's language-aware word splitter (Turkish casefolding, no stemming).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.nlp.words import words

__all__ = ["RougeScores", "chrf", "rouge", "sentence_chrf"]


def chrf(hypotheses: Sequence[str], references: Sequence[str]) -> float:
    """Corpus-level chrF in [0, 100]."""
    import sacrebleu

    if len(hypotheses) != len(references):
        raise ValueError("hypotheses and references differ in length")
    return float(sacrebleu.corpus_chrf(list(hypotheses), [list(references)]).score)


def sentence_chrf(hypothesis: str, reference: str) -> float:
    import sacrebleu

    return float(sacrebleu.sentence_chrf(hypothesis, [reference]).score)


@dataclass(frozen=True, slots=True)
class RougeScores:
    rouge1: float
    rouge2: float
    rougeL: float

    def as_dict(self) -> dict[str, float]:
        return {"rouge1": self.rouge1, "rouge2": self.rouge2, "rougeL": self.rougeL}


class _WordTokenizer:
    """rouge-score's tokenizer interface over bot.nlp.words (keeps non-ASCII letters)."""

    def __init__(self, lang: str | None) -> None:
        self.lang = lang

    def tokenize(self, text: str) -> list[str]:
        return words(text, self.lang)


def rouge(
    hypotheses: Sequence[str], references: Sequence[str], *, lang: str | None = None
) -> RougeScores:
    """Mean ROUGE-1/2/L F1 (0..100) over document pairs."""
    from rouge_score import rouge_scorer

    if len(hypotheses) != len(references):
        raise ValueError("hypotheses and references differ in length")
    if not hypotheses:
        return RougeScores(0.0, 0.0, 0.0)
    scorer = rouge_scorer.RougeScorer(
        ["rouge1", "rouge2", "rougeL"], tokenizer=_WordTokenizer(lang)
    )
    totals = {"rouge1": 0.0, "rouge2": 0.0, "rougeL": 0.0}
    for hypothesis, reference in zip(hypotheses, references, strict=True):
        for name, score in scorer.score(reference, hypothesis).items():
            totals[name] += score.fmeasure
    count = len(hypotheses)
    return RougeScores(*(100 * totals[name] / count for name in ("rouge1", "rouge2", "rougeL")))
