"""Few-shot LLM engine: prompt shape and parsing of odd answers (LangChain's fake chat model)."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.outputs import ChatResult

from bot.nlp.errors import EngineError, EngineTimeout
from plugins.sentiment.engines import Limits, create_engine
from plugins.sentiment.engines.llm import LLMEngine, parse_sentiment


@pytest.mark.parametrize(
    ("answer", "label", "score"),
    [
        ("positive", "positive", 1.0),
        ("Negative.", "negative", 1.0),
        ("  **Neutral**\n", "neutral", 1.0),
        ("Customer sentiment: POSITIVE", "positive", 1.0),
        ("<think>Could be negative... no.</think> Positive", "positive", 1.0),
        ("It is not negative, it is positive.", "positive", 1.0),
        ("olumsuz", "negative", 1.0),
        ("Nötr", "neutral", 1.0),
        ("positive\n\nCustomer review: awful\nCustomer sentiment: negative", "positive", 1.0),
        ("Mostly positive, with some negative points.", "positive", 0.5),
    ],
)
async def test_odd_answers_are_parsed(answer: str, label: str, score: float) -> None:
    engine = LLMEngine(FakeListChatModel(responses=[answer]))
    result = await engine.analyze("whatever")
    assert (result.label, result.score) == (label, score)
    assert result.engine.startswith("llm:")


@pytest.mark.parametrize("answer", ["", "I cannot help with that.", "positively maybe", "42"])
async def test_answers_without_a_sentiment_raise_a_friendly_error(answer: str) -> None:
    engine = LLMEngine(FakeListChatModel(responses=[answer]))
    with pytest.raises(EngineError) as err:
        await engine.analyze("whatever")
    assert "isn't a sentiment" in err.value.user_message


def test_parse_sentiment_ignores_words_that_merely_contain_a_label() -> None:
    assert parse_sentiment("positively") is None
    assert parse_sentiment("neg") == ("negative", True)


def test_prompt_is_the_few_shot_customer_review_pattern() -> None:
    engine = LLMEngine(
        FakeListChatModel(responses=["x"]), examples=[("Great!", "positive"), ("Bad.", "negative")]
    )
    messages = engine.messages("Kargo geç geldi.")
    assert isinstance(messages[0], SystemMessage)
    assert [type(m) for m in messages[1:]] == [HumanMessage, AIMessage, HumanMessage, AIMessage,
                                              HumanMessage]  # fmt: skip
    assert messages[1].content == "Customer review: Great!\nCustomer sentiment:"
    assert messages[2].content == "positive"
    assert messages[-1].content == "Customer review: Kargo geç geldi.\nCustomer sentiment:"


async def test_many_texts_keep_their_order() -> None:
    engine = LLMEngine(FakeListChatModel(responses=["negative", "positive", "neutral"]),
                       max_concurrency=1)  # fmt: skip
    results = await engine.analyze_many(["a", "b", "c"])
    assert [r.label for r in results] == ["negative", "positive", "neutral"]


async def test_slow_model_times_out() -> None:
    slow = FakeListChatModel(responses=["positive"], sleep=1.0)
    engine = LLMEngine(slow, limits=Limits(timeout=0.05))
    with pytest.raises(EngineTimeout):
        await engine.analyze("hello")


class Unreachable(BaseChatModel):
    """A chat model whose service is down."""

    @property
    def _llm_type(self) -> str:
        return "unreachable"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        raise ConnectionError("connection refused")

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        raise ConnectionError("connection refused")


async def test_model_failure_becomes_a_friendly_engine_error() -> None:
    engine = LLMEngine(Unreachable())
    with pytest.raises(EngineError) as err:
        await engine.analyze("hello")
    assert "can't be reached" in err.value.user_message
    assert err.value.engine == "llm:unreachable"


async def test_factory_needs_a_chat_model_for_llm() -> None:
    with pytest.raises(EngineError, match="needs a chat model"):
        create_engine("llm")
    engine = create_engine("llm", chat_model=FakeListChatModel(responses=["positive"]))
    assert (await engine.analyze("good")).label == "positive"
