"""Embeddings from a server speaking the OpenAI ``/v1/embeddings`` API (Ollama, llama.cpp, vLLM...).

``SOHBET_EMBEDDING_MODEL=openai:nomic-embed-text`` with ``SOHBET_EMBEDDING_BASE_URL`` names the
model and the server. Texts go in batches, each request with a timeout and retries with backoff
(LangChain's ``OpenAIEmbeddings`` over the ``openai`` client). When the server stays down or answers
with vectors of the wrong size, one clear :class:`EmbeddingError` is raised and *no* vector of the
call is returned, so a caller never writes half of a document.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from langchain_openai import OpenAIEmbeddings
from pydantic import SecretStr

from bot.ai.embeddings_backends import EmbeddingError

__all__ = ["PREFIX", "RemoteEmbedder", "remote_model_name"]

PREFIX = "openai:"


def remote_model_name(setting: str) -> str | None:
    """``openai:nomic-embed-text`` -> ``nomic-embed-text``; anything else -> None."""
    setting = setting.strip()
    if not setting.startswith(PREFIX):
        return None
    return setting[len(PREFIX) :].strip() or None


class RemoteEmbedder:
    """Our ``Embedder`` for a remote OpenAI-compatible embeddings endpoint."""

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        dimension: int,
        batch_size: int = 32,
        timeout_s: float = 30.0,
        retries: int = 2,
        api_key: str | None = None,
    ) -> None:
        base_url = base_url or os.environ.get("SOHBET_EMBEDDING_BASE_URL", "")
        if not base_url:
            raise EmbeddingError(
                "Remote embeddings need the server's address: set SOHBET_EMBEDDING_BASE_URL "
                "(e.g. http://127.0.0.1:11434/v1)."
            )
        self.model = model
        self.base_url = base_url
        self.dimension = dimension
        # The collection name carries it, so vectors of two embedders never share a collection.
        self.name = f"openai:{model}"
        key = api_key or os.environ.get("SOHBET_EMBEDDING_API_KEY") or "unused"  # local servers
        self._embeddings = OpenAIEmbeddings(
            model=model,
            openai_api_base=base_url,
            openai_api_key=SecretStr(key),
            chunk_size=batch_size,
            request_timeout=timeout_s,
            max_retries=retries,  # the openai client backs off exponentially between tries
            # Token-based splitting needs tiktoken's downloaded vocabularies; send plain text.
            check_embedding_ctx_length=False,
        )

    @classmethod
    async def connect(cls, model: str, *, base_url: str | None = None) -> RemoteEmbedder:
        """An embedder whose dimension is what the server's model returns (asked once)."""
        embedder = cls(model, base_url=base_url, dimension=0)
        try:
            probe = await embedder._embeddings.aembed_query("dimension probe")
        except Exception as exc:
            raise EmbeddingError(
                f"The embeddings server at {embedder.base_url} did not answer "
                f"({type(exc).__name__}); documents can't be added or searched until it does."
            ) from exc
        embedder.dimension = len(probe)
        return embedder

    async def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        try:
            vectors = await self._embeddings.aembed_documents(list(texts))
        except Exception as exc:  # openai's APIConnectionError, APITimeoutError, APIStatusError...
            raise EmbeddingError(
                f"The embeddings server at {self.base_url} did not answer ({type(exc).__name__}); "
                "ingestion is paused and nothing was written. It resumes once the server is back."
            ) from exc
        if len(vectors) != len(texts):
            raise EmbeddingError(
                f"The embeddings server returned {len(vectors)} vectors for {len(texts)} texts."
            )
        for vector in vectors:
            if len(vector) != self.dimension:
                raise EmbeddingError(
                    f"The embeddings server's model `{self.model}` returns "
                    f"{len(vector)}-d vectors, not the configured {self.dimension}: "
                    "set the dimension the model really has (documents embedded with another "
                    "model must be uploaded again)."
                )
        return vectors

    async def embed_query(self, text: str) -> list[float]:
        return (await self.embed_documents([text]))[0]

    def __repr__(self) -> str:
        return f"RemoteEmbedder({self.model!r}, {self.base_url!r}, dim={self.dimension})"
