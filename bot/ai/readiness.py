"""Which AI tasks the active chat model does well enough to be shown as that task's answer.

A task whose measured score with a model is below its trivial baseline (copying the source for
translation, the majority class for sentiment) is not "ready": the plugin says so in one
sentence and how to set up a model that can, instead of showing garbage as a translation.

Measured for the bundled SmolLM2-135M-Instruct by `sohbet eval` (bench/results/eval.md):
translation level with copying the source, answers from documents no better than without
them, the LLM sentiment engine below the majority class. Other models count as ready unless
an operator's evaluation (`sohbet eval`, saved under the data folder) measured otherwise.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from bot.ai.models import LOCAL_PROVIDERS, ModelConfig

__all__ = [
    "TASKS",
    "Readiness",
    "eval_file",
    "eval_folder",
    "is_bundled",
    "llm_sentiment_preferred",
    "readiness",
    "readiness_table",
]

Task = Literal["chat", "translation", "summarization", "sentiment", "documents"]
TASKS: tuple[Task, ...] = ("chat", "translation", "summarization", "sentiment", "documents")

# The bundled demo model, measured against each task's baseline (see the module docstring).
_BUNDLED: dict[Task, tuple[bool, str]] = {
    "chat": (True, "small demo model: short English replies; weak in Turkish"),
    "translation": (False, "chrF below copying the source on every pair measured"),
    "summarization": (True, "extractive engine by default (no model needed)"),
    "sentiment": (True, "offline multilingual classifier by default; the model is at chance"),
    "documents": (
        False,
        "its answers from documents held the answer 0 % of the time, the closest passage "
        "87.5 %: /ask quotes the passage instead",
    ),
}

SETUP_HINT = (
    "The operator can plug in a real model: Ollama or any OpenAI-compatible server "
    "(`SOHBET_MODEL_PROVIDER=openai`, `SOHBET_MODEL_BASE_URL`, `SOHBET_MODEL_NAME`)"
)


@dataclass(frozen=True)
class Readiness:
    task: Task
    ready: bool
    reason: str


def is_bundled(cfg: ModelConfig) -> bool:
    """The small offline demo model that ships with Sohbet."""
    from bot.ai.catalog import DEMO, find

    entry = find(cfg.model)
    return cfg.provider in (*LOCAL_PROVIDERS, "auto") and entry is not None and entry.name == DEMO


def eval_folder(data_dir: Path) -> Path:
    return data_dir / "eval"


def eval_file(data_dir: Path, cfg: ModelConfig) -> Path:
    """Where `sohbet eval` keeps its verdicts for a model."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in f"{cfg.provider}_{cfg.model}")
    return eval_folder(data_dir) / f"{safe}.json"


def _saved(data_dir: Path, cfg: ModelConfig) -> dict[str, dict[str, object]]:
    try:
        verdicts = json.loads(eval_file(data_dir, cfg).read_text())["readiness"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    return verdicts if isinstance(verdicts, dict) else {}


def llm_sentiment_preferred(cfg: ModelConfig, data_dir: Path) -> bool:
    """True when `sohbet eval` measured the model's sentiment answers clearly above the
    offline default engine on the same texts; never without a measurement."""
    entry = _saved(data_dir, cfg).get("sentiment (llm better than default)")
    return isinstance(entry, dict) and entry.get("ready") is True


def readiness(cfg: ModelConfig, task: Task, data_dir: Path | None = None) -> Readiness:
    """Measured readiness of `task` with `cfg`: a saved evaluation first, else what is known."""
    entry = _saved(data_dir, cfg).get(task) if data_dir is not None else None
    if isinstance(entry, dict) and "ready" in entry:
        return Readiness(task, bool(entry["ready"]), str(entry.get("reason", "")))
    if is_bundled(cfg):
        ready, reason = _BUNDLED[task]
        return Readiness(task, ready, reason)
    return Readiness(task, True, "not measured here; run `sohbet eval` to measure it")


def readiness_table(cfg: ModelConfig, data_dir: Path | None = None) -> list[Readiness]:
    return [readiness(cfg, task, data_dir) for task in TASKS]
