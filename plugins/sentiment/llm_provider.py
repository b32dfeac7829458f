"""The few-shot LLM engine on the chat model this server uses, through ``AIProviders``.

Same prompt and answer parsing as :class:`~plugins.sentiment.engines.llm.LLMEngine`, but every
call goes through ``AIProviders.complete``: token usage is recorded for budgets, local models
are serialised, provider failures become friendly messages. Answers are one word, so the
model runs greedy with a small token cap.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import PurePath

from bot.ai.errors import ModelError
from bot.ai.models import ModelConfig
from bot.nlp.errors import EngineError
from bot.providers import AIProviders
from plugins.sentiment.engines.base import Limits, SentimentResult
from plugins.sentiment.engines.llm import DEFAULT_EXAMPLES, LLMEngine

__all__ = ["ANSWER_TOKENS", "ProviderLLMEngine"]

ANSWER_TOKENS = 16  # "positive" plus room for a little preamble


class ProviderLLMEngine(LLMEngine):
    """Sentiment by few-shot prompting the configured chat model via ``AIProviders``."""

    def __init__(
        self,
        ai: AIProviders,
        cfg: ModelConfig,
        *,
        server_id: int,
        user_id: int,
        max_concurrency: int = 4,
        limits: Limits | None = None,
    ) -> None:
        # No LangChain model object is held (LLMEngine.__init__ is not called): answers come
        # from AIProviders; only the prompt building and answer parsing are inherited.
        self.ai = ai
        self.cfg = cfg.model_copy(
            update={"temperature": 0.0, "max_new_tokens": min(cfg.max_new_tokens, ANSWER_TOKENS)}
        )
        self.server_id = server_id
        self.user_id = user_id
        self.examples = DEFAULT_EXAMPLES
        self.name = f"llm:{PurePath(cfg.model).name or cfg.model}"
        self.max_concurrency = max_concurrency
        self.limits = limits or Limits(timeout=60.0, max_chars=4000, max_batch=64)

    async def _answer(self, text: str, gate: asyncio.Semaphore) -> SentimentResult:
        async with gate:
            try:
                completion = await self.ai.complete(
                    self.messages(text), self.cfg, server_id=self.server_id, user_id=self.user_id
                )
            except ModelError as exc:  # the provider's own friendly message
                raise EngineError(exc.user_message, self.name) from exc
        return self._result(completion.text)

    async def _answer_all(self, texts: list[str]) -> list[SentimentResult]:
        gate = asyncio.Semaphore(self.max_concurrency)
        tasks = [asyncio.create_task(self._answer(t, gate)) for t in texts]
        try:
            return list(await asyncio.gather(*tasks))
        finally:  # one failure ends the whole request: stop the calls still waiting
            for task in tasks:
                task.cancel()

    async def analyze_many(self, texts: Sequence[str]) -> list[SentimentResult]:
        cleaned = self.limits.check(self.name, texts)
        if not cleaned:
            return []
        return await self.limits.run(self.name, self._answer_all(cleaned))
