"""Answering from retrieved chunks: numbered context, [n] citations, an honest "not found"."""

from __future__ import annotations

import re
from dataclasses import dataclass

from langchain_core.documents import Document
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

__all__ = [
    "NOT_FOUND",
    "Source",
    "build_messages",
    "format_sources",
    "number_sources",
    "used_citations",
]

NOT_FOUND = (
    "I couldn't find the answer in this server's documents. "
    "Try rephrasing, or upload a document that covers it with `/docs upload`."
)

SYSTEM_PROMPT = (
    "You answer questions using ONLY the numbered sources below. "
    "Cite every fact with its source number in square brackets, like [1] or [2]. "
    "If the sources do not contain the answer, say exactly: I don't know. "
    "Answer in the language of the question. Be concise.\n\nSources:\n{sources}"
)


@dataclass(frozen=True)
class Source:
    number: int
    name: str
    page: int | None
    link: str | None
    text: str


def number_sources(documents: list[Document], max_chars_each: int = 1200) -> list[Source]:
    """One number per retrieved chunk, in ranking order."""
    return [
        Source(
            number=i,
            name=str(doc.metadata.get("document_name") or "document"),
            page=doc.metadata.get("page"),
            link=doc.metadata.get("source_url"),
            text=doc.page_content[:max_chars_each],
        )
        for i, doc in enumerate(documents, start=1)
    ]


def build_messages(question: str, sources: list[Source]) -> list[BaseMessage]:
    context = "\n\n".join(
        f"[{s.number}] ({s.name}{f', page {s.page}' if s.page else ''})\n{s.text}" for s in sources
    )
    return [SystemMessage(SYSTEM_PROMPT.format(sources=context)), HumanMessage(question)]


def used_citations(answer: str, sources: list[Source]) -> list[Source]:
    """Sources the answer cites; all of them when the model cited none."""
    cited = {int(n) for n in re.findall(r"\[(\d{1,2})\]", answer)}
    chosen = [s for s in sources if s.number in cited]
    return chosen or sources


def format_sources(sources: list[Source]) -> str:
    lines = ["**Sources**"]
    for s in sources:
        page = f", page {s.page}" if s.page else ""
        link = f" — <{s.link}>" if s.link else ""
        lines.append(f"[{s.number}] {s.name}{page}{link}")
    return "\n".join(lines)
