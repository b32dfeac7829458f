"""Choosing and limiting the engine for one request.

- `LimitedTranslator` applies one request's size limit and deadline to an engine that is
  shared between servers (a loaded seq2seq model serves everyone; limits differ per server).
- `Seq2SeqPool` keeps the few seq2seq models in use loaded, least recently used dropped first.
- `check_seq2seq_model` keeps server admins to models the operator put on this machine: a
  Hugging Face id loads only from the local cache (never downloaded); a path must be on the
  operator's `allowed_models` list, like chat models.
"""

from __future__ import annotations

from bot.ai.model_policy import check_task_model
from bot.core import SohbetError
from bot.i18n import _
from bot.nlp.runtime import TASK_ENGINES, check_input, with_timeout
from bot.shared.markup import command_ref
from plugins.translate.engines import Seq2SeqTranslator, Translation, Translator

__all__ = ["LimitedTranslator", "Seq2SeqPool", "check_seq2seq_model"]

_NO_LIMIT = 10**9


class LimitedTranslator:
    """Wraps an engine with a maximum input length and a timeout (both as `EngineError`s)."""

    def __init__(self, engine: Translator, *, timeout: float, max_input_chars: int) -> None:
        self.engine = engine
        self.name = engine.name
        self.timeout = timeout
        self.max_input_chars = max_input_chars

    async def translate(self, text: str, target: str, source: str | None = None) -> Translation:
        check_input(text, engine=self.name, limit=self.max_input_chars, action="translate")
        return await with_timeout(
            self.engine.translate(text, target, source), engine=self.name, seconds=self.timeout
        )


class Seq2SeqPool:
    """Loaded seq2seq translators by model id, in the task plugins' shared pool."""

    def get(self, model: str) -> Seq2SeqTranslator:
        # Limits are the request's (LimitedTranslator); the model loads lazily, off the loop.
        return TASK_ENGINES.get(
            "translate",
            model,
            lambda: Seq2SeqTranslator(model, timeout=None, max_input_chars=_NO_LIMIT),
        )

    def clear(self) -> None:
        TASK_ENGINES.drop("translate")


def check_seq2seq_model(model: str, allowed: list[str]) -> str:
    """Return `model` if a server may use it, else raise a `SohbetError` saying why."""
    if not model.strip():
        raise SohbetError(
            _(
                "The `seq2seq` engine needs a model. An admin can set one with {command}, or "
                "switch `engine` back to `chat`.",
                command=command_ref(
                    "plugins config set",
                    plugin="translate",
                    key="seq2seq_model",
                    value="Helsinki-NLP/opus-mt-tr-en",
                ),
            )
        )
    return check_task_model(model, allowed, what="translation")
