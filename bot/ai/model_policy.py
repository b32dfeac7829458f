"""Which task models (seq2seq, classifiers) a server admin may point a plugin at.

A Hugging Face id is fine: it loads from the local cache, and is only downloaded when the
operator allows hub access (`HF_HUB_OFFLINE=0`). A path on the bot's machine is only fine when
the operator listed it in `allowed_models`, so admins can't make the bot load arbitrary files.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from bot.core.errors import SohbetError

__all__ = ["DisallowedModel", "check_task_model", "is_hub_id"]

_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


class DisallowedModel(SohbetError):
    """The configured task model is empty or not allowed on this bot."""


def is_hub_id(model: str) -> bool:
    return bool(_HUB_ID.match(model)) and ".." not in model and not Path(model).exists()


def check_task_model(model: str, allowed: Sequence[str], *, what: str) -> str:
    """Return the model if a server may use it, else raise `DisallowedModel` saying why."""
    model = model.strip()
    if not model:
        raise DisallowedModel(f"No {what} model is set.")
    if model in allowed or is_hub_id(model):
        return model
    raise DisallowedModel(
        f"The {what} model `{model}` isn't allowed here. Use a Hugging Face model id "
        "(`organisation/name`), or ask the operator to add the path to `allowed_models`."
    )
