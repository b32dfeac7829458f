"""The llama.cpp runtime (``make llamacpp``) on the bundled GGUF: the default when installed."""

from __future__ import annotations

import asyncio
import importlib.util
from pathlib import Path

import pytest

from bot.ai.models import ModelConfig, build_chat_model, local_runtime
from bot.ai.runner import ChatRunner
from bot.ai.tokens import LlamaCppCounter, counter_for
from bot.config import Config
from bot.providers import ModelChoice
from tests.conftest import isolate_environment

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("llama_cpp") is None, reason="llama-cpp-python not installed"
)


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_environment(monkeypatch, tmp_path)


def test_auto_runs_the_bundled_gguf_through_llamacpp() -> None:
    assert local_runtime("smollm2") == "llamacpp"
    cfg = ModelChoice(Config()).default()
    assert (cfg.provider, cfg.model) == ("llamacpp", "demo")  # the bundled demo model
    # An explicit choice of transformers is kept.
    assert ModelChoice(Config(model_provider="transformers")).default().provider == "transformers"


async def test_streams_an_answer_with_counted_tokens_in_fair_turns() -> None:
    cfg = ModelConfig(provider="llamacpp", temperature=0, max_new_tokens=12)
    runner = ChatRunner()
    pieces: list[str] = []
    async with runner.stream("What is the capital of France?", cfg, who=(1, 2)) as stream:
        async for piece in stream:
            pieces.append(piece)
    done = stream.completion
    assert done is not None and done.text == "".join(pieces) and done.text.strip()
    assert 0 < done.tokens_out <= 12 and done.tokens_in > 5
    assert done.first_token_seconds is not None
    # Two users at once: one answer at a time, both complete, the queue ends empty.
    answers = await asyncio.gather(
        runner.complete("Say hello.", cfg, who=(1, 3)),
        runner.complete("Say bye.", cfg, who=(2, 4)),
    )
    assert all(a.text.strip() for a in answers)
    assert runner.queue_length(cfg) == (0, False)


def test_the_loaded_model_is_shared_and_counts_tokens() -> None:
    cold = build_chat_model(ModelConfig(provider="llamacpp", temperature=0.0))
    warm = build_chat_model(ModelConfig(provider="llamacpp", temperature=0.9))
    assert cold.client is warm.client  # type: ignore[attr-defined]
    counter = counter_for(ModelConfig(provider="llamacpp"))
    assert isinstance(counter, LlamaCppCounter)
    assert counter.count_text("Merhaba dünya, nasılsın?") > 3


async def test_answers_abandoned_mid_generation_never_overlap_the_next_one() -> None:
    """Readers that stop early (a timeout, a first-line read) must not leave llama.cpp decoding
    while the next generation starts on the same model: llama.cpp aborts the process then
    (LangChain's own ChatLlamaCpp does, in this very sequence)."""
    cfg = ModelConfig(provider="llamacpp", temperature=0, max_new_tokens=24)
    model = build_chat_model(cfg)
    prompt = "Write a long story about a lighthouse keeper and the sea."
    for _ in range(6):
        stream = model.astream(prompt)
        await anext(stream)  # read two pieces (the first is the empty role chunk)...
        await anext(stream)
        await stream.aclose()  # ...and walk away
        with pytest.raises(TimeoutError):  # or give up in the middle of a token
            async with asyncio.timeout(0.05):
                async for _chunk in model.astream(prompt):
                    pass
    # The model still answers whole, one generation at a time.
    answers = await asyncio.gather(model.ainvoke("Say hello."), model.ainvoke("Say bye."))
    assert all(str(a.content).strip() for a in answers)


def test_a_request_between_two_of_another_kind_keeps_their_prefix() -> None:
    """A chat message between two /ask must not make the second /ask read the /ask
    instructions again (bot.ai.prompt_states), and the model answers from a restored state."""
    from langchain_core.messages import HumanMessage, SystemMessage

    from bot.ai.llamacpp_chat import load_llamacpp
    from bot.ai.local_engine import bundled_gguf_path

    rules = "You answer from documents. " + "Cite sources like [1] and keep answers short. " * 8
    ask_1 = [SystemMessage(rules), HumanMessage("Question: when is the meeting?")]
    chat = [SystemMessage("You are a friendly assistant."), HumanMessage("Hi, how are you?")]
    ask_2 = [SystemMessage(rules), HumanMessage("Question: who leads the workshop?")]

    def read_tokens(states: bool) -> tuple[list[int], str]:
        model = load_llamacpp(bundled_gguf_path(), 1024).model_copy(
            update={"temperature": 0.0, "max_tokens": 8}
        )
        client = model.client
        if not states:
            client.set_cache(None)
        read: list[int] = []
        evaluate = client.eval
        client.eval = lambda tokens: (read.append(len(tokens)), evaluate(tokens))[1]
        for messages in (ask_1, chat):
            model.invoke(messages)
        read.clear()
        answer = str(model.invoke(ask_2).content)
        return read, answer

    with_states, answer = read_tokens(True)
    without, _ = read_tokens(False)
    prompt = sum(without)  # the whole second /ask prompt is read without states...
    assert sum(with_states) < prompt - 60  # ...only what follows the shared rules with them
    # Not compared word for word: a prefix read in another request's batch differs in the last
    # bits, so greedy texts may part (bench/results/mixed_requests.md compares quality).
    assert answer.strip()
