"""The chat task of `sohbet eval`: are the chat plugin's answers *right*, in both languages?

Data (bot/evaluation/data/chat_facts.json, shipped with Sohbet): public general-knowledge
facts, each asked in English and in Turkish, and short reading questions (the facts are in the
message), with accepted answers. An answer is right when it contains one of them as whole
words, ignoring case and accents (``İstanbul`` = ``istanbul``, ``cıva`` = ``civa``).

Beside it, in the same run:
- the trivial baseline: the question repeated back as the answer (it "answers" the reading
  questions whose answer is in the text, nothing else);
- the language of open everyday questions' answers (fastText) vs always answering in English,
  the task's earlier measure: a right answer in the wrong language is no chat answer;
- latency on this machine: seconds to the first streamed token and per whole answer.
"""

from __future__ import annotations

import json
import re
import statistics
import time
import unicodedata
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from tqdm import tqdm

__all__ = ["PASS_MARK", "ChatItem", "chat_items", "chat_task", "is_right", "normalize"]

PASS_MARK = 50.0  # % of questions a model must answer right in *each* language to be ready

Gather = Callable[[Sequence[Callable[[], Awaitable[Any]]], tqdm], Awaitable[list[Any]]]
Prompt = Callable[[str], Awaitable[list[BaseMessage]]]


@dataclass(frozen=True)
class ChatItem:
    question: str
    lang: str  # "en" | "tr"
    answers: tuple[str, ...]
    kind: str  # "fact" | "reading"


def chat_items(limit: int) -> list[ChatItem]:
    """`limit` facts in both languages, then up to `limit` reading questions per language."""
    raw = json.loads(
        resources.files("bot.evaluation").joinpath("data/chat_facts.json").read_text("utf-8")
    )
    items = []
    for fact in raw["facts"][:limit]:
        answers = tuple(fact["answers"])
        items.append(ChatItem(fact["en"], "en", answers, "fact"))
        items.append(ChatItem(fact["tr"], "tr", answers, "fact"))
    per_lang: dict[str, int] = {}
    for entry in raw["reading"]:
        if per_lang.get(entry["lang"], 0) < limit:
            per_lang[entry["lang"]] = per_lang.get(entry["lang"], 0) + 1
            items.append(ChatItem(entry["question"], entry["lang"], tuple(entry["answers"]),
                                  "reading"))  # fmt: skip
    return items


def normalize(text: str) -> str:
    """Lower case without accents, Turkish dotted and dotless i made one letter."""
    text = text.replace("İ", "i").replace("I", "i").replace("ı", "i").lower()
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c))


def is_right(answer: str, answers: Sequence[str]) -> bool:
    """Some accepted answer appears in `answer` as whole words (``1923'te`` holds ``1923``,
    ``100`` doesn't hold ``10``)."""
    text = normalize(answer)
    for accepted in answers:
        pattern = r"(?<!\w)" + re.escape(normalize(accepted)) + r"(?!\w)"
        if re.search(pattern, text):
            return True
    return False


async def _timed_answer(model: BaseChatModel, messages: list[BaseMessage]) -> tuple[str, float]:
    """The streamed answer and the seconds until its first token."""
    started = time.perf_counter()
    first: float | None = None
    pieces = []
    async for chunk in model.astream(messages):
        text = chunk.content if isinstance(chunk.content, str) else str(chunk.content)
        if text and first is None:
            first = time.perf_counter() - started
        pieces.append(text)
    return "".join(pieces), first if first is not None else time.perf_counter() - started


async def chat_task(
    model: BaseChatModel,
    limit: int,
    bar: tqdm,
    gather: Gather,
    prompt: Prompt,
    open_questions: Sequence[str],
    language_of: Callable[[str], Awaitable[str]],
) -> dict[str, Any]:
    """Ask every item through `prompt` (the chat plugin's system prompt + the question)."""
    items = chat_items(limit)

    def ask(question: str) -> Callable[[], Awaitable[tuple[str, float, float]]]:
        async def job() -> tuple[str, float, float]:
            started = time.perf_counter()
            answer, first = await _timed_answer(model, await prompt(question))
            return answer, first, time.perf_counter() - started

        return job

    started = time.perf_counter()
    results = await gather([ask(item.question) for item in items], bar)
    opened = await gather([ask(question) for question in open_questions], bar)
    seconds = time.perf_counter() - started

    answered: list[tuple[str, float, float]] = [
        r if isinstance(r, tuple) else ("", 0.0, 0.0) for r in results
    ]
    right = [is_right(a, item.answers) for (a, _, _), item in zip(answered, items, strict=True)]
    echo = [is_right(item.question, item.answers) for item in items]

    def share(flags: Sequence[bool]) -> float:
        return round(100 * sum(flags) / max(1, len(flags)), 1)

    def where(flags: Sequence[bool], test: Callable[[ChatItem], bool]) -> list[bool]:
        return [f for f, item in zip(flags, items, strict=True) if test(item)]

    matches, english = 0, 0
    for question, result in zip(open_questions, opened, strict=True):
        asked = await language_of(question)
        english += asked == "en"
        if isinstance(result, tuple) and result[0].strip():
            matches += (await language_of(result[0])) == asked
    firsts = [first for _, first, total in answered if total > 0]
    totals = [total for _, _, total in answered if total > 0]
    examples = [
        {"question": item.question, "answer": a[:300], "right": ok}
        for (a, _, _), item, ok in zip(answered, items, right, strict=True)
    ]
    return {
        "n": len(items),
        "right": share(right),
        "echo": share(echo),
        "seconds": round(seconds, 1),
        "details": {
            "English right %": share(where(right, lambda i: i.lang == "en")),
            "Turkish right %": share(where(right, lambda i: i.lang == "tr")),
            "facts right %": share(where(right, lambda i: i.kind == "fact")),
            "reading right %": share(where(right, lambda i: i.kind == "reading")),
            "open questions answered in their language %": round(
                100 * matches / max(1, len(open_questions)), 1
            ),
            "always English %": round(100 * english / max(1, len(open_questions)), 1),
            "first token s (median)": round(statistics.median(firsts), 2) if firsts else None,
            "first token s (90th pct)": round(_p90(firsts), 2) if firsts else None,
            "seconds per answer (mean)": round(statistics.fmean(totals), 2) if totals else None,
            "failed": sum(not isinstance(r, tuple) for r in [*results, *opened]),
            "examples": examples,
        },
    }


def _p90(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
