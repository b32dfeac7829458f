"""Extractive summaries with LexRank over TF-IDF sentence vectors (numpy only, no downloads).

Sentences come from the Punkt splitter (Turkish included); words are casefolded, stopwords
dropped and, for agglutinative languages such as Turkish, cut to a 5-letter prefix, which is a
strong stemmer there. LexRank (Erkan & Radev, 2004) ranks sentences by PageRank over their
cosine-similarity graph, with the random jump biased towards the opening of articles (not of
conversations); for articles the centrality is then weighted by position, `(i + 1) ** -0.5`
(news and papers put their point first: without it the engine stays below lead-3, with it
it is above lead-3 on Turkish news and English papers, bench/results/translate_summarize.md).
The best ones that aren't near-duplicates of one another are returned in their original
order. This is the default summarizer: it needs no model and is fast.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np

from bot.nlp.runtime import in_thread
from bot.nlp.sentences import split_sentences
from bot.nlp.words import content_words
from plugins.summarize.engines.base import BaseSummarizer, Length
from plugins.summarize.engines.conversation import ChatLine, format_line

__all__ = ["ExtractiveSummarizer", "cut_words", "lexrank_scores", "tfidf_similarity"]


def cut_words(text: str, max_words: int | None) -> str:
    """Cut `text` to `max_words` words, marking the cut with an ellipsis."""
    tokens = text.split()
    if max_words is None or len(tokens) <= max_words:
        return text
    return " ".join(tokens[:max_words]) + " …"


def tfidf_similarity(token_lists: Sequence[Sequence[str]]) -> np.ndarray:
    """Cosine similarity of TF-IDF vectors (sublinear tf, smoothed idf); diagonal zeroed."""
    n = len(token_lists)
    counts = [Counter(tokens) for tokens in token_lists]
    df: Counter[str] = Counter(term for c in counts for term in c)
    idf = {term: math.log((1 + n) / (1 + freq)) + 1 for term, freq in df.items()}
    shared = sorted(term for term, freq in df.items() if freq > 1)  # only these link sentences
    column = {term: j for j, term in enumerate(shared)}
    matrix = np.zeros((n, len(shared)), dtype=np.float32)
    norms = np.zeros(n, dtype=np.float32)
    for i, c in enumerate(counts):
        weights = {term: (1 + math.log(tf)) * idf[term] for term, tf in c.items()}
        norms[i] = math.sqrt(sum(w * w for w in weights.values()))
        for term, weight in weights.items():
            j = column.get(term)
            if j is not None:
                matrix[i, j] = weight
    norms[norms == 0] = 1.0
    matrix /= norms[:, None]
    similarity = matrix @ matrix.T
    np.fill_diagonal(similarity, 0.0)
    return similarity


def lexrank_scores(
    similarity: np.ndarray,
    *,
    lead_bias: float = 0.0,
    damping: float = 0.85,
    iterations: int = 100,
) -> np.ndarray:
    """Continuous LexRank: PageRank over the row-normalized similarity graph.

    With `lead_bias` > 0 the random jump favours early sentences (probability proportional to
    `(position + 1) ** -lead_bias`), a personalized PageRank that suits articles, whose opening
    usually carries the point. 0 is plain LexRank (right for chat logs).
    """
    n = similarity.shape[0]
    if n == 0:
        return np.zeros(0)
    teleport = (np.arange(n) + 1.0) ** -lead_bias
    teleport /= teleport.sum()
    row_sums = similarity.sum(axis=1, keepdims=True)
    transition = np.where(row_sums > 0, similarity / np.where(row_sums > 0, row_sums, 1), 1.0 / n)
    scores = np.full(n, 1.0 / n)
    for _ in range(iterations):
        updated = (1 - damping) * teleport + damping * transition.T @ scores
        if np.abs(updated - scores).sum() < 1e-8:
            return updated
        scores = updated
    return scores


class ExtractiveSummarizer(BaseSummarizer):
    """Picks the most central sentences of the text itself."""

    def __init__(
        self,
        *,
        name: str = "extractive",
        lead_bias: float = 1.0,
        position_weight: float = 0.5,
        redundancy: float = 0.6,
        min_words: int = 4,
        timeout: float | None = 30.0,
        max_input_chars: int = 200_000,
    ) -> None:
        super().__init__(timeout=timeout, max_input_chars=max_input_chars)
        self.name = name
        self.lead_bias = lead_bias
        self.position_weight = position_weight
        self.redundancy = redundancy
        self.min_words = min_words

    async def _summarize(self, text: str, length: Length, lang: str) -> str:
        return await in_thread(self.summarize_sync, text, length, lang)

    def summarize_sync(self, text: str, length: Length, lang: str) -> str:
        sentences = split_sentences(text, lang)
        chosen = self.select(sentences, length, lang)
        summary = " ".join(" ".join(sentences[i].split()) for i in chosen)
        return cut_words(summary, length.words)

    async def _summarize_conversation(
        self, lines: Sequence[ChatLine], transcript: str, length: Length, lang: str
    ) -> str:
        units = [format_line(line) for line in lines]
        texts = [line.text for line in lines]
        chosen = await in_thread(
            self.select, units, length, lang, scoring_texts=texts, article=False
        )
        return cut_words("\n".join(units[i] for i in chosen), length.words)

    def select(
        self,
        units: Sequence[str],
        length: Length,
        lang: str,
        *,
        scoring_texts: Sequence[str] | None = None,
        article: bool = True,
    ) -> list[int]:
        """Indices (in original order) of the units that make the summary.

        `scoring_texts` replaces the text used for similarity (e.g. a chat message without its
        author prefix); the budget always counts the units themselves. Conversations are not
        articles: a chat's first messages are not its summary, so position counts for nothing.
        """
        if not units:
            return []
        tokens = [content_words(t, lang) for t in (scoring_texts or units)]
        similarity = tfidf_similarity(tokens)
        scores = lexrank_scores(similarity, lead_bias=self.lead_bias if article else 0.0)
        if article and self.position_weight and scores.max() > 0:
            scores = scores * (np.arange(len(units)) + 1.0) ** -self.position_weight
        sizes = [len(unit.split()) for unit in units]
        substantial = [i for i, t in enumerate(tokens) if len(t) >= self.min_words]
        candidates = (
            substantial if len(substantial) >= (length.sentences or 1) else range(len(units))
        )
        ranked = sorted(candidates, key=lambda i: (-scores[i], i))
        chosen: list[int] = []
        words = 0
        for i in ranked:
            if length.sentences is not None and len(chosen) >= length.sentences:
                break
            if length.words is not None and words + sizes[i] > length.words:
                continue
            if any(similarity[i, j] > self.redundancy for j in chosen):
                continue
            chosen.append(i)
            words += sizes[i]
        if not chosen:  # every sentence is over the word budget: take the best, cut later
            chosen = [ranked[0]]
        return sorted(chosen)
