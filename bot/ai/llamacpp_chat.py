"""LangChain's ChatLlamaCpp, made safe to stop early: one generation per loaded model, always.

LangChain streams a sync-only model by running each `next()` of its generator in the thread
pool. When the reader stops waiting (a timeout, a cancelled request, a follow-up rewrite read
to its first line), the `next()` in flight keeps decoding in its thread while the next request
starts another generation on the same llama.cpp context: llama.cpp then aborts the whole
process (seen here: `GGML_ASSERT(i1 >= 0 && i1 < ne1)`). Here one worker thread runs each whole
generation while holding the loaded model's lock, and checks between tokens whether its reader
is gone, so a new generation starts only after the previous one has really stopped.

`load_llamacpp` builds it with llama.cpp's own settings rather than LangChain's defaults, which
made the same GGUF slower and worse in process than behind llama.cpp's server
(bench/results/llamacpp_runtime.md): LangChain evaluates prompts 8 tokens at a time
(``n_batch=8``) and passes ``rope_freq_base=10000``, overriding the model's own RoPE base
(1,000,000 for Qwen2.5: the positions of a long prompt blur and the model may continue the
sources' text instead of answering). Here prompts are read in batches of 512 with every core,
tokens are generated with every core too (`generation_threads`), attention is llama.cpp's flash
attention (first token 0.88-1.0x, whole answer 0.89-1.02x in three side-by-side runs,
bench/results/llamacpp_runtime.md), RoPE comes from the GGUF,
and the chat template is the GGUF's own (llama-cpp-python's Jinja handler reads
``tokenizer.chat_template``).
llama.cpp keeps the previous prompt's evaluated tokens and reuses the longest shared prefix,
so the fixed instructions of a prompt (system message first) are read once; the last few
requests' states are kept too (bot.ai.prompt_states), so a chat message between two /ask
doesn't make the second read the /ask instructions again.
"""

from __future__ import annotations

import os
import threading
from collections.abc import AsyncIterator, Generator
from pathlib import Path
from typing import Any

from langchain_community.chat_models import ChatLlamaCpp
from langchain_core.callbacks import (
    AsyncCallbackManagerForLLMRun,
    CallbackManagerForLLMRun,
)
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult

from bot.ai.prompt_states import keep_prompt_states
from bot.ai.thread_bridge import LoopBridge

__all__ = [
    "PROMPT_BATCH",
    "SerialChatLlamaCpp",
    "generation_threads",
    "load_llamacpp",
    "prompt_threads",
]

PROMPT_BATCH = 512  # llama.cpp's (and its server's) default; LangChain's is 8
THREADS_ENV = "SOHBET_LLAMACPP_THREADS"

# Reentrant: ChatLlamaCpp's _generate streams through _stream in the same thread.
_locks: dict[int, threading.RLock] = {}
_locks_guard = threading.Lock()
_DONE = object()


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def generation_threads() -> int:
    """Threads that generate tokens: ``SOHBET_LLAMACPP_THREADS`` when set (a number), else
    every CPU, as llama.cpp's server does. On 2 quiet cores the second thread makes a whole
    /ask answer 0.78x as long (5.5 s vs 7.0 s median, bench/results/llamacpp_runtime.md);
    on a machine busy with other work one thread was faster, so operators sharing the CPU can
    cap it."""
    value = os.environ.get(THREADS_ENV, "").strip()
    if value.isdigit() and int(value) > 0:
        return int(value)
    return max(1, _cpus())


def prompt_threads() -> int:
    """Threads that read the prompt: every CPU (llama.cpp's server default), unless
    ``SOHBET_LLAMACPP_THREADS`` caps them too. Reading a prompt is compute-bound: it is where
    an /ask spends its time (bench/results/llamacpp_runtime.md)."""
    value = os.environ.get(THREADS_ENV, "").strip()
    if value.isdigit() and int(value) > 0:
        return int(value)
    return max(1, _cpus())


def load_llamacpp(path: Path, n_ctx: int) -> SerialChatLlamaCpp:
    """The GGUF at `path` with llama.cpp's own settings (see the module docstring), keeping
    the last few evaluated prompts (bot.ai.prompt_states)."""
    model = SerialChatLlamaCpp(
        model_path=str(path),
        n_ctx=n_ctx,
        n_batch=min(PROMPT_BATCH, n_ctx),
        n_threads=generation_threads(),
        rope_freq_base=0.0,  # 0: the GGUF's own (LangChain passes 10000)
        rope_freq_scale=0.0,
        model_kwargs={
            "n_threads_batch": prompt_threads(),
            "n_ubatch": min(PROMPT_BATCH, n_ctx),
            "flash_attn": True,
        },
        verbose=False,
    )
    keep_prompt_states(model.client)
    return model


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
