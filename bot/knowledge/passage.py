"""The best passage of the retrieved sources, quoted as the answer when the model can't write one.

`sohbet eval` measures whether the active chat model's answers from documents contain the
answer more often than the same model without documents; the bundled 135M demo model's do
not (bench/results/eval.md). Then `/ask` shows the sentences of the retrieved sources that
share the most words with the question, with their citation, instead of the model's text:
retrieval is what works, so that is what the member gets.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.knowledge.answers import Source
from bot.nlp.sentences import split_sentences
from bot.nlp.words import STOPWORDS, words

__all__ = ["Passage", "best_passage"]

MAX_CHARS = 600
_COMMON = STOPWORDS["en"] | STOPWORDS["tr"] | STOPWORDS["de"]


@dataclass(frozen=True)
class Passage:
    source: Source
    text: str


def _terms(text: str) -> set[str]:
    return {w for w in words(text, None) if w not in _COMMON and len(w) > 1}


def best_passage(question: str, sources: list[Source]) -> Passage | None:
    """The sentence (with the next one, while short) that shares the most of the question's
    words, from the best-ranked sources; ties go to the higher-ranked source. Linear in the
    sources' text."""
    asked = _terms(question)
    best: tuple[float, int, int] | None = None  # (score, -source rank, -sentence index)
    chosen: Passage | None = None
    for rank, source in enumerate(sources):
        sentences = [s for s in split_sentences(source.text) if s.strip()]
        for i, sentence in enumerate(sentences):
            shared = len(asked & _terms(sentence))
            score = shared / (1 + len(asked))
            key = (score, -rank, -i)
            if best is None or key > best:
                best = key
                text = sentence.strip()
                if i + 1 < len(sentences) and len(text) + len(sentences[i + 1]) < MAX_CHARS:
                    text = f"{text} {sentences[i + 1].strip()}"
                chosen = Passage(source, text[:MAX_CHARS])
    return chosen
