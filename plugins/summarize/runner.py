"""Running the configured engine: time limit, fallback to extractive, token accounting.

The extractive engine needs no model and always works, so it is the fallback whenever the
configured `chat` or `seq2seq` engine is missing, fails, times out or the AI budget is spent.
Every engine runs its heavy work in worker threads (see the engines), never on the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from langchain_core.callbacks import AsyncCallbackHandler
from langchain_core.messages import BaseMessage
from langchain_core.outputs import LLMResult

from bot.ai.model_policy import DisallowedModel, check_task_model
from bot.ai.models import ModelConfig
from bot.core.context import Context
from bot.core.errors import SohbetError
from bot.i18n import _
from bot.nlp.errors import EngineError, EngineTimeout, EngineUnavailable
from bot.nlp.runtime import TASK_ENGINES, with_timeout
from bot.providers import AIProviders
from plugins.summarize.engines import (
    ChatModelSummarizer,
    ExtractiveSummarizer,
    Seq2SeqSummarizer,
    Summarizer,
    Summary,
)
from plugins.summarize.settings import SummarizeSettings

__all__ = ["Engines", "Outcome", "UsageMeter"]

log = logging.getLogger(__name__)
Job = Callable[[Summarizer], Awaitable[Summary]]
_NO_LIMIT = 10_000_000  # engines get no input limit of their own: the plugin checks it once


@dataclass(frozen=True)
class Outcome:
    summary: Summary
    note: str = ""  # why the extractive engine answered instead of the configured one


class UsageMeter(AsyncCallbackHandler):
    """Collects each chat-model call's prompt, answer and reported usage (LangChain hook)."""

    def __init__(self) -> None:
        self.prompts: dict[UUID, list[BaseMessage]] = {}
        self.calls: list[tuple[list[BaseMessage], str, dict[str, int] | None]] = []

    async def on_chat_model_start(
        self,
        serialized: dict[str, Any],
        messages: list[list[BaseMessage]],
        *,
        run_id: UUID,
        **kwargs: Any,
    ) -> None:
        self.prompts[run_id] = messages[0] if messages else []

    async def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs: Any) -> None:
        generation: Any = response.generations[0][0] if response.generations else None
        text = generation.text if generation is not None else ""
        usage = getattr(getattr(generation, "message", None), "usage_metadata", None)
        counts = (
            {"in": int(usage.get("input_tokens", 0)), "out": int(usage.get("output_tokens", 0))}
            if usage
            else None
        )
        self.calls.append((self.prompts.pop(run_id, []), text, counts))


class Engines:
    """Builds the engine a server configured and runs a summary with it (or the fallback)."""

    def __init__(self) -> None:
        self.extractive = ExtractiveSummarizer(timeout=None, max_input_chars=_NO_LIMIT)

    def clear(self) -> None:
        """Drop loaded summarization models (shutdown)."""
        TASK_ENGINES.drop("summarize")

    async def run(self, ctx: Context, job: Job) -> Outcome:
        settings: SummarizeSettings = ctx.settings
        note = ""
        try:
            if settings.engine == "chat":
                return await self._run_chat(ctx, job)
            if settings.engine == "seq2seq":
                return Outcome(await self._timed(job(self._seq2seq_for(ctx)), ctx, "seq2seq"))
        except EngineError as exc:
            log.warning("summarize engine %s failed: %s", settings.engine, exc.user_message)
            note = _fallback_note(settings.engine, exc)
        summary = await self._timed(job(self.extractive), ctx, self.extractive.name)
        return Outcome(summary, note)

    @staticmethod
    async def _timed(work: Awaitable[Summary], ctx: Context, engine: str) -> Summary:
        settings: SummarizeSettings = ctx.settings
        return await with_timeout(work, engine=engine, seconds=settings.timeout_s)

    # ----- seq2seq ---------------------------------------------------------------------------

    def _seq2seq_for(self, ctx: Context) -> Seq2SeqSummarizer:
        settings: SummarizeSettings = ctx.settings
        model = settings.seq2seq_model.strip()
        if not model:
            raise EngineUnavailable("seq2seq", "no `seq2seq_model` is set")
        try:
            check_task_model(model, ctx.services.config.allowed_models, what="summarization")
        except DisallowedModel:
            raise EngineUnavailable("seq2seq", f"`{model}` isn't an allowed model") from None
        # Only files already on this machine (HF cache or an allowed path): no downloads.
        return TASK_ENGINES.get(
            "summarize",
            model,
            lambda: Seq2SeqSummarizer(model, timeout=None, max_input_chars=_NO_LIMIT),
        )

    # ----- chat ------------------------------------------------------------------------------

    async def _run_chat(self, ctx: Context, job: Job) -> Outcome:
        ai = ctx.services.get("ai", AIProviders)
        if await ctx.budget_refusal() is not None:
            return await self._extractive_with(ctx, job, "today's AI token budget is used up")
        try:
            cfg = await ai.model_for(ctx)
            model = await ai.runner.model_for(cfg)
        except SohbetError as exc:  # ModelError, or a model the operator doesn't allow
            log.warning("summarize: no chat model: %s", getattr(exc, "detail", exc.user_message))
            raise EngineUnavailable("chat") from exc
        meter = UsageMeter()
        summarizer = ChatModelSummarizer(
            model.model_copy(update={"callbacks": [meter]}),
            concurrency=1 if cfg.is_local else 2,
            timeout=None,
            max_input_chars=_NO_LIMIT,
        )
        try:
            async with _serial(ai, cfg, ctx):
                return Outcome(await self._timed(job(summarizer), ctx, "chat"))
        finally:
            await _record_usage(ctx, ai, cfg, meter)

    async def _extractive_with(self, ctx: Context, job: Job, why: str) -> Outcome:
        summary = await self._timed(job(self.extractive), ctx, self.extractive.name)
        return Outcome(summary, f"Extractive summary: {why}.")


@contextlib.asynccontextmanager
async def _serial(ai: AIProviders, cfg: ModelConfig, ctx: Context) -> AsyncIterator[None]:
    """A local model answers one request at a time: wait for the runner's turn (bounded)."""
    if not cfg.is_local:
        yield
        return
    lock = ai.runner.serial_lock(cfg)
    try:
        async with asyncio.timeout(cfg.queue_timeout_s):
            await lock.acquire()
    except TimeoutError:
        raise EngineTimeout("chat", cfg.queue_timeout_s) from None
    try:
        yield
    finally:
        lock.release()


async def _record_usage(ctx: Context, ai: AIProviders, cfg: ModelConfig, meter: UsageMeter) -> None:
    """Count the chat engine's tokens against the daily budgets (estimated if unreported)."""
    tokens_in = tokens_out = 0
    for prompt, text, counts in meter.calls:
        if counts is None:
            estimated = await ai.runner.estimate_usage(prompt, text, cfg)
            counts = {"in": estimated[0], "out": estimated[1]}
        tokens_in += counts["in"]
        tokens_out += counts["out"]
    if not (tokens_in or tokens_out):
        return
    try:
        await ctx.services.store.usage.add(ctx.server_id, ctx.author.id, tokens_in, tokens_out)
    except SohbetError:
        log.warning("summary token usage not recorded: database unavailable")


def _fallback_note(engine: str, error: EngineError) -> str:
    if isinstance(error, EngineTimeout):
        return _(
            "Extractive summary: the `{engine}` engine took longer than {seconds} s.",
            engine=engine,
            seconds=format(error.seconds, "g"),
        )
    if isinstance(error, EngineUnavailable):
        detail = error.user_message.partition("(")[2].partition(")")[0]
        if detail:
            return _(
                "Extractive summary: the `{engine}` engine isn't available ({detail}).",
                engine=engine,
                detail=detail,
            )
        return _("Extractive summary: the `{engine}` engine isn't available.", engine=engine)
    return _("Extractive summary: the `{engine}` engine failed.", engine=engine)
