"""Typed settings of the translate plugin (defaults here; overrides per server and channel)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from bot.core import ALLOWED_MODEL, PluginSettings
from bot.nlp import UnknownLanguage, normalize_language

__all__ = ["MAX_INPUT_CHARS", "TranslateSettings"]

# The longest text /translate takes: the command option tells members this limit and the
# setting defaults to it and cannot exceed it, so the limit shown is the limit applied.
MAX_INPUT_CHARS = 4000


class TranslateSettings(PluginSettings):
    engine: Literal["chat", "seq2seq"] = Field(
        "chat",
        description="`chat`: this server's AI model; `seq2seq`: the translation model below",
    )
    seq2seq_model: str = Field(
        "",
        max_length=300,
        description=(
            "Translation model for the `seq2seq` engine (Opus-MT, NLLB, M2M-100): a Hugging "
            "Face id already on this machine, or a path the operator allows"
        ),
    )
    fallback: bool = Field(
        True, description="When the seq2seq model is missing or fails, the chat model answers"
    )
    model: Annotated[str, ALLOWED_MODEL] = Field(
        "", description="Chat model for translations here (empty: the server's `ai` model)"
    )
    default_target: str = Field("en", description="Language to translate into when none is given")
    max_input_chars: int = Field(
        MAX_INPUT_CHARS,
        ge=50,
        le=MAX_INPUT_CHARS,
        description="Longest text accepted, in characters",
    )
    timeout_s: float = Field(
        120.0, gt=0, le=900, description="Seconds an engine may take before it is stopped"
    )

    @field_validator("default_target")
    @classmethod
    def _language_code(cls, value: str) -> str:
        try:
            return normalize_language(value)
        except UnknownLanguage as exc:  # pydantic reports ValueError as a validation error
            raise ValueError(exc.user_message) from None

    @field_validator("seq2seq_model", "model")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()
