"""`sohbet eval` end to end with deterministic models, and readiness following its verdicts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot import commands
from bot.ai.models import FAKE_REPLY, ModelConfig
from bot.ai.readiness import eval_file, readiness
from bot.config import Config
from tests.conftest import isolate_environment


async def test_eval_measures_chat_language_and_readiness_follows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    isolate_environment(monkeypatch, tmp_path)
    # A model that always answers the same English sentence: Turkish questions get English.
    config = Config(data_dir=tmp_path / "data", model_provider="fake", model_name=FAKE_REPLY)
    assert await commands.evaluate(config, "chat", 4) == 0
    table = capsys.readouterr().out
    assert "| chat | answers in the question's language % | 50.0 | 50.0 (always English %)" in table
    assert "**not 2+ above baseline**" in table

    cfg = ModelConfig(provider="fake", model=FAKE_REPLY)
    saved = json.loads(eval_file(config.data_dir, cfg).read_text())
    assert saved["readiness"]["chat"]["ready"] is False
    verdict = readiness(cfg, "chat", config.data_dir)
    assert not verdict.ready and "sohbet eval" in verdict.reason

    # The echo model repeats the question: always in the question's language.
    echo = config.model_copy(update={"model_name": "echo"})
    assert await commands.evaluate(echo, "chat", 4, as_json=True) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["results"][0]["score"] == 100.0 and report["results"][0]["ready"] is True
    assert readiness(ModelConfig(provider="fake", model="echo"), "chat", config.data_dir).ready


async def test_eval_refuses_unknown_tasks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    isolate_environment(monkeypatch, tmp_path)
    config = Config(data_dir=tmp_path / "data", model_provider="fake", model_name="echo")
    assert await commands.evaluate(config, "poetry", 3) == 2
    assert "Tasks are documents, translation, summarization, sentiment, chat" in capsys.readouterr().err
