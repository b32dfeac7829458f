"""Interchangeable sentiment engines behind one small interface.

>>> engine = create_engine("auto")                 # VADER for English, multilingual otherwise
>>> result = await engine.analyze("Harika bir gün!")
>>> result.label, result.score, result.engine        # ("positive", 0.93, "multilingual")

Engines: ``vader`` (English lexicon), ``multilingual`` (offline classifier over multilingual
embeddings), ``transformers`` (any HF text-classification model), ``llm`` (few-shot prompting
of a LangChain chat model) and ``auto``. All raise :class:`EngineError` with a user message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal

from plugins.sentiment.engines.auto import AutoEngine
from plugins.sentiment.engines.base import (
    LABELS,
    EngineError,
    Label,
    Limits,
    SentimentEngine,
    SentimentResult,
)
from plugins.sentiment.engines.multilingual import MultilingualEngine
from plugins.sentiment.engines.vader import VaderEngine

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from bot.ai.base import Embedder

__all__ = [
    "LABELS",
    "AutoEngine",
    "EngineChoice",
    "EngineError",
    "Label",
    "Limits",
    "MultilingualEngine",
    "SentimentEngine",
    "SentimentResult",
    "VaderEngine",
    "create_engine",
]

EngineChoice = Literal["auto", "vader", "multilingual", "transformers", "llm"]


def create_engine(
    choice: EngineChoice = "auto",
    *,
    embedder: Embedder | None = None,
    chat_model: BaseChatModel | None = None,
    model: str = "",
    label_map: Mapping[str, Label] | None = None,
    limits: Limits | None = None,
) -> SentimentEngine:
    """Build an engine by name. Cheap: models load on first use, in worker threads.

    ``embedder`` feeds the multilingual engine (default: the packaged embedder), ``chat_model``
    the llm engine, ``model`` (Hub id or folder) and ``label_map`` the transformers engine.
    """
    if choice == "vader":
        return VaderEngine(limits=limits)
    if choice == "multilingual":
        return MultilingualEngine(embedder, limits=limits)
    if choice == "auto":
        return AutoEngine(VaderEngine(), MultilingualEngine(embedder), limits=limits)
    if choice == "transformers":
        from plugins.sentiment.engines.transformers_engine import TransformersEngine

        return TransformersEngine(model, label_map=label_map, limits=limits)
    if choice == "llm":
        if chat_model is None:
            raise EngineError(
                "The `llm` sentiment engine needs a chat model; none is set up.", "llm"
            )
        from plugins.sentiment.engines.llm import LLMEngine

        return LLMEngine(chat_model, limits=limits)
    raise EngineError(
        f"There is no sentiment engine called `{choice}`. "
        "Choose one of: auto, vader, multilingual, transformers, llm.",
        str(choice),
    )
