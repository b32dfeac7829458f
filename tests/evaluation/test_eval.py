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


async def test_eval_measures_right_answers_and_readiness_follows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    isolate_environment(monkeypatch, tmp_path)
    # A model that always answers the same English sentence: right nowhere.
    config = Config(data_dir=tmp_path / "data", model_provider="fake", model_name=FAKE_REPLY)
    assert await commands.evaluate(config, "chat", 4) == 0
    table = capsys.readouterr().out
    assert "| chat | answers right % | 0.0 | 37.5 (question repeated back %)" in table
    assert "**not 2+ above baseline**" in table
    assert "- chat fails: Turkish right >= 50 %" in table

    cfg = ModelConfig(provider="fake", model=FAKE_REPLY)
    saved = json.loads(eval_file(config.data_dir, cfg).read_text())
    assert saved["readiness"]["chat"]["ready"] is False
    verdict = readiness(cfg, "chat", config.data_dir)
    assert not verdict.ready and "sohbet eval" in verdict.reason
    assert "not met: English right >= 50 %, Turkish right >= 50 %" in verdict.reason

    # The echo model repeats the question: always in the question's language, but right only
    # where the answer was in the question, which is the baseline itself.
    echo = config.model_copy(update={"model_name": "echo"})
    assert await commands.evaluate(echo, "chat", 4, as_json=True) == 0
    result = json.loads(capsys.readouterr().out)["results"][0]
    assert result["details"]["open questions answered in their language %"] == 100.0
    assert result["score"] == result["baseline"] == 37.5 and result["ready"] is False


async def test_a_model_that_answers_right_in_both_languages_is_ready(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from langchain_core.language_models import FakeListChatModel

    from bot.evaluation import run
    from bot.evaluation.chat_facts import chat_items

    isolate_environment(monkeypatch, tmp_path)
    replies = [
        f"The answer is {item.answers[-1]}."
        if item.lang == "en"
        else f"Cevap kesinlikle {item.answers[-1]} olmalı, bunu biliyorum."
        for item in chat_items(4)
    ] + list(run.CHAT_QUESTIONS[:4])  # open questions: answered in their own language
    oracle = FakeListChatModel(responses=replies)
    monkeypatch.setattr(run, "build_chat_model", lambda cfg: oracle)
    config = Config(data_dir=tmp_path / "data", model_provider="fake", model_name="oracle")
    assert await commands.evaluate(config, "chat", 4, as_json=True) == 0
    result = json.loads(capsys.readouterr().out)["results"][0]
    assert result["score"] == 100.0 and result["ready"] is True
    assert result["details"]["Turkish right %"] == 100.0
    assert result["details"]["first token s (median)"] is not None
    assert readiness(ModelConfig(provider="fake", model="oracle"), "chat", config.data_dir).ready


def test_right_answers_are_whole_words_without_case_or_accents() -> None:
    from bot.evaluation.chat_facts import is_right

    assert is_right("Başkent İSTANBUL değil, Ankara'dır.", ["Ankara"])
    assert is_right("Eski adı Konstantinopolis olan şehir İstanbul'dur.", ["Istanbul"])
    assert is_right("Jupiter is the largest.", ["Jüpiter"])
    assert is_right("Oda sıcaklığında sıvı olan metal civadır", ["cıva"]) is False  # one word
    assert is_right("Oda sıcaklığında sıvı olan metal cıva.", ["civa"])
    assert is_right("Su 100 derecede kaynar.", ["10"]) is False
    assert is_right("Cumhuriyet 1923'te kuruldu.", ["1923"])


async def test_eval_refuses_unknown_tasks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    isolate_environment(monkeypatch, tmp_path)
    config = Config(data_dir=tmp_path / "data", model_provider="fake", model_name="echo")
    assert await commands.evaluate(config, "poetry", 3) == 2
    assert (
        "Tasks are documents, translation, summarization, sentiment, chat"
        in capsys.readouterr().err
    )
