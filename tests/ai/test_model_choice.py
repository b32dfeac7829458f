"""Which model a server gets: the operator's default, or a choice from the allow list."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.ai.models import llamacpp_available
from bot.config import Config
from bot.core.errors import SohbetError
from bot.providers import ModelChoice
from tests.conftest import isolate_environment

OLLAMA = "http://127.0.0.1:11434/v1"


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_environment(monkeypatch, tmp_path)


def choice(**config: object) -> ModelChoice:
    return ModelChoice(Config(**config))  # type: ignore[arg-type]


def test_the_default_is_the_operators() -> None:
    cfg = choice(model_provider="openai", model_name="llama3.2", model_base_url=OLLAMA).resolve({})
    assert (cfg.provider, cfg.model, cfg.base_url) == ("openai", "llama3.2", OLLAMA)
    bundled = choice().resolve({"provider": "", "model": "", "temperature": None})
    # "auto": llama.cpp for the bundled GGUF when llama-cpp-python is installed.
    fastest = "llamacpp" if llamacpp_available() else "transformers"
    assert (bundled.provider, bundled.model) == (fastest, "demo")
    explicit = choice(model_provider="transformers").resolve({})
    assert explicit.provider == "transformers"


def test_auto_picks_the_runtime_per_model() -> None:
    models = choice(allowed_models=["HuggingFaceTB/SmolLM2-360M-Instruct"])
    hub = models.resolve({"model": "HuggingFaceTB/SmolLM2-360M-Instruct"})
    assert hub.provider == "transformers"  # not a GGUF: llama.cpp can't load it


def test_sampling_settings_apply_without_the_allow_list() -> None:
    cfg = choice().resolve({"temperature": 0.0, "max_new_tokens": 64})
    assert (cfg.temperature, cfg.max_new_tokens) == (0.0, 64)


def test_models_of_the_default_provider_from_the_allow_list() -> None:
    models = choice(
        model_provider="openai",
        model_base_url=OLLAMA,
        model_name="llama3.2",
        allowed_models=["qwen2.5:7b", "openai:gpt-4o-mini"],
    )
    cfg = models.resolve({"model": "qwen2.5:7b"})  # an Ollama tag, not a provider prefix
    assert (cfg.provider, cfg.model, cfg.base_url) == ("openai", "qwen2.5:7b", OLLAMA)
    assert models.resolve({"model": "gpt-4o-mini"}).model == "gpt-4o-mini"
    with pytest.raises(SohbetError) as refused:
        models.resolve({"model": "gpt-5"})
    assert "`gpt-5` isn't allowed here" in refused.value.user_message
    assert "`qwen2.5:7b`, `gpt-4o-mini`" in refused.value.user_message


def test_another_provider_needs_an_entry_naming_it() -> None:
    """A server can't move the bot onto the operator's paid API key by switching provider."""
    models = choice(allowed_models=["HuggingFaceTB/SmolLM2-360M-Instruct"])
    with pytest.raises(SohbetError) as refused:
        models.resolve({"provider": "openai"})
    assert "`openai:demo` isn't allowed" in refused.value.user_message
    with pytest.raises(SohbetError):
        models.resolve({"provider": "openai", "model": "gpt-4o"})
    hub = models.resolve({"model": "HuggingFaceTB/SmolLM2-360M-Instruct"})
    assert (hub.provider, hub.model) == ("transformers", "HuggingFaceTB/SmolLM2-360M-Instruct")

    paid = choice(allowed_models=["openai:gpt-4o-mini"])
    cfg = paid.resolve({"provider": "openai", "model": "gpt-4o-mini"})
    assert (cfg.provider, cfg.model, cfg.base_url) == ("openai", "gpt-4o-mini", None)
    with pytest.raises(SohbetError):
        paid.resolve({"model": "gpt-4o-mini"})  # that model is allowed on openai only
    one_setting = paid.resolve({"provider": "", "model": "openai:gpt-4o-mini"})
    assert (one_setting.provider, one_setting.model) == ("openai", "gpt-4o-mini")
    with pytest.raises(SohbetError) as refused:
        paid.resolve({"model": "openai:gpt-5"})  # a prefix doesn't bypass the list
    assert "`openai:gpt-5` isn't allowed" in refused.value.user_message


def test_nothing_else_is_allowed_by_default() -> None:
    with pytest.raises(SohbetError) as refused:
        choice().resolve({"model": "/etc/passwd.gguf"})
    assert "none (the operator allows no others)" in refused.value.user_message
