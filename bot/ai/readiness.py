"""Which AI tasks the active chat model does well enough to be shown as that task's answer.

A task whose measured score with a model is below its trivial baseline (copying the source for
translation, the question repeated back for chat, the closest passage for documents) is not
"ready": the plugin says so in one sentence and how to set up a model that can, instead of
showing garbage as a translation.

Where a verdict comes from, first found:
1. the operator's own `sohbet eval` of this model, saved under the data folder;
2. for the catalog's models (`sohbet models list`), the verdicts measured for them with
   `sohbet eval` on a 2-core machine (bench/results/default_model.md), shipped as
   bot/ai/data/catalog_readiness.json;
3. summarization and sentiment: their default engines don't use the chat model (extractive
   summaries, the offline classifier), so they are ready with any model;
4. otherwise the task is *not measured*: it is allowed (the operator chose this model), but
   `/ai status` and `sohbet doctor` show ❔ instead of ✅ until `sohbet eval` measures it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

from bot.ai.models import LOCAL_PROVIDERS, ModelConfig
from bot.i18n import N_

__all__ = [
    "NOT_MEASURED",
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

# Tasks whose default engine doesn't use the chat model (measured in bench/results/
# translate_summarize.md and sentiment.md).
_ENGINE_TASKS: dict[Task, str] = {
    "summarization": N_("extractive engine by default (no model needed)"),
    "sentiment": N_("offline multilingual classifier by default (no model needed)"),
}
# English constants, translated where they are shown (`_(reason)`, /ai status).
NOT_MEASURED = N_("not measured with this model; `sohbet eval` measures it")

SETUP_HINT = N_(
    "The operator can plug in a real model: Ollama or any OpenAI-compatible server "
    "(`SOHBET_MODEL_PROVIDER=openai`, `SOHBET_MODEL_BASE_URL`, `SOHBET_MODEL_NAME`)"
)


@dataclass(frozen=True)
class Readiness:
    task: Task
    ready: bool  # plugins may show the model's answer for this task
    reason: str
    measured: bool = True  # False: allowed, but nobody measured it with this model

    @property
    def mark(self) -> str:
        """✅ only for a task this model passed when measured; ⚠️ failed; ❔ not measured."""
        if not self.measured:
            return "❔"
        return "✅" if self.ready else "⚠️"


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


@lru_cache(maxsize=1)
def _shipped() -> dict[str, dict[str, dict[str, object]]]:
    """Verdicts measured for the catalog's models (see the module docstring, 2.)."""
    raw = resources.files("bot.ai").joinpath("data/catalog_readiness.json").read_text("utf-8")
    verdicts: dict[str, dict[str, dict[str, object]]] = json.loads(raw)["models"]
    return verdicts


def _catalog_entry(cfg: ModelConfig) -> dict[str, dict[str, object]]:
    from bot.ai.catalog import find

    if cfg.provider not in (*LOCAL_PROVIDERS, "auto"):
        return {}
    model = find(cfg.model)
    return _shipped().get(model.name, {}) if model is not None else {}


def readiness(cfg: ModelConfig, task: Task, data_dir: Path | None = None) -> Readiness:
    """Measured readiness of `task` with `cfg` (see the module docstring for the order)."""
    for verdicts in (_saved(data_dir, cfg) if data_dir is not None else {}, _catalog_entry(cfg)):
        entry = verdicts.get(task)
        if isinstance(entry, dict) and "ready" in entry:
            return Readiness(task, bool(entry["ready"]), str(entry.get("reason", "")))
    if task in _ENGINE_TASKS:
        return Readiness(task, True, _ENGINE_TASKS[task])
    return Readiness(task, True, NOT_MEASURED, measured=False)


def readiness_table(cfg: ModelConfig, data_dir: Path | None = None) -> list[Readiness]:
    return [readiness(cfg, task, data_dir) for task in TASKS]
