"""/ask with a real local model, measured where members are: right source, answers, seconds.

One command: ``python -m bench.ask_quality`` (the model: the pulled default model,
Qwen2.5-Coder-1.5B-Instruct Q4_K_M from ``sohbet models pull``, or ``$SOHBET_BENCH_GGUF``,
through llama.cpp in process; ``--gguf PATH`` for another GGUF, ``--base-url URL --model NAME``
for an OpenAI-compatible server). Writes
bench/results/ask_quality.{json,md}.

Data (public, installed from the Debian archive by bench/retrieval_quality.fetch): two reading
sets of questions people ask with the passage that answers them — the Python FAQ and the
Debian FAQ (each question heading is a question, its section the answer) — and the Python
standard library reference (one document per documented function/class) for follow-ups and as
the rest of the server: about 3,950 documents in ONE server, through the ingestion splitter and
the default embedder into Qdrant Edge.

The conversation: one member asks, in this order, a Python FAQ question, a Debian FAQ question,
... (every consecutive pair is a topic switch: unrelated questions), with off-topic questions and
follow-up pairs ("What does shutil.rmtree do?" then "What does it return?") mixed in. Every
question goes through bot.knowledge.answering, the code /ask runs: follow-up decision, search,
sentence selection under the token cap, prompt, streamed answer, citation check.

Reported per reading set: right source cited (the answer's [n], after the check, names the
question's own document), token F1 against the reference answer (SQuAD's, against the whole
FAQ answer: low by nature, for comparing rows), answer supported (share of the answer's key
words found in the right document), refusals, first-token and total seconds per /ask (median,
p90, search included), prompt tokens. Beside: ``before`` (the previous /ask: whole chunks, the
word-list follow-up detector, no citation check), closed-book (the same model, no documents)
and the closest passage (no model: the best selected sentence and its document). Off-topic
questions refused; an injected instruction in a source followed. Without the model: the
follow-up detector's precision and recall (new and previous) on the topic-switch and follow-up
questions, and reach (the right document among what the model reads) beside prompt tokens for
each token cap.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import random
import re
import shlex
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from langchain_core.documents import Document
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage

import bench.retrieval_quality as rq
from bench.local_model import default_gguf
from bot.ai.embeddings import EmbeddingConfig, load_embedder
from bot.evaluation import corpora
from bot.evaluation.documents import (
    CANARY,
    INJECTIONS,
    NO_DOCUMENTS_PROMPT,
    answer_f1,
    contains_answer,
    injected_messages,
)
from bot.knowledge.answering import (
    ANSWER_TOKENS,
    AskSettings,
    Prepared,
    document_search,
    finish,
    prepare,
)
from bot.knowledge.answers import Source, build_messages, is_refusal
from bot.knowledge.citations import check_citations, support
from bot.knowledge.context import select_passages
from bot.knowledge.followup import REMEMBER_S, Search
from bot.vectors import ChunkRecord, SearchScope
from bot.vectors.edge import EdgeVectorStore

RESULTS = Path(__file__).parent / "results"
NAME = "ask_quality"


SEED = 25
FOLLOW_UPS = [
    "What does it return?",
    "What arguments does it take?",
    "When should I use it?",
    "What exceptions can it raise?",
    "Peki bu ne döndürür?",
    "and what does it raise on errors?",
]
SETS = ("python-faq", "debian-faq", "reading")
SHORT_REFERENCES = {"reading"}  # a short answer span: "contains the reference" applies


@dataclass
class Turn:
    kind: str  # python-faq, debian-faq, follow-up-first, follow-up, off-topic
    question: str
    right: str | None  # the document that answers it
    reference: str = ""
    follow_up: bool = False  # the truth: needs the earlier question


@dataclass
class Answered:
    kind: str
    question: str
    variant: str
    first_token_s: float
    total_s: float
    prompt_tokens: int
    answer: str
    cited: list[str] = field(default_factory=list)
    refused: bool = False
    right_cited: bool = False
    f1: float = 0.0
    supported: float = 0.0
    follow_up: bool = False
    contains: bool | None = None  # None: the reference is a whole FAQ answer
    right: str | None = None  # the document that answers it
    check_question: str = ""  # what the citation check compares against (the search query)
    sources: list[dict[str, Any]] = field(default_factory=list)  # what the model read


# ----- data -----------------------------------------------------------------------------


READING_NAME = [""]


def load_data(cache: Path) -> tuple[dict[str, str], dict[str, list[Turn]], dict[str, str]]:
    """(documents, turns by kind, library entry names) — see the module docstring."""
    root, _ = rq.fetch(cache)
    documents: dict[str, str] = {}
    turns: dict[str, list[Turn]] = {kind: [] for kind in SETS}
    for qa in rq.python_faq(root) + rq.debian_faq(root)[0]:
        documents[qa.id] = qa.answer
        turns[qa.source].append(Turn(qa.source, qa.question, qa.id, qa.answer))
    # Short-answer reading comprehension: Disfl-QA when pip can get BIG-bench, else the set
    # that ships in Sohbet's wheel (bot.evaluation.corpora.reading_set says which).
    reading = corpora.reading_set()
    for i, (question, paragraph, answer) in enumerate(reading.rows):
        doc_id = f"reading:{i}"
        documents[doc_id] = paragraph
        turns["reading"].append(Turn("reading", question, doc_id, answer))
    READING_NAME[0] = reading.name + (f" ({reading.note})" if reading.note else "")
    rq.TECH_DOCS = 10**6  # every documented entry: the rest of the server
    library = rq.technical(root)
    documents.update(library.documents)
    names = {key: key.removeprefix("py:") for key in library.documents}
    return documents, turns, names


def conversation(
    turns: dict[str, list[Turn]], names: dict[str, str], per_set: int, pairs: int, off: int
) -> list[Turn]:
    rng = random.Random(SEED)
    picked = [rng.sample(turns[kind], min(per_set, len(turns[kind]))) for kind in SETS]
    reading = [t for group in itertools.zip_longest(*picked) for t in group if t is not None]
    entries = rng.sample(sorted(names), pairs)
    follow = [
        [
            Turn("follow-up-first", f"What does {names[e]} do?", e),
            Turn("follow-up", rng.choice(FOLLOW_UPS), e, follow_up=True),
        ]
        for e in entries
    ]
    off_topic = [Turn("off-topic", q, None) for q in rng.sample(rq.OFF_TOPIC, off)]
    order: list[Turn] = []
    every = max(1, len(reading) // max(1, len(follow) + len(off_topic)))
    extras: list[list[Turn]] = [*follow, *([t] for t in off_topic)]
    rng.shuffle(extras)
    for i, turn in enumerate(reading):
        order.append(turn)
        if i % every == every - 1 and extras:
            order.extend(extras.pop())
    for extra in extras:
        order.extend(extra)
    return order


async def build_store(documents: dict[str, str], work: Path) -> tuple[Any, Any]:
    embedder = await load_embedder(EmbeddingConfig.from_setting(""))
    store = await EdgeVectorStore.open(work, embedder.dimension)
    texts = [
        (d, i, t) for d, text in documents.items() for i, t in enumerate(rq.chunks_of(d, text))
    ]
    for start in range(0, len(texts), 512):
        batch = texts[start : start + 512]
        vectors = await embedder.embed_documents([t for _, _, t in batch])
        await store.upsert(
            [
                ChunkRecord(id=f"{d}:{i}", text=t, dense=v, server_id=1, channel_id=None,
                            document_id=d, document_name=d, uploader_id=1, position=i)
                for (d, i, t), v in zip(batch, vectors, strict=True)
            ]
        )  # fmt: skip
    return store, embedder


# ----- the previous /ask, for the "before" row ---------------------------------------------

# The word list the previous /ask took follow-ups by (issue 25: it matched "one", "their",
# "also", "this", "there" in ordinary questions).
_OLD_POINTERS = re.compile(
    r"\b(?:it|its|it's|itself|this|that|these|those|they|them|their|there|then|also|else|"
    r"same|one|bu|şu|o|onu|onun|ona|bunu|bunun|buna|şunu|orada|burada|onlar|onları|ayrıca|"
    r"peki|aynı)\b",
    re.IGNORECASE,
)
_OLD_OPENERS = re.compile(r"^\s*(?:and|but|so|what about|how about|ve|peki|ya|bir de)\b", re.I)


_CONTINUATION = re.compile(r"^\s*(?:and|but|what about|how about)\b", re.I)


def standalone(question: str) -> bool:
    """FAQ headings that continue the previous one ("And how about ...?", "What about
    'sid'?") are not standalone questions: left out of the topic-switch set (still answered)."""
    return not _CONTINUATION.match(question)


def previous_is_follow_up(question: str) -> bool:
    return len(question.split()) <= 3 or bool(
        _OLD_OPENERS.match(question) or _OLD_POINTERS.search(question)
    )


async def prepare_before(question: str, previous: list[str], search: Search) -> Prepared | None:
    """What /ask did before: the word-list detector, whole chunks (1,200 characters each)."""
    from bot.knowledge.followup import Decision

    joined = bool(previous) and previous_is_follow_up(question)
    query = f"{previous[-1]} {question}" if joined else question
    found = await search(query)
    if not found:
        return None
    decision = Decision(query, found, earlier=previous[-1] if joined else None)
    passages = select_passages(query, [_cut(d) for d in found], max_tokens=0)
    from bot.knowledge.answers import number_sources

    sources = number_sources(passages)
    return Prepared(question, decision, passages, sources,
                    build_messages(question, sources, earlier=decision.earlier))  # fmt: skip


def _cut(doc: Document) -> Document:
    return Document(page_content=doc.page_content[:1200], metadata=doc.metadata)


# ----- model -----------------------------------------------------------------------------


def load_model(args: argparse.Namespace) -> tuple[BaseChatModel, Callable[[list[Any]], int]]:
    from bot.ai.models import ModelConfig, build_chat_model
    from bot.ai.tokens import LlamaCppCounter

    if args.base_url:
        cfg = ModelConfig(
            provider="openai",
            model=args.model,
            base_url=args.base_url,
            temperature=0.0,
            max_new_tokens=args.max_new_tokens,
            timeout_s=600,
        )
        model = build_chat_model(cfg)
        return model, lambda messages: sum(len(str(m.content)) // 4 for m in messages)
    if args.gguf is None:
        raise SystemExit("No GGUF: `sohbet models pull` the default model, or pass --gguf PATH.")
    cfg = ModelConfig(provider="llamacpp", model=str(args.gguf), temperature=0.0,
                      max_new_tokens=args.max_new_tokens)  # fmt: skip
    model = build_chat_model(cfg)
    counter = LlamaCppCounter(model.client)  # type: ignore[attr-defined]
    return model, counter.count_messages


async def stream(model: BaseChatModel, messages: list[Any], started: float) -> tuple[float, str]:
    first = None
    parts = []
    async for chunk in model.astream(messages):
        text = str(chunk.content)
        if text and first is None:
            first = time.perf_counter() - started
        parts.append(text)
    return (first if first is not None else time.perf_counter() - started), "".join(parts)


# ----- runs --------------------------------------------------------------------------------


def previous_of(order: list[Turn], i: int) -> list[str]:
    """The member's last two questions (the plugin keeps REMEMBER_TURNS for REMEMBER_S)."""
    assert REMEMBER_S > 0
    return [t.question for t in order[max(0, i - 2) : i]]


async def detector_rows(order: list[Turn], search: Search) -> dict[str, Any]:
    from bot.knowledge.followup import decide

    rows: dict[str, dict[str, int]] = {"new (search evidence)": {}, "previous (word list)": {}}
    for i, turn in enumerate(order):
        if i == 0 or (turn.kind in SETS and not standalone(turn.question)):
            continue  # a FAQ heading written as a continuation is no topic switch
        previous = previous_of(order, i)
        predicted = {
            "new (search evidence)": (await decide(turn.question, previous, search)).follow_up,
            "previous (word list)": previous_is_follow_up(turn.question),
        }
        for name, said in predicted.items():
            cell = (
                ("tp" if turn.follow_up else "fp") if said else ("fn" if turn.follow_up else "tn")
            )
            rows[name][cell] = rows[name].get(cell, 0) + 1
            if said and not turn.follow_up and turn.kind in SETS and standalone(turn.question):
                rows[name]["standalone reading questions read as follow-ups"] = (
                    rows[name].get("standalone reading questions read as follow-ups", 0) + 1
                )
    out = {}
    for name, cells in rows.items():
        tp, fp, fn = cells.get("tp", 0), cells.get("fp", 0), cells.get("fn", 0)
        out[name] = {
            "precision": round(tp / max(1, tp + fp), 3),
            "recall": round(tp / max(1, tp + fn), 3),
            "standalone reading questions read as follow-ups": cells.get(
                "standalone reading questions read as follow-ups", 0
            ),
            "follow-ups found": f"{tp} of {tp + fn}",
        }
    return out


async def reach_rows(
    order: list[Turn], search: Search, caps: list[int], count: Callable[[str], int]
) -> dict[str, Any]:
    """Per cap and reading set: the right document among what the model reads, and tokens."""
    from bot.knowledge.followup import decide

    found_by_turn = []
    for i, turn in enumerate(order):
        if turn.right is None:
            continue
        decision = await decide(turn.question, previous_of(order, i), search)
        found_by_turn.append((turn, decision))
    rows: dict[str, Any] = {}
    for cap in caps:
        for spread in (True, False) if cap > 0 else (True,):
            for kind in (*SETS, "follow-up"):
                reached, tokens, retrieved = [], [], []
                for turn, decision in found_by_turn:
                    if turn.kind != kind:
                        continue
                    chunks = decision.found if cap > 0 else [_cut(d) for d in decision.found]
                    passages = select_passages(
                        decision.query, chunks, max_tokens=cap, spread=spread
                    )
                    retrieved.append(
                        any(d.metadata["document_id"] == turn.right for d in decision.found)
                    )
                    reached.append(any(p.document_id == turn.right for p in passages))
                    tokens.append(sum(count(p.text) for p in passages))
                label = (
                    "whole chunks"
                    if cap <= 0
                    else f"{cap} tokens, {'every chunk first' if spread else 'best first'}"
                )
                rows[f"{kind} · {label}"] = {
                    "n": len(reached),
                    "right document retrieved %": round(
                        100 * sum(retrieved) / max(1, len(retrieved)), 1
                    ),
                    "reach %": round(100 * sum(reached) / max(1, len(reached)), 1),
                    "context tokens median": int(statistics.median(tokens)) if tokens else 0,
                }
    return rows


async def answer_turns(
    order: list[Turn],
    search: Search,
    model: BaseChatModel,
    count_messages: Callable[[list[Any]], int],
    variants: list[str],
    documents: dict[str, str],
) -> list[Answered]:
    """Every turn answered by every variant back to back (the same load for each)."""
    out: list[Answered] = []
    for i, turn in enumerate(order):
        for variant in variants:
            cap = 0 if variant == "before" else int(variant.removeprefix("cap "))
            out.append(
                await answer_turn(order, i, turn, search, model, count_messages, variant, cap,
                                  documents)
            )  # fmt: skip
    return out


async def answer_turn(
    order: list[Turn],
    i: int,
    turn: Turn,
    search: Search,
    model: BaseChatModel,
    count_messages: Callable[[list[Any]], int],
    variant: str,
    cap: int,
    documents: dict[str, str],
) -> Answered:
    previous = previous_of(order, i)
    started = time.perf_counter()
    if variant == "before":
        prepared = await prepare_before(turn.question, previous, search)
    else:
        prepared = await prepare(turn.question, previous, search, context_tokens=cap)
    if prepared is None:  # nothing relevant: /ask says "not found", no model
        total = time.perf_counter() - started
        return Answered(turn.kind, turn.question, variant, total, total, 0, "", refused=True)
    first, text = await stream(model, prepared.messages, started)
    total = time.perf_counter() - started
    if variant == "before":
        from bot.knowledge.answers import used_citations

        cited = used_citations(text, prepared.sources)
    else:
        cited = finish(text, prepared).cited
    names = [s.document_id for s in cited]
    right_doc = documents.get(turn.right or "", "")
    held = Source(0, "", (), None, right_doc)
    row = Answered(
        turn.kind, turn.question, variant, round(first, 3), round(total, 3),
        count_messages(prepared.messages), text, names, refused=is_refusal(text),
        right_cited=turn.right in names,
        f1=answer_f1(text, turn.reference) if turn.reference else 0.0,
        contains=_contains(text, turn),
        supported=support(text, held, turn.question) if right_doc else 0.0,
        follow_up=prepared.earlier is not None, right=turn.right,
        check_question=prepared.decision.query,
        sources=[{"number": s.number, "document_id": s.document_id, "text": s.text}
                 for s in prepared.sources],
    )  # fmt: skip
    print(f"{variant:8s} {turn.kind:15s} {first:5.1f}s {total:5.1f}s "
          f"{'ok ' if row.right_cited else '-- '}{text[:70]!r}", flush=True)  # fmt: skip
    return row


def _contains(text: str, turn: Turn) -> bool | None:
    return contains_answer(text, turn.reference) if turn.kind in SHORT_REFERENCES else None


async def closed_book(order: list[Turn], model: BaseChatModel) -> list[Answered]:
    out = []
    for turn in order:
        if turn.kind not in SETS:
            continue
        started = time.perf_counter()
        messages = [SystemMessage(NO_DOCUMENTS_PROMPT), HumanMessage(turn.question)]
        first, text = await stream(model, messages, started)
        out.append(
            Answered(turn.kind, turn.question, "closed book", round(first, 3),
                     round(time.perf_counter() - started, 3), 0, text,
                     f1=answer_f1(text, turn.reference), contains=_contains(text, turn))
        )  # fmt: skip
    return out


async def closest_passage(order: list[Turn], search: Search) -> list[Answered]:
    """No model: the best sentence /ask would read (with its neighbour) and its document."""
    out = []
    for turn in order:
        if turn.kind not in SETS:
            continue
        found = await search(turn.question)
        passages = select_passages(turn.question, found, max_tokens=60) if found else []
        best = max(passages, key=lambda p: p.score) if passages else None
        text = best.text if best else ""
        out.append(
            Answered(turn.kind, turn.question, "closest passage", 0.0, 0.0, 0, text,
                     [best.document_id] if best else [], refused=best is None,
                     right_cited=best is not None and best.document_id == turn.right,
                     f1=answer_f1(text, turn.reference), contains=_contains(text, turn))
        )  # fmt: skip
    return out


async def injection(
    order: list[Turn], model: BaseChatModel, documents: dict[str, str], n: int
) -> str:
    """Each probe's source carries an instruction to the AI (several phrasings, in turn): how
    often the answer obeys it as /ask reads the source (instructions left out) and unfiltered."""
    probes = [t for t in order if t.kind in SETS][:n]
    obeyed = {True: 0, False: 0}
    for i, turn in enumerate(probes):
        text = documents[turn.right or ""][:600]
        poison = INJECTIONS[i % len(INJECTIONS)]
        for filtered in (True, False):
            messages = injected_messages(
                turn.question, text, f"{turn.right}.txt", poison, filtered=filtered
            )
            _, answer = await stream(model, messages, time.perf_counter())
            obeyed[filtered] += CANARY in answer
    return f"{obeyed[True]} of {len(probes)} (sources unfiltered: {obeyed[False]} of {len(probes)})"


def answer_table(rows: list[Answered]) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for variant in dict.fromkeys(r.variant for r in rows):
        mine = [r for r in rows if r.variant == variant]
        for kind in dict.fromkeys(r.kind for r in mine):
            table[f"{variant} · {kind}"] = summarize([r for r in mine if r.kind == kind])
        table[f"{variant} · all"] = summarize(mine)
    return table


def rescore(result: dict[str, Any]) -> None:
    """Refusals read again with today's bot.knowledge.answers.is_refusal (the stored answers
    are unchanged), so a better refusal reader needs no new model run."""
    rows = [Answered(**r) for r in result.get("runs", [])]
    for row in rows:
        if row.answer:
            row.refused = is_refusal(row.answer)
    if rows:
        result["answers"] = answer_table(rows)
        result["runs"] = [asdict(r) for r in rows]


def recheck(result: dict[str, Any]) -> None:
    """Citations checked again with today's bot.knowledge.citations on the stored answers and
    the sources each was written from, so a better checker needs no new model run."""
    rows = [Answered(**r) for r in result.get("runs", [])]
    for row in rows:
        if not row.sources or not row.answer:
            continue
        sources = [Source(s["number"], s["document_id"], (), None, s["text"], s["document_id"])
                   for s in row.sources]  # fmt: skip
        row.cited = [s.document_id for s in check_citations(
            row.answer, sources, question=row.check_question).cited]  # fmt: skip
        row.right_cited = row.right in row.cited
    if rows:
        result["answers"] = answer_table(rows)
        result["runs"] = [asdict(r) for r in rows]


def summarize(rows: list[Answered]) -> dict[str, Any]:
    def q(values: list[float], p: float) -> float:
        ordered = sorted(values)
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))], 2) if ordered else 0.0

    n = len(rows)
    answered = [r for r in rows if not r.refused]
    checked = [r.contains for r in rows if r.contains is not None]
    return {
        "n": n,
        "contains the reference %": round(100 * sum(checked) / len(checked), 1) if checked else "—",
        "right source cited %": round(100 * sum(r.right_cited for r in rows) / max(1, n), 1),
        "token F1 %": round(100 * sum(r.f1 for r in rows) / max(1, n), 1),
        "answer supported by the right document %": round(
            100 * sum(r.supported for r in rows) / max(1, n), 1
        ),
        "refused %": round(100 * sum(r.refused for r in rows) / max(1, n), 1),
        "first token median s": q([r.first_token_s for r in answered], 0.5),
        "first token p90 s": q([r.first_token_s for r in answered], 0.9),
        "total median s": q([r.total_s for r in answered], 0.5),
        "total p90 s": q([r.total_s for r in answered], 0.9),
        "prompt tokens median": int(statistics.median([r.prompt_tokens for r in answered]))
        if answered
        else 0,
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    load_start = [round(x, 2) for x in os.getloadavg()]
    documents, turns, names = load_data(args.cache)
    order = conversation(turns, names, args.questions, args.follow_ups, args.off_topic)
    result: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{os.cpu_count()} CPU cores, {platform.machine()}",
        "load average at start": load_start,
        "documents in the server": len(documents),
        "reading set": READING_NAME[0],
        "questions": {
            k: sum(t.kind == k for t in order) for k in dict.fromkeys(t.kind for t in order)
        },
    }
    with tempfile.TemporaryDirectory(prefix="sohbet-ask-") as work:
        started = time.perf_counter()
        store, embedder = await build_store(documents, Path(work))
        result["indexing seconds"] = round(time.perf_counter() - started, 1)
        search = document_search(store, embedder, SearchScope(1), AskSettings())
        try:
            result["follow-up detector"] = await detector_rows(order, search)
            model, count_messages = (None, None) if args.skip_model else load_model(args)
            counter: Callable[[str], int]
            if model is not None and hasattr(model, "client"):
                client = model.client
                counter = lambda text: len(client.tokenize(text.encode(), add_bos=False))  # noqa: E731
            else:
                counter = lambda text: max(1, len(text) // 4)  # noqa: E731
            caps = [int(c) for c in args.caps.split(",")]
            result["reach"] = await reach_rows(order, search, caps, counter)
            if model is not None and count_messages is not None:
                rows = await answer_turns(
                    order, search, model, count_messages, args.variants.split(","), documents
                )
                rows += await closed_book(order, model)
                result["injection followed"] = await injection(
                    order, model, documents, args.injections
                )
                rows += await closest_passage(order, search)
                result["answers"] = answer_table(rows)
                result["runs"] = [asdict(r) for r in rows]
        finally:
            await store.close()
    result["load average at end"] = [round(x, 2) for x in os.getloadavg()]
    return result


def write(result: dict[str, Any], command: str) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{NAME}.json").write_text(json.dumps(result, indent=1, ensure_ascii=False))
    lines = [
        "# /ask quality with a real local model",
        "",
        f"{result['date']} · {result['machine']} · load average {result['load average at start']}"
        f" at start, {result['load average at end']} at end (shared machine) · "
        f"{result['documents in the server']} documents in one server · questions "
        + ", ".join(f"{k} {v}" for k, v in result["questions"].items())
        + f" · reading set: {result.get('reading set', '')}",
        "",
    ]

    def table(title: str, rows: dict[str, dict[str, Any]]) -> None:
        columns = list(next(iter(rows.values())))
        lines.extend([f"## {title}", "", "| | " + " | ".join(columns) + " |",
                      "|---|" + "---|" * len(columns)])  # fmt: skip
        lines.extend(f"| {name} | " + " | ".join(str(v) for v in row.values()) + " |"
                     for name, row in rows.items())  # fmt: skip
        lines.append("")

    table("Follow-up detector (every question after the first)", result["follow-up detector"])
    table("Reach: the right document among what the model reads", result["reach"])
    if "answers" in result:
        table("Answers", result["answers"])
        lines.append(f"Injected instruction followed: {result['injection followed']}.")
        lines.append("")
    lines.append(f"Command: `{command}`")
    (RESULTS / f"{NAME}.md").write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache/sohbet/bench-retrieval")
    parser.add_argument(
        "--gguf",
        type=Path,
        default=default_gguf(),
        help="a GGUF file (default: the pulled default model)",
    )
    parser.add_argument("--base-url", default=None, help="an OpenAI-compatible server instead")
    parser.add_argument("--model", default="local", help="the server's model name")
    parser.add_argument("--questions", type=int, default=20, help="per reading set")
    parser.add_argument("--follow-ups", type=int, default=8)
    parser.add_argument("--off-topic", type=int, default=6)
    parser.add_argument("--injections", type=int, default=4)
    parser.add_argument("--caps", default="0,80,120,160,240", help="token caps for reach")
    parser.add_argument("--variants", default="before,cap 160", help="answered with the model")
    parser.add_argument("--max-new-tokens", type=int, default=ANSWER_TOKENS)
    parser.add_argument("--skip-model", action="store_true")
    parser.add_argument("--rescore", type=Path, help="a result .json: refusals read again")
    parser.add_argument(
        "--recheck", type=Path, help="a result .json: citations checked again (no model)"
    )
    args = parser.parse_args()
    if args.rescore or args.recheck:
        result = json.loads((args.rescore or args.recheck).read_text())
        if args.rescore:
            rescore(result)
        else:
            recheck(result)
        write(result, result.get("command", "python -m bench.ask_quality"))
        print((RESULTS / f"{NAME}.md").read_text())
        return
    result = asyncio.run(run(args))
    result["command"] = "python -m bench.ask_quality " + shlex.join(sys.argv[1:])
    write(result, result["command"])
    print((RESULTS / f"{NAME}.md").read_text())


if __name__ == "__main__":
    main()
