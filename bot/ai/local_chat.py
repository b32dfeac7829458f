"""A LangChain chat model over a local transformers model, with real token streaming.

Why not `ChatHuggingFace(llm=HuggingFacePipeline(...))`: with a local pipeline it has no async
path (`_agenerate` raises, `_astream` assumes a remote endpoint), reports no token usage and
cannot stop a generation whose reader went away. This class applies the chat template,
runs `generate()` in a worker thread and streams decoded text through a `TextStreamer`
subclass into a thread-safe queue (the `TextIteratorStreamer` pattern, plus errors and usage).
Stopping the iteration (or a timeout cancelling it) ends the generation at the next token.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from langchain_core.callbacks import (
    AsyncCallbackManagerForLLMRun,
    CallbackManagerForLLMRun,
)
from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.chat_models import (
    agenerate_from_stream,
    generate_from_stream,
)
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, Field

from bot.ai.errors import ContextTooLongError
from bot.ai.local_engine import LocalEngine
from bot.ai.thread_bridge import LoopBridge

if TYPE_CHECKING:
    import torch

__all__ = ["LocalChatModel", "plain_prompt", "to_chat_dicts"]


@dataclass(frozen=True)
class _Done:
    tokens_in: int
    tokens_out: int
    finish_reason: str


@dataclass(frozen=True)
class _Failed:
    error: BaseException


_Item = str | _Done | _Failed
_Sink = Callable[[_Item], None]


def to_chat_dicts(messages: Sequence[BaseMessage]) -> list[dict[str, str]]:
    """LangChain messages -> ``[{"role": ..., "content": ...}]`` for chat templates."""
    roles: list[tuple[type[BaseMessage], str]] = [
        (SystemMessage, "system"),
        (HumanMessage, "user"),
        (AIMessage, "assistant"),
        (ToolMessage, "user"),
    ]
    out = []
    for message in messages:
        role = next((name for cls, name in roles if isinstance(message, cls)), "user")
        out.append({"role": role, "content": message.text})
    return out


def plain_prompt(chat: list[dict[str, str]]) -> str:
    """A neutral prompt for models without a chat template (base models)."""
    lines = [f"{m['role'].capitalize()}: {m['content']}" for m in chat]
    return "\n\n".join(lines) + "\n\nAssistant:"


class LocalChatModel(BaseChatModel):
    """Chat model over a `LocalEngine`; cheap to create, the engine holds the weights."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    # Typed loosely for pydantic (the engine holds torch objects); always a LocalEngine.
    engine: Any = Field(exclude=True, repr=False)
    model_name: str = ""
    temperature: float = 0.7
    max_new_tokens: int = 256
    top_p: float = 0.95
    repetition_penalty: float = 1.1  # as llama.cpp: small models loop without it

    @property
    def _llm_type(self) -> str:
        return "sohbet-transformers"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {
            "model": self.model_name or self.engine.source,
            "temperature": self.temperature,
            "max_new_tokens": self.max_new_tokens,
        }

    # -- LangChain entry points -------------------------------------------------------------

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return generate_from_stream(self._stream(messages, stop, run_manager, **kwargs))

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return await agenerate_from_stream(self._astream(messages, stop, run_manager, **kwargs))

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        items: queue.Queue[_Item] = queue.Queue()
        cancel = threading.Event()
        self._start_worker(messages, stop, items.put, cancel)
        try:
            while True:
                item = items.get()
                if isinstance(item, _Failed):
                    raise item.error
                chunk = self._to_chunk(item)
                if run_manager and isinstance(item, str):
                    run_manager.on_llm_new_token(item, chunk=chunk)
                yield chunk
                if isinstance(item, _Done):
                    return
        finally:
            cancel.set()

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        bridge: LoopBridge[_Item] = LoopBridge()
        self._start_worker(messages, stop, bridge.put, bridge.cancel)
        try:
            while True:
                item = await bridge.get()
                if isinstance(item, _Failed):
                    raise item.error
                chunk = self._to_chunk(item)
                if run_manager and isinstance(item, str):
                    await run_manager.on_llm_new_token(item, chunk=chunk)
                yield chunk
                if isinstance(item, _Done):
                    return
        finally:
            bridge.cancel.set()  # the reader stopped (done, error, timeout, cancel): stop

    # -- generation ---------------------------------------------------------------------------

    def _to_chunk(self, item: str | _Done) -> ChatGenerationChunk:
        if isinstance(item, str):
            return ChatGenerationChunk(message=AIMessageChunk(content=item))
        usage = {
            "input_tokens": item.tokens_in,
            "output_tokens": item.tokens_out,
            "total_tokens": item.tokens_in + item.tokens_out,
        }
        message = AIMessageChunk(
            content="",
            usage_metadata=usage,
            response_metadata={
                "finish_reason": item.finish_reason,
                "model_name": self.model_name or self.engine.source,
            },
            chunk_position="last",
        )
        return ChatGenerationChunk(
            message=message, generation_info={"finish_reason": item.finish_reason}
        )

    def _start_worker(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None,
        sink: _Sink,
        cancel: threading.Event,
    ) -> None:
        thread = threading.Thread(
            target=self._generate_in_thread,
            args=(list(messages), stop, sink, cancel),
            name="sohbet-generate",
            daemon=True,
        )
        thread.start()

    def _generate_in_thread(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None,
        sink: _Sink,
        cancel: threading.Event,
    ) -> None:
        try:
            with self.engine.generation_lock:
                if cancel.is_set():  # the reader gave up while we waited our turn
                    sink(_Done(0, 0, "cancelled"))
                    return
                sink(self._run_generate(messages, stop, sink, cancel))
        except BaseException as exc:
            sink(_Failed(exc))

    def _run_generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None,
        sink: _Sink,
        cancel: threading.Event,
    ) -> _Done:
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList, TextStreamer

        class _SinkStreamer(TextStreamer):
            def on_finalized_text(self, text: str, stream_end: bool = False) -> None:
                if text:
                    sink(text)

        class _StopWhenCancelled(StoppingCriteria):
            def __call__(
                self, input_ids: torch.LongTensor, scores: torch.FloatTensor, **kwargs: Any
            ) -> torch.BoolTensor:
                flag = cancel.is_set()
                return torch.full((input_ids.shape[0],), flag, dtype=torch.bool)  # type: ignore[return-value]

        engine: LocalEngine = self.engine
        inputs = self._encode(messages)
        tokens_in = int(inputs["input_ids"].shape[1])
        room = engine.context_window - tokens_in
        if room < 1:
            raise ContextTooLongError(
                f"prompt has {tokens_in} tokens; the model's context window is "
                f"{engine.context_window}"
            )
        max_new = min(self.max_new_tokens, room)
        options: dict[str, Any] = {
            "max_new_tokens": max_new,
            "repetition_penalty": self.repetition_penalty,
            "pad_token_id": engine.tokenizer.pad_token_id,
        }
        if self.temperature > 0:
            options.update(do_sample=True, temperature=self.temperature, top_p=self.top_p)
        else:
            options.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        if stop:
            options.update(stop_strings=stop, tokenizer=engine.tokenizer)
        streamer = _SinkStreamer(engine.tokenizer, skip_prompt=True, skip_special_tokens=True)
        with torch.inference_mode():
            output = cast(Any, engine.model).generate(  # nn.Module typing hides it
                **inputs,
                streamer=streamer,
                stopping_criteria=StoppingCriteriaList([_StopWhenCancelled()]),
                **options,
            )
        tokens_out = int(output.shape[1]) - tokens_in
        finished = "length" if tokens_out >= max_new else "stop"
        reason = "cancelled" if cancel.is_set() else finished
        return _Done(tokens_in, tokens_out, reason)

    def _encode(self, messages: list[BaseMessage]) -> dict[str, torch.Tensor]:
        tokenizer = self.engine.tokenizer
        chat = to_chat_dicts(messages)
        if getattr(tokenizer, "chat_template", None):
            encoded = tokenizer.apply_chat_template(
                chat, add_generation_prompt=True, return_dict=True, return_tensors="pt"
            )
        else:
            encoded = tokenizer(plain_prompt(chat), return_tensors="pt")
        return {
            "input_ids": encoded["input_ids"],
            "attention_mask": encoded["attention_mask"],
        }
