"""Test doubles for chat models: a prompt recorder and a deterministic "translator"."""

from __future__ import annotations

import asyncio
import random
import re
from typing import Any

from langchain_core.callbacks import AsyncCallbackHandler
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import Field


class PromptRecorder(AsyncCallbackHandler):
    """Collects the messages of every chat-model call (LangChain's own callback hook)."""

    def __init__(self) -> None:
        self.calls: list[list[BaseMessage]] = []

    async def on_chat_model_start(
        self, serialized: dict[str, Any], messages: list[list[BaseMessage]], **kwargs: Any
    ) -> None:
        self.calls.extend(messages)

    def human_texts(self) -> list[str]:
        return [str(call[-1].content) for call in self.calls]


class UppercaseChatModel(BaseChatModel):
    """'Translates' by upper-casing the text inside <text> tags, after a random short delay,
    so concurrent calls finish out of order."""

    seed: int = 0

    @property
    def _llm_type(self) -> str:
        return "uppercase-test-model"

    def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> ChatResult:
        raise NotImplementedError("async only")

    async def _agenerate(
        self, messages: list[BaseMessage], *args: Any, **kwargs: Any
    ) -> ChatResult:
        await asyncio.sleep(random.Random(hash(str(messages[-1].content))).random() / 50)
        match = re.search(r"<text>\n(.*)\n</text>", str(messages[-1].content), re.DOTALL)
        assert match, "the prompt must wrap the text in <text> tags"
        return ChatResult(generations=[ChatGeneration(message=AIMessage(match.group(1).upper()))])


class ScriptedModel(BaseChatModel):
    """Answers with the next scripted reply, whatever it is asked; records the prompts."""

    replies: list[str]
    prompts: list[str] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "scripted-test-model"

    def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> ChatResult:
        raise NotImplementedError("async only")

    async def _agenerate(
        self, messages: list[BaseMessage], *args: Any, **kwargs: Any
    ) -> ChatResult:
        self.prompts.append(str(messages[-1].content))
        reply = self.replies[min(len(self.prompts) - 1, len(self.replies) - 1)]
        return ChatResult(generations=[ChatGeneration(message=AIMessage(reply))])
