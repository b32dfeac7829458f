"""Typed settings of the summarize plugin (per server, overridable per channel)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from bot.core.plugin import PluginSettings
from bot.core.plugin_types import ALLOWED_MODEL

__all__ = ["Engine", "SummarizeSettings"]

Engine = Literal["extractive", "chat", "seq2seq"]


class SummarizeSettings(PluginSettings):
    engine: Engine = Field(
        "extractive",
        description="extractive (fast, offline, picks key sentences), chat (the chat model) "
        "or seq2seq (a summarization model)",
    )
    model: Annotated[str, ALLOWED_MODEL] = Field(
        "", description="Chat model for the chat engine (empty: the `ai` model)"
    )
    seq2seq_model: str = Field(
        "",
        max_length=300,
        description="Hugging Face id of a summarization model already in the local cache "
        "(e.g. a BART/mT5 model); local paths only if the operator allows them",
    )
    sentences: int = Field(3, ge=1, le=30, description="Most sentences in a summary")
    ratio: float = Field(
        0.0,
        ge=0.0,
        le=1.0,
        description="If above 0: summary length as a share of the input's sentences "
        "(still at most `sentences`)",
    )
    max_messages: int = Field(
        200, ge=1, le=1000, description="Most channel messages read (and the default)"
    )
    max_input_chars: int = Field(
        50_000, ge=1000, le=500_000, description="Longest text summarized at once"
    )
    max_file_mb: float = Field(10.0, gt=0, le=50, description="Largest attached file")
    timeout_s: float = Field(60.0, ge=1, le=900, description="Time limit per summary, seconds")
