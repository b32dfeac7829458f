"""What every summarization engine shares: result, protocol, length limits, common steps."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from bot.nlp.errors import EngineError, InvalidRequest
from bot.nlp.runtime import check_input, in_thread, with_timeout
from bot.nlp.sentences import resolve_language_code, sentence_spans
from plugins.summarize.engines.conversation import ChatLine, format_transcript, usable_lines

__all__ = [
    "DEFAULT_MAX_SENTENCES",
    "BaseSummarizer",
    "FallbackSummarizer",
    "Length",
    "Summarizer",
    "Summary",
    "enforce_length",
    "summarize_chat",
]

DEFAULT_MAX_SENTENCES = 3
_MAX_LIMIT = 1000


@dataclass(frozen=True, slots=True)
class Summary:
    text: str
    engine: str


@dataclass(frozen=True, slots=True)
class Length:
    """A summary budget: at most `sentences` sentences and/or `words` words."""

    sentences: int | None
    words: int | None

    @classmethod
    def of(cls, max_sentences: int | None, max_words: int | None) -> Length:
        for label, value in (("max_sentences", max_sentences), ("max_words", max_words)):
            if value is not None and not 1 <= value <= _MAX_LIMIT:
                raise InvalidRequest(f"`{label}` must be between 1 and {_MAX_LIMIT}.")
        if max_sentences is None and max_words is None:
            max_sentences = DEFAULT_MAX_SENTENCES
        return cls(max_sentences, max_words)

    def describe(self) -> str:
        parts = []
        if self.sentences is not None:
            parts.append(f"{self.sentences} sentence{'s' if self.sentences != 1 else ''}")
        if self.words is not None:
            parts.append(f"{self.words} words")
        return " and ".join(parts)


@runtime_checkable
class Summarizer(Protocol):
    name: str

    async def summarize(
        self,
        text: str,
        *,
        max_sentences: int | None = None,
        max_words: int | None = None,
        lang: str | None = None,
    ) -> Summary:
        """Summarize `text` within the limits (3 sentences when neither is given)."""
        ...


def enforce_length(text: str, length: Length, lang: str) -> str:
    """Cut generated text to the budget at a sentence end, keeping its formatting."""
    text = text.strip()
    spans = sentence_spans(text, lang)
    if length.sentences is not None:
        spans = spans[: length.sentences]
    if length.words is not None:
        kept: list[tuple[int, int]] = []
        used = 0
        for start, end in spans:
            count = len(text[start:end].split())
            if used + count > length.words:
                break
            kept.append((start, end))
            used += count
        if not kept and spans:  # one over-long sentence: cut it at the word budget
            first = text[spans[0][0] : spans[0][1]].split()
            return " ".join(first[: length.words]) + " …"
        spans = kept
    return text[: spans[-1][1]] if spans else text


class BaseSummarizer(ABC):
    """Common steps: validate, resolve the language, apply the timeout."""

    name: str = "summarizer"

    def __init__(self, *, timeout: float | None = 120.0, max_input_chars: int = 100_000) -> None:
        self.timeout = timeout
        self.max_input_chars = max_input_chars

    async def summarize(
        self,
        text: str,
        *,
        max_sentences: int | None = None,
        max_words: int | None = None,
        lang: str | None = None,
    ) -> Summary:
        check_input(text, engine=self.name, limit=self.max_input_chars, action="summarize")
        length = Length.of(max_sentences, max_words)
        code = await in_thread(resolve_language_code, lang, text)
        summary = await with_timeout(
            self._summarize(text, length, code), engine=self.name, seconds=self.timeout
        )
        return Summary(summary, self.name)

    @abstractmethod
    async def _summarize(self, text: str, length: Length, lang: str) -> str: ...

    async def summarize_conversation(
        self,
        lines: Sequence[ChatLine],
        *,
        max_sentences: int | None = None,
        max_words: int | None = None,
        lang: str | None = None,
    ) -> Summary:
        """Summarize chat messages (for channel summaries)."""
        kept = usable_lines(lines)
        transcript = format_transcript(kept)
        check_input(transcript, engine=self.name, limit=self.max_input_chars, action="summarize")
        length = Length.of(max_sentences, max_words)
        messages_only = "\n".join(line.text for line in kept)
        code = await in_thread(resolve_language_code, lang, messages_only)
        summary = await with_timeout(
            self._summarize_conversation(kept, transcript, length, code),
            engine=self.name,
            seconds=self.timeout,
        )
        return Summary(summary, self.name)

    async def _summarize_conversation(
        self, lines: Sequence[ChatLine], transcript: str, length: Length, lang: str
    ) -> str:
        return await self._summarize(transcript, length, lang)


class FallbackSummarizer:
    """Tries engines in order; the next one answers when one fails with an `EngineError`."""

    def __init__(self, engines: Sequence[Summarizer]) -> None:
        if not engines:
            raise ValueError("FallbackSummarizer needs at least one engine")
        self.engines = list(engines)
        self.name = "+".join(engine.name for engine in self.engines)

    async def summarize(
        self,
        text: str,
        *,
        max_sentences: int | None = None,
        max_words: int | None = None,
        lang: str | None = None,
    ) -> Summary:
        error: EngineError | None = None
        for engine in self.engines:
            try:
                return await engine.summarize(
                    text, max_sentences=max_sentences, max_words=max_words, lang=lang
                )
            except EngineError as exc:
                error = exc
        assert error is not None
        raise error

    async def summarize_conversation(
        self,
        lines: Sequence[ChatLine],
        *,
        max_sentences: int | None = None,
        max_words: int | None = None,
        lang: str | None = None,
    ) -> Summary:
        error: EngineError | None = None
        for engine in self.engines:
            try:
                return await summarize_chat(
                    engine, lines, max_sentences=max_sentences, max_words=max_words, lang=lang
                )
            except EngineError as exc:
                error = exc
        assert error is not None
        raise error


async def summarize_chat(
    summarizer: Summarizer,
    lines: Sequence[ChatLine],
    *,
    max_sentences: int | None = None,
    max_words: int | None = None,
    lang: str | None = None,
) -> Summary:
    """Summarize chat messages with any summarizer.

    Engines with a `summarize_conversation` method (all built-in ones) get the messages
    themselves; others get the `author: message` transcript as plain text.
    """
    method = getattr(summarizer, "summarize_conversation", None)
    if method is not None:
        result: Summary = await method(
            lines, max_sentences=max_sentences, max_words=max_words, lang=lang
        )
        return result
    return await summarizer.summarize(
        format_transcript(lines), max_sentences=max_sentences, max_words=max_words, lang=lang
    )
