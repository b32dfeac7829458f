"""The GGUF file the model benchmarks load by default: the catalog's default model where
`sohbet models pull` put it ($SOHBET_BENCH_GGUF overrides)."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["default_gguf"]


def default_gguf() -> Path | None:
    if os.environ.get("SOHBET_BENCH_GGUF"):
        return Path(os.environ["SOHBET_BENCH_GGUF"])
    from bot.ai.catalog import DEFAULT_CHOICE, find, installed_path

    entry = find(DEFAULT_CHOICE)
    return installed_path(entry) if entry is not None else None
