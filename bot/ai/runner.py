"""Running chat models safely: off the event loop, with a timeout, errors made friendly.

>>> runner = ChatRunner()
>>> stream = runner.stream([HumanMessage("Hi!")], cfg)
>>> async for text in stream:          # text pieces as the model produces them
...     await reply.edit(...)
>>> stream.completion                  # Completion(text, tokens_in, tokens_out, ...)
>>> done = await runner.complete([HumanMessage("Hi!")], cfg)

Timeout: `cfg.timeout_s` bounds every wait for model output (the first piece and each next
one). A local model answers one stream at a time; waiting for that turn is bounded by
`cfg.queue_timeout_s` instead, and turns go round-robin between servers, then users
(`FairQueue`; pass ``who=(server_id, user_id)``). Loading local weights is not counted; it
happens once per process. Every failure surfaces as a `ModelError` subclass whose
`user_message` can be shown as is; the event loop never runs model code.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, BaseMessageChunk, convert_to_messages

from bot.ai.errors import ModelError, ModelTimeoutError, to_model_error
from bot.ai.fair_queue import FairQueue, Who
from bot.ai.models import ModelConfig, build_chat_model

__all__ = ["ChatRunner", "Completion", "MessagesLike", "ModelStream"]

log = logging.getLogger(__name__)

MessagesLike = str | Sequence[BaseMessage | tuple[str, str] | dict[str, Any] | str]


@dataclass(frozen=True)
class Completion:
    """A finished answer and what it cost. `usage_estimated`: the provider gave no usage."""

    text: str
    tokens_in: int
    tokens_out: int
    model: str = ""
    provider: str = ""
    finish_reason: str | None = None
    usage_estimated: bool = False
    seconds: float = 0.0
    first_token_seconds: float | None = None


class ModelStream:
    """Async iterator over text pieces of one answer; `completion` is set when it ends.

    Breaking out of the loop is fine: call `aclose()` (or use ``async with``) to stop the
    model early; a local model stops generating at the next token.
    """

    def __init__(
        self,
        runner: ChatRunner,
        messages: list[BaseMessage],
        cfg: ModelConfig,
        who: Who = ("", ""),
    ) -> None:
        self._runner = runner
        self._messages = messages
        self._cfg = cfg
        self._who = who
        self._chunks: AsyncIterator[BaseMessageChunk] | None = None
        self._parts: list[str] = []
        self._usage: dict[str, int] | None = None
        self._finish_reason: str | None = None
        self._model_name = ""
        self._started = 0.0
        self._first_token: float | None = None
        self._closed = False
        self._serial: FairQueue | None = None
        self.completion: Completion | None = None

    def __aiter__(self) -> ModelStream:
        return self

    def __del__(self) -> None:
        self._end_turn()  # a stream dropped without aclose() must not keep llama.cpp busy

    async def __anext__(self) -> str:
        if self._closed:
            raise StopAsyncIteration
        try:
            if self._chunks is None:
                model = await self._runner.model_for(self._cfg)
                self._started = time.perf_counter()
                await self._take_turn()
                self._chunks = aiter(model.astream(self._messages))
            while True:
                try:
                    async with asyncio.timeout(self._cfg.timeout_s):
                        chunk = await anext(self._chunks)
                except StopAsyncIteration:
                    await self._finish()
                    raise
                except TimeoutError as exc:
                    waited = "first" if self._first_token is None else "next"
                    raise ModelTimeoutError(
                        f"no {waited} output within {self._cfg.timeout_s:g} s"
                    ) from exc
                text = self._absorb(chunk)
                if text:
                    return text
        except StopAsyncIteration:
            raise
        except asyncio.CancelledError:
            await self.aclose()
            raise
        except Exception as exc:
            await self.aclose()
            error = to_model_error(exc)
            log.warning(
                "chat model call failed (%s %s): %s: %s",
                self._cfg.provider,
                self._cfg.model,
                type(error).__name__,
                error.detail,
            )
            raise error from exc

    async def aclose(self) -> None:
        """Stop the model (if still running) and release the stream."""
        self._closed = True
        self._end_turn()
        chunks, self._chunks = self._chunks, None
        closer = getattr(chunks, "aclose", None)
        if closer is not None:
            try:
                await closer()
            except Exception as exc:  # closing a failed provider stream must not mask its error
                log.debug("closing model stream: %s", exc)

    async def __aenter__(self) -> ModelStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    @property
    def text(self) -> str:
        """Everything received so far."""
        return "".join(self._parts)

    def _absorb(self, chunk: BaseMessageChunk) -> str:
        usage = getattr(chunk, "usage_metadata", None)
        if usage:
            current = self._usage or {"input_tokens": 0, "output_tokens": 0}
            self._usage = {
                "input_tokens": current["input_tokens"] + int(usage.get("input_tokens", 0)),
                "output_tokens": current["output_tokens"] + int(usage.get("output_tokens", 0)),
            }
        metadata = chunk.response_metadata or {}
        self._finish_reason = metadata.get("finish_reason") or self._finish_reason
        self._model_name = metadata.get("model_name") or self._model_name
        text = chunk.text
        if text:
            if self._first_token is None:
                self._first_token = time.perf_counter() - self._started
            self._parts.append(text)
        return text

    async def _take_turn(self) -> None:
        """Local models generate one answer at a time: wait for this stream's turn here, on
        the loop, so the wait counts against `queue_timeout_s`, not the output timeout."""
        if not self._cfg.is_local:
            return
        lock = self._runner.serial_lock(self._cfg)
        if lock.busy:
            log.info(
                "local model %s busy: %d waiting before this request (%d users)",
                self._cfg.model,
                lock.waiting(),
                lock.waiting_users(),
            )
        try:
            async with asyncio.timeout(self._cfg.queue_timeout_s):
                await lock.acquire(self._who)
        except TimeoutError as exc:
            raise ModelTimeoutError(
                f"waited {self._cfg.queue_timeout_s:g} s for the local model",
                user_message=(
                    "I'm busy answering other people right now. Please try again in a minute."
                ),
            ) from exc
        self._serial = lock

    def _end_turn(self) -> None:
        lock, self._serial = getattr(self, "_serial", None), None
        if lock is not None:
            lock.release()

    async def _finish(self) -> None:
        self._closed = True
        self._end_turn()
        text = self.text
        usage = self._usage
        estimated = not usage or (usage["input_tokens"] == 0 and usage["output_tokens"] == 0)
        if estimated:
            tokens_in, tokens_out = await self._runner.estimate_usage(
                self._messages, text, self._cfg
            )
        else:
            assert usage is not None
            tokens_in, tokens_out = usage["input_tokens"], usage["output_tokens"]
        self.completion = Completion(
            text=text,
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            model=self._model_name or self._cfg.model,
            provider=self._cfg.provider,
            finish_reason=self._finish_reason,
            usage_estimated=estimated,
            seconds=time.perf_counter() - self._started,
            first_token_seconds=self._first_token,
        )


class ChatRunner:
    """Streams and completes chat requests for any `ModelConfig`."""

    def __init__(self) -> None:
        self._serial_locks: dict[tuple[str, int | None], FairQueue] = {}
        # One queue per local model; bot.jobs shares the turns across processes with a broker.
        self.make_queue: Callable[[str], FairQueue] = lambda name: FairQueue()

    def serial_lock(self, cfg: ModelConfig) -> FairQueue:
        """The queue that serializes streams on one local model (one answer at a time, turns
        round-robin by server and user); ``acquire()``/``release()`` like a lock."""
        key = (cfg.model, cfg.context_window)
        queue = self._serial_locks.get(key)
        if queue is None:
            queue = self._serial_locks[key] = self.make_queue(f"{cfg.model}:{cfg.context_window}")
        return queue

    def queue_length(self, cfg: ModelConfig) -> tuple[int, bool]:
        """(requests waiting, one being answered) at `cfg`'s local model."""
        queue = self._serial_locks.get((cfg.model, cfg.context_window))
        return (queue.waiting(), queue.busy) if queue is not None else (0, False)

    async def model_for(self, cfg: ModelConfig) -> BaseChatModel:
        """The chat model for `cfg`, built (and loaded, the first time) in a worker thread."""
        try:
            return await asyncio.to_thread(build_chat_model, cfg)
        except ModelError:
            raise
        except Exception as exc:
            raise to_model_error(exc) from exc

    def stream(
        self, messages: MessagesLike, cfg: ModelConfig, *, who: Who = ("", "")
    ) -> ModelStream:
        """Text pieces as they come: ``async for text in runner.stream(messages, cfg)``.
        `who` (server, user) places a local model request in the fair queue."""
        return ModelStream(self, _as_messages(messages), cfg, who)

    async def complete(
        self, messages: MessagesLike, cfg: ModelConfig, *, who: Who = ("", "")
    ) -> Completion:
        """The whole answer with its token usage."""
        async with self.stream(messages, cfg, who=who) as stream:
            async for _ in stream:
                pass
        assert stream.completion is not None
        return stream.completion

    async def estimate_usage(
        self, messages: Sequence[BaseMessage], text: str, cfg: ModelConfig
    ) -> tuple[int, int]:
        """Tokens in/out counted locally, for providers that report no usage."""
        from bot.ai.tokens import counter_for

        def count() -> tuple[int, int]:
            counter = counter_for(cfg)
            return counter.count_messages(messages), counter.count_text(text)

        try:
            return await asyncio.to_thread(count)
        except Exception as exc:  # accounting must never break an answer
            log.warning("could not count tokens for %s: %s", cfg.model, exc)
            return 0, 0


def _as_messages(messages: MessagesLike) -> list[BaseMessage]:
    if isinstance(messages, str):
        messages = [("human", messages)]
    return list(convert_to_messages(messages))
