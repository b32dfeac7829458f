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
from bot.core.settings import quoted

__all__ = [
    "DisallowedModel",
    "check_loadable",
    "check_model_name",
    "check_task_model",
    "is_hub_id",
]

# Hub ids have at most 96 characters; a longer value is a paste gone wrong, and would reach the
# file system (a stat of a 100 KB name fails) and every refusal that names it.
MAX_MODEL_NAME = 300  # as the task model settings (max_length=300)

_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


class DisallowedModel(SohbetError):
    """The configured task model is empty or not allowed on this bot."""


def check_model_name(model: str) -> None:
    """Refuse a model name too long to be one, before anything looks it up."""
    if len(model) > MAX_MODEL_NAME:
        raise DisallowedModel(
            f"That model name has {len(model):,} characters; a model id or path has at most "
            f"{MAX_MODEL_NAME}."
        )


def is_hub_id(model: str) -> bool:
    if len(model) > MAX_MODEL_NAME or not _HUB_ID.match(model) or ".." in model:
        return False
    return not Path(model).exists()


def check_task_model(model: str, allowed: Sequence[str], *, what: str) -> str:
    """Return the model if a server may use it, else raise `DisallowedModel` saying why."""
    model = model.strip()
    if not model:
        raise DisallowedModel(f"No {what} model is set.")
    check_model_name(model)
    if model in allowed or is_hub_id(model):
        return model
    raise DisallowedModel(
        f"The {what} model {quoted(model, 120)} isn't allowed here. Use a Hugging Face model id "
        "(`organisation/name`), or ask the operator to add the path to `allowed_models`."
    )


def check_loadable(model: str, *, what: str) -> None:
    """Refuse, when it is set, a model that can't load here: a folder that isn't a model, or a
    Hugging Face id that isn't downloaded while Sohbet runs offline (the default)."""
    import os
    from pathlib import Path

    path = Path(model).expanduser()
    if not is_hub_id(model) or path.exists():
        if not (path / "config.json").is_file():
            raise DisallowedModel(
                f"The {what} model `{model}` can't be loaded: there is no model folder "
                "(with a config.json) at that path on this machine."
            )
        return
    if os.environ.get("HF_HUB_OFFLINE", "1") not in ("1", "true", "True", "yes"):
        return  # online: the first use downloads it
    from huggingface_hub import try_to_load_from_cache

    if not isinstance(try_to_load_from_cache(model, "config.json"), str):
        raise DisallowedModel(
            f"The {what} model `{model}` isn't on this machine, and Sohbet runs offline. The "
            "operator can download it once (`HF_HUB_OFFLINE=0 huggingface-cli download "
            f"{model}`) or give the path of a model folder."
        )
