"""Follow-up questions: does /ask find the right document for "what does it return?"?

One command: `python -m bench.followup_quality` (data as in bench/retrieval_quality.py).

Pairs built from public documentation (the Python standard library reference, one document per
documented function/class, as in the retrieval bench): a first question names an entry
("What does os.path.join do?"), the follow-up only points back to it ("What does it return?").
Topic switches are the control: the second question names another entry; searching it with the
previous question must not lose it. Methods: the follow-up alone, and /ask's query step
(plugins/rag/followup.py: a follow-up is searched with the question it follows).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import tempfile
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench.retrieval_quality import chunks_of, fetch, technical
from bot.ai.embeddings import EmbeddingConfig, load_embedder
from bot.vectors import ChunkRecord, SearchScope
from bot.vectors.edge import EdgeVectorStore
from plugins.rag.followup import retrieval_query

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


async def run(cache: Path) -> dict[str, Any]:
    root, _ = fetch(cache)
    corpus = technical(root)
    embedder = await load_embedder(EmbeddingConfig.from_setting(""))
    rng = random.Random(SEED)
    ids = sorted(corpus.documents)
    firsts = rng.sample(ids, PAIRS)
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

        rows: dict[str, list[bool]] = {k: [] for k in (
            "follow-up alone", "follow-up with /ask's query step",
            "topic switch alone", "topic switch with /ask's query step",
        )}  # fmt: skip
        for first in firsts:
            opener = f"What does {names[first]} do?"
            follow = rng.choice(FOLLOW_UPS)
            rows["follow-up alone"].append(await found(follow, first))
            query = retrieval_query(follow, [opener])
            rows["follow-up with /ask's query step"].append(await found(query, first))
            other = rng.choice(ids)
            switch = f"How do I use {names[other]}?"
            rows["topic switch alone"].append(await found(switch, other))
            query = retrieval_query(switch, [opener])
            rows["topic switch with /ask's query step"].append(await found(query, other))
        await store.close()
    return {k: round(sum(v) / len(v), 3) for k, v in rows.items()} | {"pairs": PAIRS}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache/sohbet/bench-retrieval")
    args = parser.parse_args()
    load = [round(x, 2) for x in os.getloadavg()]
    result = asyncio.run(run(args.cache))
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
        "| question | top-5 hit rate |",
        "| --- | --- |",
        *(f"| {k} | {v:.3f} |" for k, v in result.items() if k != "pairs"),
    ]
    (RESULTS / "followup_quality.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
