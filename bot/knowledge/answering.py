"""Answering a question from a server's documents: the one place /ask, documents-in-chat,
`sohbet eval` and bench/ask_quality.py call, so what is measured is what members get.

    search = document_search(store, embedder, scope, AskSettings())
    prepared = await prepare(question, previous_questions, search)   # None: nothing relevant
    answer = ... stream prepared.messages through the chat model ...
    checked = finish(answer, prepared)     # citations checked, re-pointed, dropped or added

Steps: follow-up decision with search evidence (`followup.decide`), sentence selection within
the top chunks under a token cap (`context.select_passages`), numbered sources and the prompt
with its fixed instruction prefix (`answers.build_messages`), citation checks after the answer
(`citations.check_citations`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from langchain_core.documents import Document
from langchain_core.messages import BaseMessage

from bot.knowledge.answers import Source, build_messages, number_sources
from bot.knowledge.citations import CheckedAnswer, check_citations
from bot.knowledge.context import Passage, approx_tokens, select_passages
from bot.knowledge.followup import Decision, Search, decide
from bot.nlp.reply_language import reply_language_instruction

__all__ = [
    "ANSWER_TOKENS",
    "CONTEXT_TOKENS",
    "AskSettings",
    "Prepared",
    "document_search",
    "finish",
    "prepare",
]

# What the model reads from the documents per question; chosen by bench/ask_quality.py
# (reach and answers beside prompt tokens and seconds, on more than one set).
CONTEXT_TOKENS = 160
# The longest answer: the prompt asks for one or two short sentences (~40-80 tokens), so a
# longer one is the model running on; on 2 cores each token costs ~0.1 s.
ANSWER_TOKENS = 128


@dataclass(frozen=True)
class AskSettings:
    top_k: int = 5
    min_score: float = 0.25
    min_keyword_coverage: float = 0.6
    context_tokens: int = CONTEXT_TOKENS  # <= 0: whole chunks


@dataclass(frozen=True)
class Prepared:
    question: str
    decision: Decision
    passages: list[Passage]
    sources: list[Source]
    messages: list[BaseMessage]

    @property
    def earlier(self) -> str | None:
        return self.decision.earlier


def document_search(
    store: Any,
    embedder: Any,
    scope: Any,
    settings: AskSettings,
    *,
    ready_documents: Callable[[set[str]], Awaitable[set[str]]] | None = None,
) -> Search:
    """The hybrid search with its relevance gate, within `scope` (a bot.vectors.SearchScope);
    `ready_documents`: only chunks of these documents (bot.vectors.HybridRetriever)."""
    from bot.vectors import HybridRetriever

    retriever = HybridRetriever(
        store=store,
        embedder=embedder,
        scope=scope,
        k=settings.top_k,
        min_dense_score=settings.min_score,
        min_keyword_coverage=settings.min_keyword_coverage,
        ready_documents=ready_documents,
    )

    async def search(query: str) -> list[Document]:
        found: list[Document] = await retriever.ainvoke(query)
        return found

    return search


async def prepare(
    question: str,
    previous: list[str],
    search: Search,
    *,
    context_tokens: int = CONTEXT_TOKENS,
    count_tokens: Callable[[str], int] = approx_tokens,
) -> Prepared | None:
    """Search (alone or as a follow-up), select what the model reads, build the prompt; None
    when the documents hold nothing relevant."""
    decision = await decide(question, previous, search)
    if not decision.found:
        return None
    passages = await asyncio.to_thread(  # sentence splitting: off the event loop
        select_passages,
        decision.query,
        decision.found,
        max_tokens=context_tokens,
        count_tokens=count_tokens,
    )
    sources = number_sources(passages)
    language = await reply_language_instruction(question)
    messages = build_messages(
        question, sources, earlier=decision.earlier, reply_language=language
    )
    return Prepared(question, decision, passages, sources, messages)


def finish(answer: str, prepared: Prepared) -> CheckedAnswer:
    """The answer's citations checked against the sources it was given."""
    return check_citations(answer, prepared.sources, question=prepared.decision.query)
