"""What an answer reads: the sentences of the retrieved chunks that matter, within a token cap.

A small model on a small CPU reads about 55-80 prompt tokens a second, so five whole chunks
(~1,000 tokens) cost 13 s before the first word. Here every sentence of the top chunks gets a
score: how much of the question's weighted words it holds (IDF over the candidate sentences,
so a rare name counts more than "year"), plus the fused retrieval score of its chunk (the
search already weighed the dense and keyword evidence for the whole chunk). First every top
chunk gives its best sentence (in ranking order: the right document is not always first, and
one sentence of each keeps it in view), then sentences are taken best first with the sentence
after each one (answers often sit right after the sentence that names the subject);
neighbours merge into one passage, and passages keep their reading order inside their
document. `max_tokens` caps the whole. Sentences that address the AI model instead of the
reader (bot.knowledge.injection) are left out. bench/ask_quality.py measures how often the answer's
document still reaches the model (reach) beside the tokens, per cap and order.

Linear in the chunks' text: one sentence split and one word count per chunk.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from langchain_core.documents import Document

from bot.knowledge.injection import is_instruction, strip_instructions
from bot.nlp.sentences import split_sentences
from bot.nlp.words import content_words

__all__ = ["Passage", "approx_tokens", "select_passages"]

CHUNK_WEIGHT = 0.35  # share of a sentence's score that comes from its chunk's fused score
GAP = " […] "
SPREAD = True  # every top chunk gets its best sentence before any gets a second one


def approx_tokens(text: str) -> int:
    """About 4 characters a token for English (Turkish and code take more: an estimate)."""
    return max(1, len(text) // 4)


@dataclass(frozen=True)
class Passage:
    """Consecutive sentences of one chunk, with what is needed to cite the chunk's document."""

    document_id: str
    name: str
    page: int | None
    link: str | None
    position: int  # the chunk's position in its document
    first: int  # index of the first sentence within the chunk
    text: str
    score: float


@dataclass(frozen=True)
class _Sentence:
    chunk: int
    index: int
    text: str
    terms: frozenset[str]


def _terms(text: str) -> frozenset[str]:
    return frozenset(w for w in content_words(text) if len(w) > 1)


def select_passages(
    question: str,
    chunks: Sequence[Document],
    *,
    max_tokens: int,
    count_tokens: Callable[[str], int] = approx_tokens,
    neighbours: int = 1,
    spread: bool = SPREAD,
) -> list[Passage]:
    """The best sentences of `chunks` (ranked search results with ``score`` metadata), merged
    into passages, in document order, within `max_tokens`; `max_tokens` <= 0: whole chunks."""
    if not chunks:
        return []
    if max_tokens <= 0:
        return [_whole(i, doc) for i, doc in enumerate(chunks)]
    sentences: list[list[_Sentence]] = []
    for c, doc in enumerate(chunks):
        # Sentences that speak to the AI ("ignore previous instructions ...") are not read.
        parts = [s.strip() for s in split_sentences(doc.page_content) if s.strip()]
        parts = [s for s in parts if not is_instruction(s)]
        sentences.append([_Sentence(c, i, text, _terms(text)) for i, text in enumerate(parts)])
    pool = [s for group in sentences for s in group]
    if not pool:
        return []
    frequency: Counter[str] = Counter(t for s in pool for t in s.terms)
    idf = {t: math.log(1 + len(pool) / n) for t, n in frequency.items()}
    asked = _terms(question)
    wanted = sum(idf.get(t, math.log(1 + len(pool))) for t in asked) or 1.0
    scores = [float(doc.metadata.get("score") or 0.0) for doc in chunks]
    top = max(scores) or 1.0

    def score(s: _Sentence) -> float:
        lexical = sum(idf[t] for t in s.terms & asked) / wanted
        return (1 - CHUNK_WEIGHT) * lexical + CHUNK_WEIGHT * scores[s.chunk] / top

    ranked = sorted(pool, key=lambda s: (-score(s), s.chunk, s.index))
    chosen: dict[tuple[int, int], _Sentence] = {}
    used = 0
    if spread:  # first the best sentence of every chunk, in the chunks' ranking order
        for group in sentences:
            best_here = max(group, key=score, default=None)
            if best_here is not None and used + count_tokens(best_here.text) <= max_tokens:
                chosen[(best_here.chunk, best_here.index)] = best_here
                used += count_tokens(best_here.text)
    for best in ranked:
        if used >= max_tokens:
            break
        if (best.chunk, best.index) in chosen and not spread:
            continue
        after = sentences[best.chunk][best.index + 1 : best.index + 1 + neighbours]
        for s in [best, *after]:
            if (s.chunk, s.index) in chosen:
                continue
            cost = count_tokens(s.text)
            if used + cost > max_tokens:
                if not chosen:  # the best sentence alone is too long: its start
                    cut = _Sentence(s.chunk, s.index, s.text[: 4 * max_tokens], s.terms)
                    chosen[(s.chunk, s.index)] = cut
                    used = max_tokens
                break
            chosen[(s.chunk, s.index)] = s
            used += cost
    return _merge(chosen, chunks, score)


def _merge(
    chosen: dict[tuple[int, int], _Sentence],
    chunks: Sequence[Document],
    score: Callable[[_Sentence], float],
) -> list[Passage]:
    """Runs of consecutive chosen sentences become passages, in the chunks' ranking order."""
    passages: list[Passage] = []
    for c, doc in enumerate(chunks):
        mine = sorted((s for s in chosen.values() if s.chunk == c), key=lambda s: s.index)
        run: list[_Sentence] = []
        for s in [*mine, None]:
            if s is not None and (not run or s.index == run[-1].index + 1):
                run.append(s)
                continue
            if run:
                passages.append(_passage(doc, run, max(score(x) for x in run)))
            run = [s] if s is not None else []
    return passages


def _meta(doc: Document) -> tuple[str, str, int | None, str | None, int]:
    meta = doc.metadata
    document_id = str(meta.get("document_id") or meta.get("document_name") or id(doc))
    page = meta.get("page")
    return (
        document_id,
        str(meta.get("document_name") or "document"),
        int(page) if page is not None else None,
        meta.get("source_url"),
        int(meta.get("position") or 0),
    )


def _passage(doc: Document, run: list[_Sentence], score: float) -> Passage:
    document_id, name, page, link, position = _meta(doc)
    text = " ".join(s.text for s in run)
    return Passage(document_id, name, page, link, position, run[0].index, text, score)


def _whole(rank: int, doc: Document) -> Passage:
    document_id, name, page, link, position = _meta(doc)
    score = float(doc.metadata.get("score") or 0.0)
    text = doc.page_content
    sentences = [s.strip() for s in split_sentences(text)]
    kept = strip_instructions(sentences)
    if len(kept) < len(sentences):  # rare: the chunk without them, else as it was written
        text = " ".join(kept)
    return Passage(document_id, name, page, link, position, 0, text, score)
