"""Follow-up questions: does /ask find the right document for "what does it return?"?

One command: `python -m bench.followup_quality` (data as in bench/retrieval_quality.py).

Pairs built from public documentation (the Python standard library reference, one document per
documented function/class, as in the retrieval bench): a first question names an entry
("What does os.path.join do?"), the follow-up only points back to it ("What does it return?").
Topic switches are the control: the second question names another entry; searching it with the
previous question must not lose it. Methods: the follow-up alone; the fallback (searched
together with the question it follows); and /ask's query step with a chat model rewriting the
follow-up to stand alone (plugins/docs/followup.py), for each model given: the fake echo model
(its rewrite is never accepted: the fallback path), the bundled model, and any GGUF passed with
`--gguf`. Each model row also says how often its rewrite was accepted and how long it took.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench.retrieval_quality import chunks_of, fetch, technical
from bot.ai.embeddings import EmbeddingConfig, load_embedder
from bot.vectors import ChunkRecord, SearchScope
from bot.vectors.edge import EdgeVectorStore
from plugins.docs.followup import Ask, retrieval_query, standalone_query

RESULTS = Path(__file__).parent / "results"
FOLLOW_UPS = [
    "What does it return?",
    "What arguments does it take?",
    "Is there an example of it?",
    "When should I use it?",
    "Peki bu ne döndürür?",  # Turkish: and what does this return?
    "and what does it raise on errors?",
]
PAIRS, SEED, K = 200, 31, 5
REWRITE_SECONDS = 8.0  # the docs plugin's default `rewrite_seconds`


def model_asker(provider: str, model: str) -> Ask:
    from bot.ai.models import ModelConfig, build_chat_model

    chat = build_chat_model(ModelConfig(provider=provider, model=model, temperature=0.0))

    async def ask(messages: list[Any]) -> Any:
        async for chunk in chat.astream(messages):
            yield str(chunk.content)

    return ask


async def run(cache: Path, models: dict[str, Ask], pairs: int) -> dict[str, Any]:
    root, _ = fetch(cache)
    corpus = technical(root)
    embedder = await load_embedder(EmbeddingConfig.from_setting(""))
    rng = random.Random(SEED)
    ids = sorted(corpus.documents)
    firsts = rng.sample(ids, pairs)
    names = {doc_id: doc_id.removeprefix("py:") for doc_id in ids}
    with tempfile.TemporaryDirectory(prefix="sohbet-followup-") as work:
        store = await EdgeVectorStore.open(Path(work), embedder.dimension)
        texts = [
            (d, i, t)
            for d, text in corpus.documents.items()
            for i, t in enumerate(chunks_of(d, text))
        ]
        vectors = await embedder.embed_documents([t for _, _, t in texts])
        for start in range(0, len(texts), 512):
            await store.upsert([
                ChunkRecord(id=f"{d}:{i}", text=t, dense=v, server_id=1, channel_id=None,
                            document_id=d, document_name=d, uploader_id=1, position=i)
                for (d, i, t), v in zip(
                    texts[start:start + 512], vectors[start:start + 512], strict=True
                )
            ])  # fmt: skip

        async def found(query: str, wanted: str) -> bool:
            hits = await store.search(query, await embedder.embed_query(query), SearchScope(1), K)
            return any(h.document_id == wanted for h in hits)

        cases = []
        for first in firsts:
            other = rng.choice(ids)
            cases.append((first, f"What does {names[first]} do?", rng.choice(FOLLOW_UPS),
                          other, f"How do I use {names[other]}?"))  # fmt: skip
        rows: dict[str, dict[str, Any]] = {}
        alone = [await found(follow, first) for first, _, follow, _, _ in cases]
        switch_alone = [await found(switch, other) for _, _, _, other, switch in cases]
        rows["question alone (no conversation)"] = _row(alone, switch_alone)
        joined = [await found(retrieval_query(f, [o]), first) for first, o, f, _, _ in cases]
        switch_joined = [
            await found(retrieval_query(s, [o]), other) for _, o, _, other, s in cases
        ]
        rows["fallback: searched with the previous question"] = _row(joined, switch_joined)
        for label, ask in models.items():
            hits, switch_hits, accepted, seconds = [], [], 0, 0.0
            for first, opener, follow, other, switch in cases:
                started = time.perf_counter()
                step = await standalone_query(follow, [opener], ask, REWRITE_SECONDS)
                seconds += time.perf_counter() - started
                accepted += step.how == "rewritten"
                hits.append(await found(step.query, first))
                step = await standalone_query(switch, [opener], ask, REWRITE_SECONDS)
                switch_hits.append(await found(step.query, other))
            rows[f"/ask's query step, {label}"] = _row(hits, switch_hits) | {
                "rewrites accepted": round(accepted / len(cases), 3),
                "seconds per follow-up": round(seconds / len(cases), 2),
            }
        await store.close()
    return {"pairs": pairs, "rows": rows}


def _row(follow_ups: list[bool], switches: list[bool]) -> dict[str, Any]:
    return {
        "follow-up top-5": round(sum(follow_ups) / len(follow_ups), 3),
        "topic switch top-5": round(sum(switches) / len(switches), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache/sohbet/bench-retrieval")
    parser.add_argument("--pairs", type=int, default=PAIRS)
    parser.add_argument("--gguf", type=Path, action="append", default=[], help="more models")
    parser.add_argument("--skip-bundled", action="store_true")
    args = parser.parse_args()
    load = [round(x, 2) for x in os.getloadavg()]
    models = {"fake echo model (rewrite never accepted)": model_asker("fake", "echo")}
    if not args.skip_bundled:
        models["bundled SmolLM2-135M (llama.cpp)"] = model_asker("llamacpp", "smollm2")
    for path in args.gguf:
        models[f"{path.name} (llama.cpp)"] = model_asker("llamacpp", str(path))
    result = asyncio.run(run(args.cache, models, args.pairs))
    print(json.dumps(result, indent=2))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "followup_quality.json").write_text(json.dumps(result, indent=2) + "\n")
    lines = [
        "# Follow-up questions",
        "",
        f"Command: `python -m bench.followup_quality`. Load average at start {load}. "
        "Right document in the top 5 of `/ask`'s search (hybrid), Python library reference "
        f"({result['pairs']} pairs; see the module docstring).",
        "",
        "| method | follow-up: right document in top 5 | topic switch: right document "
        "in top 5 | rewrites accepted | seconds per follow-up |",
        "| --- | --- | --- | --- | --- |",
        *(
            f"| {name} | {r['follow-up top-5']:.3f} | {r['topic switch top-5']:.3f} | "
            f"{r.get('rewrites accepted', '—')} | {r.get('seconds per follow-up', '—')} |"
            for name, r in result["rows"].items()
        ),
        "",
        f"A rewrite gets {REWRITE_SECONDS:g} s (the docs plugin's default `rewrite_seconds`) and "
        "is kept only when it is one short line that names what the earlier question named; "
        "otherwise the fallback is searched.",
    ]
    (RESULTS / "followup_quality.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
