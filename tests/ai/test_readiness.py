"""Readiness: ✅ only for tasks a model passed when measured, ❔ for tasks nobody measured."""

from __future__ import annotations

import json
from pathlib import Path

from bot.ai.models import ModelConfig
from bot.ai.readiness import NOT_MEASURED, eval_file, readiness, readiness_table


def test_an_unmeasured_model_is_allowed_but_not_ticked(tmp_path: Path) -> None:
    cfg = ModelConfig(provider="openai", model="llama3.2", base_url="http://127.0.0.1:11434/v1")
    table = {r.task: r for r in readiness_table(cfg, tmp_path)}
    assert table["chat"].ready and not table["chat"].measured
    assert table["chat"].mark == "❔" and table["chat"].reason == NOT_MEASURED
    # The default summary and sentiment engines don't use the model.
    assert table["summarization"].mark == "✅" and table["sentiment"].mark == "✅"


def test_the_demo_model_carries_its_measured_verdicts(tmp_path: Path) -> None:
    for name in ("demo", "smollm2"):
        verdict = readiness(ModelConfig(provider="llamacpp", model=name), "translation", tmp_path)
        assert verdict.mark == "⚠️" and not verdict.ready and "chrF" in verdict.reason


def test_the_operators_own_evaluation_comes_first(tmp_path: Path) -> None:
    cfg = ModelConfig(provider="llamacpp", model="demo")
    path = eval_file(tmp_path, cfg)
    path.parent.mkdir(parents=True)
    reason = "chrF 50.0 vs copy-source chrF 20.0 (sohbet eval, n=8)"
    path.write_text(json.dumps({"readiness": {"translation": {"ready": True, "reason": reason}}}))
    verdict = readiness(cfg, "translation", tmp_path)
    assert (verdict.mark, verdict.reason) == ("✅", reason)
