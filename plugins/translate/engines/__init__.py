"""Translation engines: a chat model (default, works offline with the configured model) and
transformers seq2seq models (Opus-MT, NLLB, M2M-100) by hub id or local path."""

from __future__ import annotations

from langchain_core.language_models import BaseChatModel

from plugins.translate.engines.base import (
    BaseTranslator,
    FallbackTranslator,
    Translation,
    Translator,
)
from plugins.translate.engines.chat import ChatModelTranslator
from plugins.translate.engines.seq2seq import Seq2SeqTranslator

__all__ = [
    "BaseTranslator",
    "ChatModelTranslator",
    "FallbackTranslator",
    "Seq2SeqTranslator",
    "Translation",
    "Translator",
    "build_translator",
]


def build_translator(chat_model: BaseChatModel, seq2seq_model: str | None = None) -> Translator:
    """The engine to use: the chat model, or a seq2seq model that falls back to the chat model.

    No translation weights ship offline, so the chat model is the default. With
    `seq2seq_model` (hub id or path) that model answers first; when it is missing, fails, times
    out or doesn't cover the language pair, the chat model answers instead.
    """
    chat = ChatModelTranslator(chat_model)
    if not seq2seq_model:
        return chat
    return FallbackTranslator([Seq2SeqTranslator(seq2seq_model), chat])
