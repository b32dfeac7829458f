"""Retrieval quality of the `docs` plugin's search: dense vs BM25 vs hybrid, on real FAQs.

Data. No standard QA/IR benchmark ships inside a package this machine can install: the SQuAD /
BEIR / MS MARCO loaders (beir, ir_datasets, mteb, datasets) download at run time, and the PyPI
packages named after such sets carry no data (insuranceqa-data 2.5.5 is a 7 KB stub whose data
needs a licence key; squaddata, rag-ablations and szl-retrieval-bench ship code only). Two
public, human-written FAQs do ship in Debian packages, with their questions as headings:

- the Python FAQ (`python3.11-doc`: Doc/faq/*.rst, the FAQ on docs.python.org),
- the Debian FAQ (`debian-faq`), and its German translation (`debian-faq-de`), whose sections
  carry the same ids, so German questions can be paired with the English answers.

Task ("answer retrieval", as in FiQA or InsuranceQA): every question heading is a query and its
answer, with the heading removed, is the one relevant passage. Answers are chunked by the
Ingestor's splitter (1000 characters, 150 overlap), embedded by the bot's default model, stored
in the embedded Qdrant store and searched through `VectorStore.search` in its three modes (the
hybrid mode is what `/ask` uses). A hit is a chunk of the right answer. recall@5: a relevant
chunk among the first 5; MRR@10: mean of 1/rank of the first relevant chunk (0 past rank 10).

Refusals. A random 15% of the answers (seeded) are left out of the index: their questions are
"near-domain unanswerable"; 20 hand-written general-knowledge questions are "off-topic".
For thresholds on the dense cosine (the plugin's `min_score`), the report shows how often `/ask`
would still hand the model the right chunk, and how often it would answer "not found".

    python -m bench.retrieval_quality          # fetches the 3 .deb files once (apt-get download)
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
import shutil
import statistics
import subprocess
import tempfile
import time
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bot.ai.embeddings import EmbeddingConfig, load_embedder
from bot.documents import Page, ParsedDocument, split_document
from bot.vectors import ChunkRecord, SearchHit, SearchMode, SearchScope
from bot.vectors.edge import EdgeVectorStore

RESULTS = Path(__file__).parent / "results"
PACKAGES = ("python3.11-doc", "debian-faq", "debian-faq-de")
PYTHON_FAQ = "usr/share/doc/python3.11/html/_sources/faq"
DEBIAN_FAQ = "usr/share/doc/debian/FAQ"
MODES: tuple[SearchMode, ...] = ("dense", "sparse", "hybrid")
K = 5
DEPTH = 10
HELD_OUT = 0.15
SEED = 20240501
THRESHOLDS = (0.0, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4)
SCOPE = SearchScope(server_id=1)

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


# ----- data -----------------------------------------------------------------------------


def fetch(cache: Path) -> tuple[Path, dict[str, str]]:
    """Download and unpack the three .deb files once; returns the root and their versions."""
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


# ----- evaluation ---------------------------------------------------------------------


def chunks_of(qa: QA) -> list[str]:
    doc = ParsedDocument(qa.id, "txt", "", len(qa.answer), (Page(None, qa.answer),))
    return [c.text for c in split_document(doc)]


def first_relevant(hits: list[SearchHit], answer_id: str) -> int | None:
    for rank, hit in enumerate(hits, start=1):
        if hit.document_id == answer_id:
            return rank
    return None


def dbsf(legs: list[list[SearchHit]]) -> list[str]:
    """Distribution-based score fusion (Qdrant's DBSF): each leg's scores scaled by its
    mean +- 3 std to [0, 1], then summed. Computed here for comparison with the store's RRF."""
    fused: dict[str, float] = {}
    for hits in legs:
        if not hits:
            continue
        scores = [h.score for h in hits]
        mean, std = statistics.fmean(scores), statistics.pstdev(scores) or 1.0
        low, high = mean - 3 * std, mean + 3 * std
        for hit in hits:
            fused[hit.id] = fused.get(hit.id, 0.0) + min(
                1.0, max(0.0, (hit.score - low) / (high - low))
            )
    return sorted(fused, key=lambda key: -fused[key])


def metrics(ranks: list[int | None]) -> dict[str, float]:
    return {
        f"recall@{K}": round(sum(r is not None and r <= K for r in ranks) / len(ranks), 3),
        f"mrr@{DEPTH}": round(sum(1 / r for r in ranks if r is not None) / len(ranks), 3),
        "queries": len(ranks),
    }


async def evaluate(root: Path, workdir: Path, embedding: str) -> dict[str, Any]:
    python_items = python_faq(root)
    debian_items, german = debian_faq(root)
    items = python_items + debian_items
    rng = random.Random(SEED)
    held_out = set(rng.sample([qa.id for qa in items], round(HELD_OUT * len(items))))
    indexed = [qa for qa in items if qa.id not in held_out]

    embedder = await load_embedder(EmbeddingConfig.from_setting(embedding))
    texts: list[tuple[QA, int, str]] = [
        (qa, i, text) for qa in indexed for i, text in enumerate(chunks_of(qa))
    ]
    start = time.perf_counter()
    vectors = await embedder.embed_documents([t for _, _, t in texts])
    embed_s = time.perf_counter() - start
    store = await EdgeVectorStore.open(workdir / "vectors", embedder.dimension)
    await store.upsert(
        [
            ChunkRecord(
                id=f"{qa.id}:{i}",
                text=text,
                dense=vector,
                server_id=SCOPE.server_id,
                channel_id=None,
                document_id=qa.id,
                document_name=qa.source,
                uploader_id=1,
                position=i,
            )
            for (qa, i, text), vector in zip(texts, vectors, strict=True)
        ]
    )

    async def search(question: str) -> dict[str, list[SearchHit]]:
        vector = await embedder.embed_query(question)
        found: dict[str, list[SearchHit]] = {
            m: await store.search(question, vector, SCOPE, DEPTH, m) for m in MODES
        }
        legs = [await store.search(question, vector, SCOPE, 4 * DEPTH, m) for m in MODES[:2]]
        by_id = {h.id: h for leg in legs for h in leg}
        found["hybrid-dbsf"] = [by_id[i] for i in dbsf(legs)[:DEPTH]]
        return found

    query_sets: dict[str, list[tuple[str, str]]] = {
        "python-faq (en)": [(qa.question, qa.id) for qa in indexed if qa.source == "python-faq"],
        "debian-faq (en)": [(qa.question, qa.id) for qa in indexed if qa.source == "debian-faq"],
        "debian-faq (de question -> en answer)": [
            (german[qa.id], qa.id)
            for qa in indexed
            if qa.source == "debian-faq" and qa.id in german
        ],
    }
    results: dict[str, Any] = {}
    english: dict[str, list[int | None]] = {}
    answerable: list[tuple[str, list[SearchHit]]] = []
    for name, queries in query_sets.items():
        ranks: dict[str, list[int | None]] = {}
        for question, answer_id in queries:
            found = await search(question)
            for mode, hits in found.items():
                ranks.setdefault(mode, []).append(first_relevant(hits, answer_id))
            if "(en)" in name:
                answerable.append((answer_id, found["hybrid"][:K]))
        results[name] = {mode: metrics(r) for mode, r in ranks.items()}
        if "(en)" in name:
            for mode, r in ranks.items():
                english.setdefault(mode, []).extend(r)
    results["all english questions"] = {mode: metrics(r) for mode, r in english.items()}

    unanswerable = {
        "held-out (near-domain)": [qa.question for qa in items if qa.id in held_out],
        "off-topic": OFF_TOPIC,
    }
    refusals: dict[str, list[list[SearchHit]]] = {}
    for name, questions in unanswerable.items():
        refusals[name] = [(await search(q))["hybrid"][:K] for q in questions]
    await store.close()

    return {
        "embedder": embedder.name,
        "dimension": embedder.dimension,
        "qa_pairs": {"python-faq": len(python_items), "debian-faq": len(debian_items)},
        "german_questions_paired": len(query_sets["debian-faq (de question -> en answer)"]),
        "held_out_answers": len(held_out),
        "indexed_answers": len(indexed),
        "indexed_chunks": len(texts),
        "embedding_s": round(embed_s, 1),
        "results": results,
        "threshold": threshold_table(answerable, refusals),
    }


def threshold_table(
    answerable: list[tuple[str, list[SearchHit]]], refusals: dict[str, list[list[SearchHit]]]
) -> list[dict[str, Any]]:
    """What /ask (hybrid, top 5, then min_score on the dense cosine) would do per threshold."""
    rows = []
    for t in THRESHOLDS:

        def kept(hits: list[SearchHit], t: float = t) -> list[SearchHit]:
            return [h for h in hits if h.dense_score is not None and h.dense_score >= t]

        right = sum(any(h.document_id == aid for h in kept(hits)) for aid, hits in answerable)
        refused = sum(not kept(hits) for _, hits in answerable)
        row: dict[str, Any] = {
            "min_score": t,
            "answerable: right chunk reaches the model": round(right / len(answerable), 3),
            "answerable: refused": round(refused / len(answerable), 3),
        }
        for name, lists in refusals.items():
            row[f"{name}: refused"] = round(sum(not kept(h) for h in lists) / len(lists), 3)
        rows.append(row)
    return rows


# ----- report ---------------------------------------------------------------------------


def _markdown(report: dict[str, Any]) -> str:
    r = report["result"]
    versions = ", ".join(f"`{p}` {v}" for p, v in report["packages"].items())
    lines = [
        "# Retrieval quality benchmark",
        "",
        f"{report['machine']}; Python {report['python']}; embedder `{r['embedder']}` "
        f"({r['dimension']}-d); embedded Qdrant Edge store, searched through "
        "`VectorStore.search` (hybrid = dense + BM25 fused by RRF, what `/ask` uses). "
        f"Load average at start {report['load_average_at_start']} (quality numbers do not "
        "depend on load).",
        "",
        "**Data.** No standard QA/IR benchmark (SQuAD, BEIR, MS MARCO...) ships inside an "
        "installable package here: their loaders download at run time, and the PyPI packages "
        "named after such sets carry no data. Two public, human-written FAQs ship in Debian "
        f"packages ({versions}): the Python FAQ and the Debian FAQ, plus the Debian FAQ's German "
        "translation (same section ids). Each question heading is a query; its answer, with "
        "the heading removed, is the single relevant passage (answer retrieval, as in FiQA or "
        "InsuranceQA). Answers are split by the Ingestor's splitter; a hit is any chunk of the "
        "right answer.",
        "",
        f"Q&A pairs: {r['qa_pairs']['python-faq']} Python FAQ + {r['qa_pairs']['debian-faq']} "
        f"Debian FAQ; {r['held_out_answers']} answers (15%, seeded) held out of the index as "
        f"near-domain unanswerable questions; {r['indexed_answers']} answers indexed as "
        f"{r['indexed_chunks']} chunks; {r['german_questions_paired']} German questions paired "
        "with English answers.",
        "",
        f"| question set | mode | recall@{K} | MRR@{DEPTH} | queries |",
        "| --- | --- | --- | --- | --- |",
    ]
    labels = {
        "dense": "dense",
        "sparse": "BM25",
        "hybrid": "**hybrid (RRF, /ask)**",
        "hybrid-dbsf": "hybrid, DBSF (computed here)",
    }
    for name, modes in r["results"].items():
        for mode, m in modes.items():
            lines.append(
                f"| {name} | {labels[mode]} | {m[f'recall@{K}']:.3f} | "
                f"{m[f'mrr@{DEPTH}']:.3f} | {m['queries']} |"
            )
    columns = list(r["threshold"][0])
    lines += [
        "",
        "## The `min_score` threshold",
        "",
        "`/ask` takes the top 5 hybrid hits and drops those whose dense cosine to the question "
        'is below `min_score`; with none left it answers "not found" without asking the '
        "model. Per threshold: how often the right chunk still reaches the model (answerable "
        "English questions), and how often /ask refuses.",
        "",
        "| " + " | ".join(columns) + " |",
        "| " + " | ".join("---" for _ in columns) + " |",
    ]
    for row in r["threshold"]:
        lines.append("| " + " | ".join(str(row[c]) for c in columns) + " |")
    lines += ["", *findings(r)]
    return "\n".join(lines) + "\n"


def findings(r: dict[str, Any]) -> list[str]:
    """The conclusions, computed from the numbers so they stay true on a re-run."""
    en = r["results"]["all english questions"]
    de = r["results"]["debian-faq (de question -> en answer)"]
    recall = f"recall@{K}"
    best_single = max(("dense", "sparse"), key=lambda m: en[m][recall])
    gain = en["hybrid"][recall] - en[best_single][recall]
    dbsf_gain = en["hybrid-dbsf"][recall] - en["hybrid"][recall]
    rows = r["threshold"]
    off = next((row for row in rows if row["off-topic: refused"] >= 1.0), rows[-1])
    current = next(row for row in rows if row["min_score"] == 0.25)
    lost = (
        rows[0]["answerable: right chunk reaches the model"]
        - current["answerable: right chunk reaches the model"]
    )
    return [
        "## Findings",
        "",
        f"- Hybrid search (what `/ask` uses) finds the answer in the top {K} for "
        f"{en['hybrid'][recall]:.0%} of the English questions, {gain * 100:+.1f} points over the "
        f"best single mode ({'BM25' if best_single == 'sparse' else 'dense'}, "
        f"{en[best_single][recall]:.0%}); MRR@{DEPTH} {en['hybrid'][f'mrr@{DEPTH}']:.3f}.",
        f"- Across languages (German question, English answer) BM25 falls to "
        f"{de['sparse'][recall]:.0%} while dense keeps {de['dense'][recall]:.0%} and hybrid "
        f"{de['hybrid'][recall]:.0%}: the multilingual embedder carries cross-language questions, "
        "which matters for a bot used in Turkish and English.",
        f"- Score-based fusion (DBSF, computed here from the same two legs) would change "
        f"recall@{K} by {dbsf_gain * 100:+.1f} points over the store's RRF "
        f"({round(dbsf_gain * en['hybrid']['queries']):+d} of {en['hybrid']['queries']} "
        "questions: suggestive, not conclusive at this size). RRF ignores score gaps: a chunk "
        "ranked 1st by BM25 and 2nd by dense ties with one ranked the other way round (seen in "
        "tests/rag on a 3-page manual), and exact ties are broken arbitrarily, so hybrid "
        "numbers can move by a question between runs.",
        f"- `min_score` = {off['min_score']} is the lowest threshold here that refuses every "
        f"off-topic question. The default 0.25 refuses "
        f"{current['off-topic: refused']:.0%} of them while {current['answerable: refused']:.0%} "
        f"of answerable questions are refused and the right chunk is lost for "
        f"{lost * 100:.1f} points of them, so the default stays. Near-domain questions whose "
        f"answer is missing are rarely refused ({current['held-out (near-domain): refused']:.0%})"
        ": their neighbours look relevant, so there the prompt's \"say I don't know\" rule "
        "has to do the work.",
        f"- Caveats: {en['hybrid']['queries']} English and {de['hybrid']['queries']} German "
        "questions from two technical FAQs; FAQ headings "
        "are short, well-formed questions, and each has one judged answer (another answer "
        "that also helps counts as a miss).",
    ]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--embedding", default="", help="SOHBET_EMBEDDING_MODEL value")
    parser.add_argument(
        "--cache", type=Path, default=Path.home() / ".cache" / "sohbet" / "bench-faq"
    )
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    if shutil.which("apt-get") is None and not (args.cache / "root").exists():
        raise SystemExit("Needs Debian's apt-get to fetch the FAQ packages.")
    root, versions = fetch(args.cache)
    report: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, CPU only",
        "python": platform.python_version(),
        "packages": versions,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }
    folder = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    with tempfile.TemporaryDirectory(prefix="sohbet-retrieval-", dir=folder) as work:
        report["result"] = await evaluate(root, Path(work), args.embedding)
    print(json.dumps(report["result"], indent=2))
    if not args.no_write:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "retrieval_quality.json").write_text(json.dumps(report, indent=2) + "\n")
        (RESULTS / "retrieval_quality.md").write_text(_markdown(report))


if __name__ == "__main__":
    asyncio.run(main())
