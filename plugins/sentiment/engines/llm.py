"""Few-shot prompting of any LangChain chat model ("Customer review: ... Customer sentiment: ...").

Works with every ``BaseChatModel`` (OpenAI, local llama.cpp, the bundled SmolLM2, ...).
``score`` is 1.0 when the answer names exactly one sentiment and 0.5 when it names several
(the first mention wins); an answer that names none raises :class:`EngineError`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from bot.ai.errors import to_model_error
from bot.nlp.errors import EngineError, EngineFailed
from plugins.sentiment.engines.base import Label, Limits, SentimentResult

__all__ = ["DEFAULT_EXAMPLES", "LLMEngine", "parse_sentiment"]

DEFAULT_EXAMPLES: tuple[tuple[str, Label], ...] = (
    ("I love this product, it works perfectly!", "positive"),
    ("The delivery was late and the box was damaged.", "negative"),
    ("I received the package on Tuesday.", "neutral"),
    ("Harika bir hizmet, çok memnun kaldım.", "positive"),
    ("Ürün iki günde bozuldu, hiç tavsiye etmem.", "negative"),
    ("Sipariş numaram 1234.", "neutral"),
)

SYSTEM_PROMPT = (
    "You classify the sentiment of customer messages in any language. "
    "Answer with exactly one word: positive, neutral or negative."
)

# Words that name a sentiment in an answer, in English and Turkish.
_WORDS: dict[str, Label] = {
    "positive": "positive",
    "pos": "positive",
    "olumlu": "positive",
    "negative": "negative",
    "neg": "negative",
    "olumsuz": "negative",
    "neutral": "neutral",
    "nötr": "neutral",
    "notr": "neutral",
    "tarafsız": "neutral",
}
_WORD = re.compile(r"\b(" + "|".join(sorted(_WORDS, key=len, reverse=True)) + r")\b")
_NEGATED = re.compile(r"(\bnot|n't)\s+(really\s+|very\s+)?$")
_THINK = re.compile(r"<think>.*?(</think>|$)", re.DOTALL | re.IGNORECASE)


def parse_sentiment(answer: str) -> tuple[Label, bool] | None:
    """The first sentiment named in ``answer`` and whether it was the only one named."""
    text = _THINK.sub(" ", answer).lower()
    text = text.split("customer review:", 1)[0]  # ignore a model continuing the pattern
    found = [
        _WORDS[m.group(1)]
        for m in _WORD.finditer(text)
        if not _NEGATED.search(text[max(0, m.start() - 12) : m.start()])
    ]
    if not found:
        return None
    return found[0], len(set(found)) == 1


class LLMEngine:
    """Sentiment by few-shot prompting a chat model."""

    def __init__(
        self,
        model: BaseChatModel,
        *,
        examples: Sequence[tuple[str, Label]] = DEFAULT_EXAMPLES,
        name: str | None = None,
        max_concurrency: int = 4,
        limits: Limits | None = None,
    ) -> None:
        self.model = model
        self.examples = tuple(examples)
        self.name = name or f"llm:{getattr(model, '_llm_type', type(model).__name__)}"
        self.max_concurrency = max_concurrency
        self.limits = limits or Limits(timeout=60.0, max_chars=4000, max_batch=64)

    def messages(self, text: str) -> list[BaseMessage]:
        messages: list[BaseMessage] = [SystemMessage(SYSTEM_PROMPT)]
        for review, label in self.examples:
            messages.append(HumanMessage(f"Customer review: {review}\nCustomer sentiment:"))
            messages.append(AIMessage(label))
        messages.append(HumanMessage(f"Customer review: {text}\nCustomer sentiment:"))
        return messages

    def _result(self, answer: Any) -> SentimentResult:
        content = answer.text if isinstance(answer, BaseMessage) else str(answer)
        parsed = parse_sentiment(content if isinstance(content, str) else str(content))
        if parsed is None:
            raise EngineError(
                "The language model answered with something that isn't a sentiment. "
                "Try again, or use another sentiment engine.",
                self.name,
            )
        label, unambiguous = parsed
        # A one-word answer carries no probability: don't present one as "confidence 100%".
        return SentimentResult(label, 1.0 if unambiguous else 0.5, self.name, calibrated=False)

    async def analyze(self, text: str) -> SentimentResult:
        return (await self.analyze_many([text]))[0]

    async def analyze_many(self, texts: Sequence[str]) -> list[SentimentResult]:
        cleaned = self.limits.check(self.name, texts)
        if not cleaned:
            return []
        prompts: list[LanguageModelInput] = [self.messages(t) for t in cleaned]
        try:
            answers = await self.limits.run(
                self.name,
                self.model.abatch(prompts, config={"max_concurrency": self.max_concurrency}),
            )
        except EngineFailed as exc:  # say what went wrong with the model, in plain words
            if exc.__cause__ is None:
                raise
            reason = to_model_error(exc.__cause__)
            raise EngineError(reason.user_message, self.name) from exc.__cause__
        return [self._result(a) for a in answers]
