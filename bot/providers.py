"""Shared AI services, created lazily: chat models (with usage accounting), embedder, vectors."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, get_args

from langchain_core.messages import BaseMessage

from bot.ai.base import Embedder
from bot.ai.errors import ModelTimeoutError
from bot.ai.model_policy import check_loadable, check_model_name, check_task_model
from bot.ai.models import ModelConfig, Provider, local_runtime
from bot.ai.runner import ChatRunner, Completion, MessagesLike
from bot.config import Config
from bot.core.errors import SohbetError
from bot.core.settings import quoted
from bot.i18n import _
from bot.vectors import VectorStore, open_vector_store

if TYPE_CHECKING:
    from bot.core.context import Context
    from bot.core.plugin import PluginSettings
    from bot.store.database import Store

__all__ = ["AIProviders", "ModelChoice", "check_model_setting"]

log = logging.getLogger(__name__)


class ModelChoice:
    """Turns process config + per-server choices into a ModelConfig, safely.

    Endpoints and keys come only from the operator's configuration: a server admin can pick a
    provider/model from the operator's allow list (`allowed_models`), never point the bot's
    key at another URL. An entry is a model of the default provider (``llama3.2``,
    ``HuggingFaceTB/SmolLM2-360M-Instruct``) or ``provider:model`` for another provider
    (``openai:gpt-4o-mini``); Ollama tags such as ``qwen2.5:7b`` stay plain model names.
    """

    def __init__(self, config: Config) -> None:
        self.config = config

    def default(self) -> ModelConfig:
        model = self.config.model_name or self.local_default_name()
        return ModelConfig(
            provider=self.concrete(self.config.model_provider, model),
            model=model,
            base_url=self.config.model_base_url,
            timeout_s=self.config.model_timeout_s,
            queue_timeout_s=self.config.model_queue_timeout_s,
            temperature=self.config.model_temperature,
        )

    def local_default_name(self) -> str:
        """The model when none is configured: for a local provider, the pulled default or the
        `sohbet models use` choice (`bot.ai.local_default`); "" (the provider's own) else."""
        if self.config.model_base_url or self.config.model_provider not in _LOCAL_CHOICES:
            return ""
        from bot.ai.local_default import local_default

        return local_default(self.config.data_dir).model

    @staticmethod
    def concrete(provider: str, model: str) -> Provider:
        """``auto`` (the operator's default) made concrete for `model`: the fastest installed
        local runtime for it (`local_runtime`); a found local server was applied at start."""
        if provider == "auto":
            return local_runtime(model)
        assert provider in _PROVIDERS, provider
        return provider  # type: ignore[return-value]

    def _label(self, provider: str, model: str) -> str:
        """How the allow list spells a choice: plain for the operator's provider."""
        plain = provider == self.concrete(self.config.model_provider, model)
        return model if plain else f"{provider}:{model}"

    def allowed(self) -> list[tuple[str, str]]:
        """The operator's allow list as (provider, model) pairs."""
        pairs = []
        for entry in self.config.allowed_models:
            prefix, _sep, rest = entry.partition(":")
            if rest and prefix in _PROVIDERS:
                pairs.append((prefix, rest.strip()))
            else:
                model = entry.strip()
                pairs.append((self.concrete(self.config.model_provider, model), model))
        return pairs

    def resolve(self, overrides: dict[str, Any]) -> ModelConfig:
        base = self.default()
        wanted = {k: v for k, v in overrides.items() if v not in (None, "")}
        provider = wanted.pop("provider", None)
        model = str(wanted.pop("model", None) or base.model).strip()
        prefix, _sep, rest = model.partition(":")
        if rest.strip() and prefix in _PROVIDERS:  # "openai:gpt-4o-mini" names its provider
            provider, model = prefix, rest.strip()
        check_model_name(model)
        if not provider:  # the operator's provider; "auto" picks the runtime for this model
            provider = self.concrete(self.config.model_provider, model)
        if (provider, model) != (base.provider, base.model):
            allowed = self.allowed()
            if (provider, model) not in allowed:
                listing = ", ".join(f"`{self._label(p, m)}`" for p, m in allowed)
                what = quoted(self._label(provider, model), 120)
                raise SohbetError(
                    _(
                        "The model {model} isn't allowed here. Allowed besides the default: "
                        "{allowed}.",
                        model=what,
                        allowed=listing or _("none (the operator allows no others)"),
                    )
                )
        return base.model_copy(update={"provider": provider, "model": model, **wanted})


_PROVIDERS = frozenset(get_args(Provider))
# Providers that get the pulled default model when none is named; `transformers` keeps the
# demo (it would dequantize a large GGUF to float32: slow and memory-hungry).
_LOCAL_CHOICES = frozenset({"auto", "llamacpp"})


# bot_state key: the embedding setting the stored vectors were made with.
ACTIVE_EMBEDDING_KEY = "vectors.embedding_model"


def collection_name(embedder: str, dimension: int) -> str:
    """One collection per embedder (name and dimension): vectors of two models never mix."""
    safe = re.sub(r"[^A-Za-z0-9_]", "_", embedder)
    return f"sohbet_chunks_{safe}_{dimension}"


class AIProviders:
    def __init__(self, config: Config, store: Store) -> None:
        self.config = config
        self.store = store
        self.runner = ChatRunner()
        self.models = ModelChoice(config)
        self._embedder: Embedder | None = None
        self._vectors: VectorStore | None = None
        self._lock = asyncio.Lock()

    async def embedder(self) -> Embedder:
        """The embedder the stored vectors were made with (see `serving_embedding_model`)."""
        if self._embedder is None:
            setting = await self.serving_embedding_model()
            async with self._lock:
                if self._embedder is None:
                    self._embedder = await self.load_embedder(setting)
        return self._embedder

    async def load_embedder(self, setting: str) -> Embedder:
        """An embedder from its setting: "" (bundled), a model id/folder, or openai:NAME."""
        from bot.ai.embeddings import EmbeddingConfig, load_embedder
        from bot.ai.embeddings_remote import RemoteEmbedder, remote_model_name

        remote = remote_model_name(setting)
        if remote is not None:  # an embeddings server (Ollama, vLLM, TEI...)
            return await RemoteEmbedder.connect(remote, base_url=self.config.embedding_base_url)
        return await load_embedder(EmbeddingConfig.from_setting(setting))

    async def serving_embedding_model(self) -> str:
        """The embedding setting the stored documents are indexed with.

        Recorded on first use. When the operator configures another embedder, the documents
        keep being served with the recorded one (a query must be embedded like its chunks)
        until `sohbet vectors reindex` has re-embedded them all and records the new one.
        """
        configured = self.config.embedding_model
        try:
            active = await self.store.state.get(ACTIVE_EMBEDDING_KEY)
            if active is None:
                await self.store.state.set(ACTIVE_EMBEDDING_KEY, configured)
                return configured
        except SohbetError:  # database down: the configured one (the usual case anyway)
            return configured
        if active != configured:
            log.warning(
                "the documents are indexed with embedding model %r, not the configured %r: "
                "serving them with %r until `sohbet vectors reindex` completes",
                active or "(bundled)",
                configured or "(bundled)",
                active or "(bundled)",
            )
        return active

    async def vectors(self) -> VectorStore:
        if self._vectors is None:
            embedder = await self.embedder()
            async with self._lock:
                if self._vectors is None:
                    self._vectors = await open_vector_store(
                        self.config.qdrant_url,
                        self.config.data_dir / "vectors",
                        embedder.dimension,
                        collection=collection_name(embedder.name, embedder.dimension),
                    )
        return self._vectors

    def status_lines(self, cfg: ModelConfig) -> list[str]:
        """What `/ai status` says about where `cfg` runs: a local server found at start, or the
        in-process model's queue."""
        from bot.config import mask_url

        lines = []
        found = self.config.model_server
        if found and cfg.provider == "openai" and cfg.base_url == self.config.model_base_url:
            where = mask_url(cfg.base_url or "")
            served = _(
                "Served by: the local {server} at {url} (found at start)", server=found, url=where
            )
            lines.append(served)
        if cfg.is_local:
            waiting, busy = self.runner.queue_length(cfg)
            if busy:
                lines.append(
                    _("Local model queue: {n} waiting (answering one request)", n=waiting)
                )
            else:
                lines.append(_("Local model queue: {n} waiting (idle)", n=waiting))
        return lines

    async def model_for(self, ctx: Context) -> ModelConfig:
        """The model this server/channel uses (the `ai` plugin's settings)."""
        return await self.check_choice(ctx, model=getattr(ctx.settings, "model", "") or None)

    async def check_choice(
        self, ctx: Context, *, provider: str | None = None, model: str | None = None
    ) -> ModelConfig:
        """The model `ctx` would use with `provider`/`model` in place of the `ai` plugin's;
        raises the friendly refusal when the operator doesn't allow it."""
        overrides = await self._ai_settings(ctx)
        if provider is not None:
            overrides["provider"] = provider
        if model:
            overrides["model"] = model
        return self.models.resolve(
            {k: overrides.get(k) for k in ("provider", "model", "temperature", "max_new_tokens")}
        )

    @staticmethod
    async def _ai_settings(ctx: Context) -> dict[str, Any]:
        from bot.core.registry import PluginRegistry

        ai_plugin = ctx.services.get("registry", PluginRegistry).plugins.get("ai")
        if ai_plugin is None:
            return {}
        settings = await ctx.services.settings.resolve(
            type(ai_plugin), ctx.server_id, ctx.location.effective_channel_id
        )
        return settings.model_dump()

    async def stream(
        self, messages: MessagesLike, cfg: ModelConfig, *, server_id: int, user_id: int
    ) -> AsyncIterator[str]:
        """Stream an answer; its token usage is recorded when it ends (failures: their
        outcome and latency only)."""
        stream = self.runner.stream(messages, cfg, who=(server_id, user_id))
        started = time.perf_counter()
        outcome = "cancelled"  # unless it ends or fails: the reader stopped (or was cancelled)
        try:
            async for piece in stream:
                yield piece
            outcome = "ok"
        except ModelTimeoutError:
            outcome = "timeout"
            raise
        except Exception:
            outcome = "error"
            raise
        finally:
            await stream.aclose()
            if stream.completion is not None:
                await self._record(stream.completion, server_id, user_id)
            else:
                _record_failure(cfg, time.perf_counter() - started, outcome)

    async def complete(
        self, messages: MessagesLike, cfg: ModelConfig, *, server_id: int, user_id: int
    ) -> Completion:
        started = time.perf_counter()
        try:
            completion = await self.runner.complete(messages, cfg, who=(server_id, user_id))
        except BaseException as exc:
            outcome = "timeout" if isinstance(exc, ModelTimeoutError) else "error"
            if isinstance(exc, asyncio.CancelledError):
                outcome = "cancelled"
            _record_failure(cfg, time.perf_counter() - started, outcome)
            raise
        await self._record(completion, server_id, user_id)
        return completion

    async def stream_for(
        self, ctx: Context, messages: list[BaseMessage], *, max_new_tokens: int | None = None
    ) -> AsyncIterator[str]:
        """Stream with the model configured for the caller's server and channel; at most
        `max_new_tokens` (a task's own cap: short answers end sooner on a small CPU)."""
        cfg = await self.model_for(ctx)
        if max_new_tokens is not None and max_new_tokens < cfg.max_new_tokens:
            cfg = cfg.model_copy(update={"max_new_tokens": max_new_tokens})
        async for piece in self.stream(
            messages, cfg, server_id=ctx.server_id, user_id=ctx.author.id
        ):
            yield piece

    async def _record(self, completion: Completion, server_id: int, user_id: int) -> None:
        try:
            await self.store.usage.add(
                server_id, user_id, completion.tokens_in, completion.tokens_out
            )
        except SohbetError:
            log.warning("usage not recorded: database unavailable")
        try:
            from bot.observability.metrics import record_model_call

            record_model_call(
                completion.provider,
                completion.model,
                completion.seconds,
                completion.tokens_in,
                completion.tokens_out,
                "ok",
            )
        except ImportError:
            pass

    async def close(self) -> None:
        if self._vectors is not None:
            await self._vectors.close()


def _record_failure(cfg: ModelConfig, seconds: float, outcome: str) -> None:
    from bot.observability.metrics import record_model_call

    record_model_call(cfg.provider, cfg.model or "default", seconds, outcome=outcome)


async def check_model_setting(
    ctx: Context, key: str, settings: PluginSettings, *, task_field: str = "", task: str = ""
) -> None:
    """Refuse a model the operator doesn't allow, when an admin changes `key`: the `model`
    setting (a chat model) or `task_field` (a seq2seq/classifier model for `task`)."""
    if key == "model" and (model := str(getattr(settings, "model", "") or "").strip()):
        await ctx.services.get("ai", AIProviders).check_choice(ctx, model=model)
    if task_field and key == task_field and (model := str(getattr(settings, key)).strip()):
        check_task_model(model, ctx.services.config.allowed_models, what=task)
        await asyncio.to_thread(check_loadable, model, what=task)
