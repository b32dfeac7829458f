"""Language tools shared by plugins: detection, names and codes, sentences, chunking, metrics."""

from __future__ import annotations

from bot.nlp.errors import (
    EmptyText,
    EngineError,
    EngineFailed,
    EngineTimeout,
    EngineUnavailable,
    InputTooLong,
    InvalidRequest,
    LanguageNotDetected,
    NlpError,
    UnknownLanguage,
    UnsupportedLanguage,
)
from bot.nlp.langdetect import Detected, detect_language, detect_language_sync
from bot.nlp.languages import language_name, normalize_language
from bot.nlp.sentences import sentence_spans, split_sentences

__all__ = [
    "Detected",
    "EmptyText",
    "EngineError",
    "EngineFailed",
    "EngineTimeout",
    "EngineUnavailable",
    "InputTooLong",
    "InvalidRequest",
    "LanguageNotDetected",
    "NlpError",
    "UnknownLanguage",
    "UnsupportedLanguage",
    "detect_language",
    "detect_language_sync",
    "language_name",
    "normalize_language",
    "sentence_spans",
    "split_sentences",
]
