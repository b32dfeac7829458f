"""Which local model answers when the operator configured none (`SOHBET_MODEL_NAME` empty).

In order: the model picked with `sohbet models use` (kept in ``<data folder>/model.json``),
else the catalog's default (`bot.ai.catalog.DEFAULT_CHOICE`, chosen by measurement). It is
used when its file is here and llama.cpp can run it; otherwise the bundled demo model answers
and `LocalDefault.reason` says why in one sentence (`sohbet chat` prints it).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from bot.ai.catalog import DEFAULT_CHOICE, DEMO, CatalogModel, find, installed_path

__all__ = ["CHOICE_FILE", "LocalDefault", "choose_model", "chosen_model", "local_default"]

CHOICE_FILE = "model.json"


@dataclass(frozen=True)
class LocalDefault:
    model: str  # the catalog name that answers
    wanted: CatalogModel  # what would answer with everything in place
    reason: str | None  # why the demo answers instead of `wanted` (None: it doesn't)


def chosen_model(data_dir: Path) -> str | None:
    """The catalog name saved by `sohbet models use`, if any."""
    try:
        name = json.loads((data_dir / CHOICE_FILE).read_text()).get("model")
    except (OSError, ValueError, AttributeError):
        return None
    return name if isinstance(name, str) and find(name) is not None else None


def choose_model(data_dir: Path, name: str) -> None:
    """Save `name` as this bot's local model (atomically: a crash leaves the old choice)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    tmp = data_dir / f".{CHOICE_FILE}.tmp"
    tmp.write_text(json.dumps({"model": name}) + "\n")
    os.replace(tmp, data_dir / CHOICE_FILE)


def local_default(data_dir: Path) -> LocalDefault:
    from bot.ai.models import llamacpp_available

    wanted = find(chosen_model(data_dir) or DEFAULT_CHOICE)
    assert wanted is not None, "DEFAULT_CHOICE is a catalog name"
    if wanted.name == DEMO:
        return LocalDefault(DEMO, wanted, None)
    if installed_path(wanted) is None:
        return LocalDefault(DEMO, wanted, (
            f"the model {wanted.name} isn't downloaded yet: `sohbet models pull` fetches it "
            f"({_size(wanted)})"
        ))  # fmt: skip
    if not llamacpp_available():
        return LocalDefault(DEMO, wanted, (
            f"the model {wanted.name} needs the llama.cpp runtime, which isn't installed: "
            "`make llamacpp` builds it"
        ))  # fmt: skip
    return LocalDefault(wanted.name, wanted, None)


def _size(model: CatalogModel) -> str:
    from bot.ai.model_pull import human_size

    return human_size(model.size)
