"""Token counting, context budgets, fit_history and the running summary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from bot.ai.errors import ContextTooLongError
from bot.ai.history import SUMMARY_HEADER, condense_history, fit_history, summarize_turns
from bot.ai.local_engine import load_engine
from bot.ai.models import ModelConfig
from bot.ai.runner import ChatRunner, Completion
from bot.ai.tokens import (
    HeuristicCounter,
    HFTokenizerCounter,
    TokenCounter,
    context_window_for,
    counter_for,
    prompt_budget,
)
from tests.ai.models_support import build_tiny_llama


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_llama(tmp_path_factory.mktemp("tiny-llama-tokens"), max_positions=256)


def conversation(turns: int) -> list[BaseMessage]:
    history: list[BaseMessage] = []
    for i in range(turns):
        history.append(HumanMessage(f"question {i}: how are you today my friend"))
        history.append(AIMessage(f"answer {i}: good thanks and you my friend"))
    return history


# ----- counters -----------------------------------------------------------------------------


def test_heuristic_counter() -> None:
    counter = HeuristicCounter(chars_per_token=4)
    assert counter.count_text("") == 0
    assert counter.count_text("abcd") == 1
    assert counter.count_text("abcde") == 2
    one = counter.count_messages([HumanMessage("abcd")])
    two = counter.count_messages([HumanMessage("abcd"), AIMessage("abcd")])
    assert two - one == counter.count_messages([HumanMessage("abcd")]) - 3  # framing per message
    assert isinstance(counter, TokenCounter)


def test_local_counter_is_exact(tiny_dir: Path) -> None:
    cfg = ModelConfig(model=str(tiny_dir))
    counter = counter_for(cfg)
    assert isinstance(counter, HFTokenizerCounter) and counter.exact
    tokenizer: Any = load_engine(str(tiny_dir)).tokenizer
    assert counter.count_text("hello world sea") == 3
    messages = [SystemMessage("you are a cat"), HumanMessage("hello world")]
    templated = tokenizer.apply_chat_template(
        [
            {"role": "system", "content": "you are a cat"},
            {"role": "user", "content": "hello world"},
        ],
        add_generation_prompt=True,
        return_dict=True,
    )
    assert counter.count_messages(messages) == len(templated["input_ids"])


def test_remote_counter_works_offline() -> None:
    counter = counter_for(ModelConfig(provider="openai", model="gpt-4o-mini"))
    # tiktoken when its encoding files are cached, else the heuristic: both count sensibly.
    assert counter.name.startswith(("tiktoken", "heuristic"))
    assert 2 <= counter.count_text("Hello there, how are you?") <= 12


def test_context_windows(tiny_dir: Path) -> None:
    assert context_window_for(ModelConfig(model=str(tiny_dir))) == 256
    assert context_window_for(ModelConfig(model=str(tiny_dir), context_window=100)) == 100
    assert context_window_for(ModelConfig(provider="openai", model="gpt-4o-mini")) == 128_000
    assert context_window_for(ModelConfig(provider="openai", model="gpt-4.1-nano")) == 1_047_576
    assert context_window_for(ModelConfig(provider="openai", model="llama3.2")) == 8192
    assert context_window_for(ModelConfig(provider="fake", context_window=2048)) == 2048
    cfg = ModelConfig(model=str(tiny_dir), max_new_tokens=50)
    assert prompt_budget(cfg) == 256 - 50 - 16


# ----- fit_history --------------------------------------------------------------------------


def test_everything_fits_in_a_large_budget() -> None:
    history = conversation(3)
    fitted = fit_history("be kind", history, "and now?", 10_000)
    assert fitted.dropped == []
    assert fitted.kept == history
    assert isinstance(fitted.messages[0], SystemMessage)
    assert fitted.messages[1:-1] == history
    assert fitted.messages[-1] == HumanMessage("and now?")
    assert fitted.tokens == HeuristicCounter().count_messages(fitted.messages)


@pytest.mark.parametrize("budget", [60, 90, 120, 200, 333])
def test_oldest_turns_go_first_and_the_budget_holds(budget: int) -> None:
    history = conversation(10)
    counter = HeuristicCounter()
    fitted = fit_history("be kind", history, "and now?", budget, counter=counter)
    assert fitted.tokens <= budget
    assert counter.count_messages(fitted.messages) == fitted.tokens
    assert fitted.dropped + fitted.kept == history  # nothing reordered, nothing invented
    assert fitted.dropped  # 10 turns do not fit in these budgets
    assert not fitted.kept or isinstance(fitted.kept[0], HumanMessage)  # starts with a turn
    # Greedy: the next older turn would not have fit.
    if len(fitted.dropped) >= 2:
        wider = [*fitted.dropped[-2:], *fitted.kept]
        messages = [fitted.messages[0], *wider, fitted.messages[-1]]
        assert counter.count_messages(messages) > budget


def test_exact_counter_respects_the_budget(tiny_dir: Path) -> None:
    counter = counter_for(ModelConfig(model=str(tiny_dir)))
    history = conversation(8)
    fitted = fit_history("you are a cat", history, "hello", 80, counter=counter)
    assert fitted.tokens <= 80
    assert counter.count_messages(fitted.messages) == fitted.tokens
    assert fitted.kept and fitted.dropped


def test_message_too_long_for_the_budget_is_refused_not_cut() -> None:
    with pytest.raises(ContextTooLongError) as caught:
        fit_history("be kind", conversation(2), "word " * 500, 100)
    assert "Please shorten it" in caught.value.user_message


def test_summary_goes_into_the_system_message() -> None:
    fitted = fit_history("be kind", [], "hi", 500, summary="They talked about cats.")
    assert len(fitted.messages) == 2
    system = fitted.messages[0]
    assert isinstance(system, SystemMessage)
    assert system.text.startswith("be kind")
    assert f"{SUMMARY_HEADER}\nThey talked about cats." in system.text
    no_system = fit_history(None, [], "hi", 500)
    assert len(no_system.messages) == 1


# ----- running summary ----------------------------------------------------------------------


class RecordingRunner:
    """A Completer that records prompts and answers with a fixed summary."""

    def __init__(self, answer: str) -> None:
        self.answer = answer
        self.prompts: list[list[BaseMessage]] = []

    async def complete(self, messages: list[BaseMessage], cfg: ModelConfig) -> Completion:
        self.prompts.append(messages)
        return Completion(self.answer, tokens_in=10, tokens_out=5)


async def test_dropped_turns_are_summarized() -> None:
    history = conversation(10)
    runner = RecordingRunner("They greeted each other ten times.")
    cfg = ModelConfig(provider="fake")
    fitted = await condense_history(
        runner, cfg, "be kind", history, "and now?", budget=150, counter=HeuristicCounter()
    )
    assert fitted.summary == "They greeted each other ten times."
    assert fitted.summarized and fitted.dropped == []
    assert fitted.summarized + fitted.kept == history
    assert fitted.tokens <= 150
    assert "They greeted each other ten times." in fitted.messages[0].text
    transcript = runner.prompts[0][-1].text
    assert "User: question 0" in transcript and "Assistant: answer 0" in transcript
    calls = len(runner.prompts)  # a second round folds in turns the summary pushed out
    assert (fitted.summary_tokens_in, fitted.summary_tokens_out) == (10 * calls, 5 * calls)
    for later in runner.prompts[1:]:
        assert "Earlier summary:\nThey greeted" in later[-1].text


async def test_no_summary_call_when_everything_fits() -> None:
    runner = RecordingRunner("unused")
    fitted = await condense_history(
        runner, ModelConfig(provider="fake"), "be kind", conversation(2), "hi", budget=5000
    )
    assert runner.prompts == [] and fitted.summary is None


async def test_previous_summary_is_carried_into_the_new_one() -> None:
    runner = RecordingRunner("merged")
    summary, _, _ = await summarize_turns(
        runner, ModelConfig(provider="fake"), conversation(1), previous="Old facts."
    )
    assert summary == "merged"
    assert "Earlier summary:\nOld facts." in runner.prompts[0][-1].text


async def test_long_transcripts_are_summarized_in_pieces() -> None:
    runner = RecordingRunner("so far so good")
    cfg = ModelConfig(provider="fake", context_window=600)
    await summarize_turns(runner, cfg, conversation(60), max_tokens=50)
    assert len(runner.prompts) > 1  # does not fit one window: folded piece by piece
    assert "Earlier summary:\nso far so good" in runner.prompts[1][-1].text


async def test_condense_with_the_real_runner_and_fake_model() -> None:
    cfg = ModelConfig(provider="fake", model="A short summary.", context_window=400)
    fitted = await condense_history(
        ChatRunner(), cfg, "be kind", conversation(20), "and now?", counter=HeuristicCounter()
    )
    assert fitted.summary == "A short summary."
    assert fitted.tokens <= prompt_budget(cfg)
    assert fitted.summary_tokens_out > 0  # estimated usage of the summarizing call


async def test_a_summary_too_big_for_this_message_is_kept_but_left_out() -> None:
    runner = RecordingRunner("unused")
    old_summary = "fact " * 100
    fitted = await condense_history(
        runner,
        ModelConfig(provider="fake"),
        None,
        conversation(3),
        "word " * 60,
        summary=old_summary,
        budget=120,
        counter=HeuristicCounter(),
    )
    assert fitted.tokens <= 120
    assert all(SUMMARY_HEADER not in m.text for m in fitted.messages)
    assert fitted.summary == old_summary  # still stored for the next, shorter message
    assert runner.prompts == [] and fitted.summarized == []  # older turns stay in history
