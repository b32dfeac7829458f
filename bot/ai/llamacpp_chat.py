"""LangChain's ChatLlamaCpp, made safe to stop early: one generation per loaded model, always.

LangChain streams a sync-only model by running each `next()` of its generator in the thread
pool. When the reader stops waiting (a timeout, a cancelled request, a follow-up rewrite read
to its first line), the `next()` in flight keeps decoding in its thread while the next request
starts another generation on the same llama.cpp context: llama.cpp then aborts the whole
process (seen here: `GGML_ASSERT(i1 >= 0 && i1 < ne1)`). Here one worker thread runs each whole
generation while holding the loaded model's lock, and checks between tokens whether its reader
is gone, so a new generation starts only after the previous one has really stopped.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Generator
from typing import Any

from langchain_community.chat_models import ChatLlamaCpp
from langchain_core.callbacks import (
    AsyncCallbackManagerForLLMRun,
    CallbackManagerForLLMRun,
)
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult

from bot.ai.thread_bridge import LoopBridge

__all__ = ["SerialChatLlamaCpp"]

# Reentrant: ChatLlamaCpp's _generate streams through _stream in the same thread.
_locks: dict[int, threading.RLock] = {}
_locks_guard = threading.Lock()
_DONE = object()


def _model_lock(client: Any) -> threading.RLock:
    """One lock per loaded llama.cpp model (shallow copies share the client)."""
    with _locks_guard:
        return _locks.setdefault(id(client), threading.RLock())


class SerialChatLlamaCpp(ChatLlamaCpp):
    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        with _model_lock(self.client):
            result: ChatResult = super()._generate(messages, stop, run_manager, **kwargs)
            return result

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Generator[ChatGenerationChunk, None, None]:
        with _model_lock(self.client):
            yield from super()._stream(messages, stop, run_manager, **kwargs)

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        bridge: LoopBridge[Any] = LoopBridge()
        reader_gone, put = bridge.cancel, bridge.put

        def work() -> None:
            try:
                # _stream holds the model's lock until the generator is closed.
                chunks: Generator[ChatGenerationChunk, None, None] = self._stream(
                    messages, stop, None, **kwargs
                )
                try:
                    for chunk in chunks:
                        if reader_gone.is_set():
                            break  # stop at the next token; closing releases the lock
                        put(chunk)
                finally:
                    chunks.close()
            except BaseException as error:  # handed to the reader, raised there
                put(error)
            finally:
                put(_DONE)

        threading.Thread(target=work, name="llamacpp-generate", daemon=True).start()
        try:
            while True:
                item = await bridge.get()
                if item is _DONE:
                    return
                if isinstance(item, BaseException):
                    raise item
                if run_manager is not None:
                    await run_manager.on_llm_new_token(item.text, chunk=item)
                yield item
        finally:
            reader_gone.set()
