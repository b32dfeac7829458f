"""Loading a Hugging Face seq2seq model (Marian, NLLB, T5, BART) for an engine.

Blocking: call it in a worker thread. Only local files unless the engine allows the hub.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.nlp.errors import EngineUnavailable

__all__ = ["load_seq2seq"]

log = logging.getLogger(__name__)


def load_seq2seq(
    model_id: str, *, engine: str, device: str, local_files_only: bool
) -> tuple[Any, Any]:
    """(tokenizer, model in eval mode on `device`); `EngineUnavailable` when it can't load."""
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(model_id, local_files_only=local_files_only)
        model = AutoModelForSeq2SeqLM.from_pretrained(model_id, local_files_only=local_files_only)
    except (OSError, ValueError) as exc:
        log.warning("cannot load the %s model %s: %s", engine, model_id, exc)
        raise EngineUnavailable(engine, "its model files could not be loaded") from exc
    model.to(device).eval()
    return tokenizer, model
