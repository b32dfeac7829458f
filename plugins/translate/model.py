"""The server's chat model as a LangChain model, answering through `AIProviders`.

`ChatModelTranslator` takes any `BaseChatModel`; this one sends every call through
`AIProviders.complete`, so translations get what chat answers get: the model chosen for the
server/channel, the runner's worker threads and timeouts, llama.cpp serialization, and token
usage recorded for `/ai status` and the daily budgets.
"""

from __future__ import annotations

from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from bot.ai.errors import ModelError
from bot.ai.models import ModelConfig
from bot.nlp import EngineError
from bot.providers import AIProviders

__all__ = ["ProviderChatModel"]


class ProviderChatModel(BaseChatModel):
    """One caller's view of the configured model: usage is charged to `user_id` on `server_id`."""

    providers: AIProviders
    cfg: ModelConfig
    server_id: int
    user_id: int
    engine_name: str = "chat"

    @property
    def _llm_type(self) -> str:
        return "sohbet-providers"

    def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> ChatResult:
        raise NotImplementedError("ProviderChatModel is async only")

    async def _agenerate(
        self, messages: list[BaseMessage], *args: Any, **kwargs: Any
    ) -> ChatResult:
        try:
            completion = await self.providers.complete(
                messages, self.cfg, server_id=self.server_id, user_id=self.user_id
            )
        except ModelError as exc:
            # An EngineError keeps the model's friendly message and lets a fallback engine run.
            raise EngineError(exc.user_message, self.engine_name) from exc
        return ChatResult(generations=[ChatGeneration(message=AIMessage(completion.text))])
