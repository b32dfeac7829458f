"""ChatRunner: streaming, usage, timeouts, cancellation and error mapping on real failures."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from pathlib import Path

import pytest
from langchain_core.messages import HumanMessage, SystemMessage

from bot.ai.errors import (
    ContextTooLongError,
    ModelAuthError,
    ModelError,
    ModelNotFoundError,
    ModelRateLimitError,
    ModelResponseError,
    ModelTimeoutError,
    ModelUnavailableError,
)
from bot.ai.local_engine import load_engine
from bot.ai.models import FAKE_REPLY, ModelConfig
from bot.ai.runner import ChatRunner
from bot.ai.tokens import HeuristicCounter, HFTokenizerCounter
from tests.ai.models_support import build_tiny_llama, fake_openai_server, free_port


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_llama(tmp_path_factory.mktemp("tiny-llama-runner"))


@pytest.fixture
def runner() -> ChatRunner:
    return ChatRunner()


def tiny_cfg(tiny_dir: Path, **changes: object) -> ModelConfig:
    return ModelConfig(model=str(tiny_dir), temperature=0, max_new_tokens=24).model_copy(
        update=changes
    )


# ----- local model --------------------------------------------------------------------------


async def test_stream_yields_pieces_then_a_completion(runner: ChatRunner, tiny_dir: Path) -> None:
    messages = [SystemMessage("you are a cat"), HumanMessage("hello how are you")]
    stream = runner.stream(messages, tiny_cfg(tiny_dir))
    pieces = [piece async for piece in stream]
    assert len(pieces) >= 3
    done = stream.completion
    assert done is not None
    assert done.text == "".join(pieces)
    exact = HFTokenizerCounter(load_engine(str(tiny_dir)).tokenizer)
    assert done.tokens_in == exact.count_messages(messages)  # reported by the model itself
    assert 1 <= done.tokens_out <= 24
    assert not done.usage_estimated
    assert done.provider == "transformers"
    assert done.first_token_seconds is not None and done.first_token_seconds <= done.seconds


async def test_complete_equals_the_streamed_text(runner: ChatRunner, tiny_dir: Path) -> None:
    cfg = tiny_cfg(tiny_dir)
    done = await runner.complete("hello world", cfg)
    streamed = "".join([piece async for piece in runner.stream("hello world", cfg)])
    assert done.text == streamed


async def test_event_loop_keeps_running_while_generating(
    runner: ChatRunner, tiny_dir: Path
) -> None:
    ticks: list[float] = []

    async def ticker() -> None:
        while True:
            ticks.append(time.perf_counter())
            await asyncio.sleep(0.005)

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0.02)
    started = time.perf_counter()
    done = await runner.complete("hello", tiny_cfg(tiny_dir, max_new_tokens=60))
    elapsed = time.perf_counter() - started
    task.cancel()
    during = [t for t in ticks if started <= t <= started + elapsed]
    gaps = [b - a for a, b in itertools.pairwise(during)]
    assert done.tokens_out == 60
    assert len(during) >= 5
    assert max(gaps) < 0.5  # the loop was never blocked by generation


async def test_breaking_out_stops_generation(runner: ChatRunner, tiny_dir: Path) -> None:
    engine = load_engine(str(tiny_dir))
    async with runner.stream("hello", tiny_cfg(tiny_dir, max_new_tokens=5000)) as stream:
        async for _ in stream:
            break
    # The worker notices the closed stream at its next token and releases the model.
    assert await asyncio.to_thread(engine.generation_lock.acquire, True, 10)
    engine.generation_lock.release()
    assert stream.completion is None


async def test_timeout_is_a_model_error_and_frees_the_model(
    runner: ChatRunner, tiny_dir: Path
) -> None:
    engine = load_engine(str(tiny_dir))
    await asyncio.to_thread(engine.generation_lock.acquire)  # the model is busy elsewhere
    try:
        with pytest.raises(ModelTimeoutError) as caught:
            await runner.complete("hello", tiny_cfg(tiny_dir, timeout_s=0.2))
    finally:
        engine.generation_lock.release()
    assert "took too long" in caught.value.user_message
    assert caught.value.retryable
    # The abandoned request gives up its turn instead of generating for nobody.
    assert await asyncio.to_thread(engine.generation_lock.acquire, True, 10)
    engine.generation_lock.release()


async def test_waiting_for_a_busy_local_model_has_its_own_limit(
    runner: ChatRunner, tiny_dir: Path
) -> None:
    # Another conversation has the model for 0.8 s; this request's output timeout is 0.3 s.
    # It waits for its turn (which doesn't count against that timeout), then answers...
    cfg = tiny_cfg(tiny_dir, timeout_s=0.3, max_new_tokens=8)
    load_engine(str(tiny_dir))  # loading is not part of the wait
    lock = runner.serial_lock(cfg)
    await lock.acquire()
    asyncio.get_running_loop().call_later(0.8, lock.release)
    started = time.perf_counter()
    answer = await runner.complete("hello", cfg)
    assert answer.text and time.perf_counter() - started >= 0.8  # it did wait its turn
    # ...until the queue wait itself exceeds queue_timeout_s: a clear "busy" answer.
    await lock.acquire()  # another conversation is being answered
    try:
        with pytest.raises(ModelTimeoutError) as caught:
            await runner.complete("hello", cfg.model_copy(update={"queue_timeout_s": 0.2}))
    finally:
        lock.release()
    assert "busy answering other people" in caught.value.user_message


async def test_prompt_over_the_window_is_context_too_long(
    runner: ChatRunner, tiny_dir: Path
) -> None:
    cfg = tiny_cfg(tiny_dir, context_window=64)
    with pytest.raises(ContextTooLongError) as caught:
        await runner.complete("hello " * 100, cfg)
    assert "too long" in caught.value.user_message
    assert (await runner.complete("hello", cfg)).text  # the same model still answers


async def test_reply_is_capped_to_the_room_left(runner: ChatRunner, tiny_dir: Path) -> None:
    cfg = tiny_cfg(tiny_dir, context_window=64, max_new_tokens=500)
    done = await runner.complete("hello " * 40, cfg)
    assert done.tokens_in + done.tokens_out <= 64


async def test_missing_model_file(runner: ChatRunner, tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError):
        await runner.complete("hi", ModelConfig(model=str(tmp_path / "gone.gguf")))


# ----- fake provider ------------------------------------------------------------------------


async def test_fake_model_usage_is_estimated(runner: ChatRunner) -> None:
    stream = runner.stream("hi there", ModelConfig(provider="fake"))
    pieces = [piece async for piece in stream]
    assert "".join(pieces) == FAKE_REPLY
    assert len(pieces) > 1
    done = stream.completion
    assert done is not None and done.usage_estimated
    counter = HeuristicCounter()
    assert done.tokens_out == counter.count_text(FAKE_REPLY)
    assert done.tokens_in == counter.count_messages([HumanMessage("hi there")])


# ----- OpenAI-compatible endpoint: real HTTP failures ------------------------------------


def remote_cfg(base_url: str, model: str, **changes: object) -> ModelConfig:
    cfg = ModelConfig(
        provider="openai",
        model=model,
        base_url=base_url,
        api_key_env="SOHBET_TEST_OPENAI_KEY",
        max_retries=0,
        timeout_s=5,
    )
    return cfg.model_copy(update=changes)


@pytest.fixture
def api_key(monkeypatch: pytest.MonkeyPatch) -> str:
    key = "sk-sohbet-test-do-not-log"
    monkeypatch.setenv("SOHBET_TEST_OPENAI_KEY", key)
    return key


async def test_remote_stream_reports_server_usage(runner: ChatRunner, api_key: str) -> None:
    with fake_openai_server() as server:
        stream = runner.stream("hello", remote_cfg(server.base_url, "ok"))
        pieces = [piece async for piece in stream]
    assert pieces == ["Hello", " from", " the", " server."]
    done = stream.completion
    assert done is not None
    assert (done.tokens_in, done.tokens_out, done.usage_estimated) == (11, 4, False)
    assert done.finish_reason == "stop"
    request = server.requests[0]
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"]["authorization"] == f"Bearer {api_key}"


async def test_refused_connection(runner: ChatRunner, api_key: str) -> None:
    cfg = remote_cfg(f"http://127.0.0.1:{free_port()}/v1", "ok")
    with pytest.raises(ModelUnavailableError) as caught:
        await runner.complete("hello", cfg)
    assert "can't be reached" in caught.value.user_message


@pytest.mark.parametrize(
    ("behaviour", "error_type", "words"),
    [
        ("unauthorized", ModelAuthError, "credentials"),
        ("ratelimited", ModelRateLimitError, "try again in 7 s"),
        ("too-long", ContextTooLongError, "too long"),
        ("missing", ModelNotFoundError, "could not be found"),
        ("broken", ModelResponseError, "try again later"),
    ],
)
async def test_http_errors_become_model_errors(
    runner: ChatRunner,
    api_key: str,
    caplog: pytest.LogCaptureFixture,
    behaviour: str,
    error_type: type[ModelError],
    words: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    with fake_openai_server() as server, pytest.raises(error_type) as caught:
        await runner.complete("hello", remote_cfg(server.base_url, behaviour))
    assert words in caught.value.user_message
    assert api_key not in caplog.text  # the key is never logged
    assert api_key not in str(caught.value)


async def test_rate_limit_carries_retry_after(runner: ChatRunner, api_key: str) -> None:
    with fake_openai_server() as server, pytest.raises(ModelRateLimitError) as caught:
        await runner.complete("hello", remote_cfg(server.base_url, "ratelimited"))
    assert caught.value.retry_after == 7
    assert caught.value.retryable


async def test_hanging_server_times_out(runner: ChatRunner, api_key: str) -> None:
    with fake_openai_server() as server:
        started = time.perf_counter()
        with pytest.raises(ModelTimeoutError):
            await runner.complete("hello", remote_cfg(server.base_url, "hang", timeout_s=0.5))
        assert time.perf_counter() - started < 4
