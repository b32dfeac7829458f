"""What every translation engine shares: the result type, the protocol and the common steps.

`BaseTranslator.translate` validates the input, normalizes the languages, detects the source
when it isn't given, answers same-language requests without calling a model, and applies the
engine's timeout. Subclasses implement `_translate(text, source, target)` only.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from bot.nlp.errors import EngineError
from bot.nlp.langdetect import detect_language
from bot.nlp.languages import normalize_language
from bot.nlp.runtime import check_input, with_timeout

__all__ = ["BaseTranslator", "FallbackTranslator", "Translation", "Translator"]


@dataclass(frozen=True, slots=True)
class Translation:
    text: str
    source: str  # ISO 639-1 code of the input (given or detected)
    target: str
    engine: str
    same_language: bool = False  # True when the input already was in `target` (no model call)


@runtime_checkable
class Translator(Protocol):
    name: str

    async def translate(self, text: str, target: str, source: str | None = None) -> Translation:
        """Translate `text` into `target` (a code or name); `source` is detected when omitted."""
        ...


class BaseTranslator(ABC):
    """Common steps of all engines. Subclasses set `name` and implement `_translate`."""

    name: str = "translator"

    def __init__(self, *, timeout: float | None = 120.0, max_input_chars: int = 20_000) -> None:
        self.timeout = timeout
        self.max_input_chars = max_input_chars

    async def translate(self, text: str, target: str, source: str | None = None) -> Translation:
        check_input(text, engine=self.name, limit=self.max_input_chars, action="translate")
        target_code = normalize_language(target)
        if source is not None:
            source_code = normalize_language(source)
            confident = True
        else:
            detected = await detect_language(text)  # LanguageNotDetected: nothing to translate
            source_code, confident = detected.code, detected.reliable
        if source_code == target_code and confident:
            return Translation(text, source_code, target_code, self.name, same_language=True)
        self._check_languages(source_code, target_code)
        translated = await with_timeout(
            self._translate(text, source_code, target_code), engine=self.name, seconds=self.timeout
        )
        return Translation(translated, source_code, target_code, self.name)

    def _check_languages(self, source: str, target: str) -> None:  # noqa: B027 - optional hook
        """Raise `UnsupportedLanguage` when this engine can't handle the pair."""

    @abstractmethod
    async def _translate(self, text: str, source: str, target: str) -> str:
        """Translate; `source` and `target` are normalized codes and differ."""


class FallbackTranslator:
    """Tries engines in order; the next one answers when one fails with an `EngineError`.

    Bad input (unknown language, text too long for every engine, ...) is not retried.
    """

    def __init__(self, engines: Sequence[Translator]) -> None:
        if not engines:
            raise ValueError("FallbackTranslator needs at least one engine")
        self.engines = list(engines)
        self.name = "+".join(engine.name for engine in self.engines)

    async def translate(self, text: str, target: str, source: str | None = None) -> Translation:
        error: EngineError | None = None
        for engine in self.engines:
            try:
                return await engine.translate(text, target, source)
            except EngineError as exc:
                error = exc
        assert error is not None
        raise error
