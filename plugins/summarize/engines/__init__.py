"""Summarization engines: extractive LexRank (default, no model), the configured chat model
(map-reduce for long texts) and transformers summarization models by hub id or local path."""

from __future__ import annotations

from langchain_core.language_models import BaseChatModel

from plugins.summarize.engines.base import (
    BaseSummarizer,
    FallbackSummarizer,
    Length,
    Summarizer,
    Summary,
    summarize_chat,
)
from plugins.summarize.engines.chat import ChatModelSummarizer
from plugins.summarize.engines.conversation import ChatLine, format_transcript, latest_within
from plugins.summarize.engines.extractive import ExtractiveSummarizer
from plugins.summarize.engines.seq2seq import Seq2SeqSummarizer

__all__ = [
    "BaseSummarizer",
    "ChatLine",
    "ChatModelSummarizer",
    "ExtractiveSummarizer",
    "FallbackSummarizer",
    "Length",
    "Seq2SeqSummarizer",
    "Summarizer",
    "Summary",
    "build_summarizer",
    "format_transcript",
    "latest_within",
    "summarize_chat",
]


def build_summarizer(
    engine: str = "extractive",
    *,
    chat_model: BaseChatModel | None = None,
    seq2seq_model: str | None = None,
) -> Summarizer:
    """The summarizer for a setting value: `extractive` (default), `chat` or `seq2seq`.

    `chat` and `seq2seq` fall back to the extractive engine when their model is missing,
    fails or times out, so a summary always comes back.
    """
    extractive = ExtractiveSummarizer()
    if engine == "extractive":
        return extractive
    if engine == "chat" and chat_model is not None:
        return FallbackSummarizer([ChatModelSummarizer(chat_model), extractive])
    if engine == "seq2seq" and seq2seq_model:
        return FallbackSummarizer([Seq2SeqSummarizer(seq2seq_model), extractive])
    raise ValueError(f"cannot build summarizer {engine!r}: missing model or unknown engine")
