"""Deterministic chat models for tests and demos (provider ``fake``).

``EchoChatModel`` (model name ``echo``) answers with every message of the person it was
given, oldest first: ``You said: first | second | third``. So a test, or a subprocess running
``sohbet chat`` with ``SOHBET_MODEL_PROVIDER=fake SOHBET_MODEL_NAME=echo``, can see exactly
which history reached the model. It streams word by word.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

__all__ = ["ECHO_MODEL", "EchoChatModel", "echo_reply"]

ECHO_MODEL = "echo"


def echo_reply(messages: list[BaseMessage]) -> str:
    said = [m.text for m in messages if isinstance(m, HumanMessage)]
    return "You said: " + " | ".join(said)


class EchoChatModel(BaseChatModel):
    """Replies with the person's messages it received (see the module docstring)."""

    @property
    def _llm_type(self) -> str:
        return "sohbet-echo"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=AIMessage(echo_reply(messages)))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        words = echo_reply(messages).split(" ")
        for index, word in enumerate(words):
            piece = word if index == 0 else " " + word
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=piece))
            if run_manager:
                run_manager.on_llm_new_token(piece, chunk=chunk)
            yield chunk
