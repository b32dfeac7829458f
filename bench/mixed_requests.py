"""Chat messages and /ask taking turns on one in-process llama.cpp model, as in a busy server.

One command: ``python -m bench.mixed_requests [--gguf PATH] [--turns 10]`` (needs
``make llamacpp``; the default GGUF is the pulled default model or ``$SOHBET_BENCH_GGUF``).
Writes bench/results/mixed_requests.{json,md}.

Each turn is a chat message (the chat plugin's persona, the conversation so far, the new message)
followed by an /ask (bench/llamacpp_runtime's FAQ prompts: the /ask instructions, five sources,
the question). Two paths answer the same turns, alternating who goes first:

- ``prompt states``: the bot's model (bot.ai.llamacpp_chat.load_llamacpp), which keeps the last
  few evaluated prompts (bot.ai.prompt_states): the /ask instructions survive the chat message
  between two /ask, and the chat conversation survives the /ask;
- ``last prompt only``: the same settings without it (llama.cpp keeps only the previous request's
  tokens: each request kind evicts the other's prefix).

Reported: first-token and total seconds per /ask and per chat message (median, p90), the /ask
answers citing their question's own source (as bench/llamacpp_runtime counts it), and the share
of answers with the same text in both paths (greedy; a prefix computed in another request's
batch differs in the last bits, so texts may part after a few tokens: compare the right-source
column for quality).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shlex
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from bench.llamacpp_runtime import (
    MAX_NEW_TOKENS,
    N_CTX,
    answer,
    faq_prompts,
    gguf_default,
    report_head,
)
from bot.knowledge.answers import cited_numbers
from plugins.chat import DEFAULT_PERSONA

RESULTS = Path(__file__).parent / "results"
NAME = "mixed_requests"
CHAT = [
    "Hi! We're planning a game night on Friday. Any ideas for party games?",
    "Nice. How many people can play the first one?",
    "Can you suggest a fun name for the event?",
    "What snacks would go well with it?",
    "Bu hafta sonu için kısa bir duyuru metni yazar mısın?",
    "Thanks! How do I remind people without being annoying?",
    "What time would you suggest starting?",
    "Give me one icebreaker question.",
    "Should we have prizes?",
    "Summarize our plan in one sentence.",
]
HISTORY_TURNS = 3  # exchanges of the conversation sent again with each chat message


@dataclass
class Run:
    path: str
    turn: int
    kind: str  # "chat" or "ask"
    first_token_s: float
    total_s: float
    answer: str
    right_source: bool | None = None  # an /ask's answer cites its question's own source


def load(gguf: Path, states: bool) -> BaseChatModel:
    from bot.ai.llamacpp_chat import load_llamacpp

    model = load_llamacpp(gguf, N_CTX)
    if not states:
        model.client.set_cache(None)
    return model.model_copy(update={"temperature": 0.0, "max_tokens": MAX_NEW_TOKENS})


def chat_messages(history: list[tuple[str, str]], message: str) -> list[BaseMessage]:
    messages: list[BaseMessage] = [SystemMessage(DEFAULT_PERSONA)]
    for asked, said in history[-HISTORY_TURNS:]:
        messages += [HumanMessage(asked), AIMessage(said)]
    return [*messages, HumanMessage(message)]


def summary(runs: list[Run]) -> dict[str, Any]:
    def q(values: list[float], p: float) -> float:
        ordered = sorted(values)
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))], 2)

    judged = [r.right_source for r in runs if r.right_source is not None]
    return {
        "n": len(runs),
        "first token median s": q([r.first_token_s for r in runs], 0.5),
        "first token p90 s": q([r.first_token_s for r in runs], 0.9),
        "total median s": q([r.total_s for r in runs], 0.5),
        "total p90 s": q([r.total_s for r in runs], 0.9),
        "right source cited %": round(100 * sum(judged) / len(judged), 1) if judged else "—",
    }


async def run(gguf: Path, turns: int) -> dict[str, Any]:
    load_start = os.getloadavg()
    asks = faq_prompts(turns)
    models = {
        "prompt states": await asyncio.to_thread(load, gguf, True),
        "last prompt only": await asyncio.to_thread(load, gguf, False),
    }
    histories: dict[str, list[tuple[str, str]]] = {name: [] for name in models}
    runs: list[Run] = []
    for i in range(turns):
        order = list(models) if i % 2 == 0 else list(reversed(models))
        for name in order:
            message = CHAT[i % len(CHAT)]
            started = time.perf_counter()
            first, total, text = await answer(models[name], chat_messages(histories[name], message))
            histories[name].append((message, text))
            runs.append(Run(name, i, "chat", round(first, 3), round(total, 3), text))
            messages, right = asks[i]
            first, total, text = await answer(models[name], messages)
            runs.append(Run(name, i, "ask", round(first, 3), round(total, 3), text,
                            right > 0 and cited_numbers(text) == [right]))  # fmt: skip
            print(f"{i:2d} {name:17s} chat+ask {time.perf_counter() - started:5.2f}s "
                  f"ask first {first:5.2f}s {text[:50]!r}", flush=True)  # fmt: skip
    same = {
        kind: round(
            100
            * sum(
                a.answer.strip() == b.answer.strip()
                for a in runs
                if a.path == "prompt states" and a.kind == kind
                for b in runs
                if b.path == "last prompt only" and b.kind == kind and b.turn == a.turn
            )
            / max(1, turns),
            1,
        )
        for kind in ("chat", "ask")
    }
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{os.cpu_count()} CPU cores, {platform.machine()}",
        "load average at start": [round(x, 2) for x in load_start],
        "load average at end": [round(x, 2) for x in os.getloadavg()],
        "gguf": gguf.name,
        "rows": {
            f"{name} · {kind}": summary([r for r in runs if r.path == name and r.kind == kind])
            for kind in ("ask", "chat")
            for name in models
        },
        "same answer text in both paths %": same,
        "runs": [asdict(r) for r in runs],
    }


def write(result: dict[str, Any], command: str) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{NAME}.json").write_text(json.dumps(result, indent=1, ensure_ascii=False))
    lines = report_head(
        "Chat messages and /ask taking turns on one llama.cpp model",
        result, "path · request", result["rows"],
    )  # fmt: skip
    same = result["same answer text in both paths %"]
    lines += ["", "Same answer text in both paths (greedy): "
              + ", ".join(f"{k} {v} %" for k, v in same.items())]  # fmt: skip
    lines += ["", f"Command: `{command}`"]
    (RESULTS / f"{NAME}.md").write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--gguf", type=Path, default=gguf_default())
    parser.add_argument("--turns", type=int, default=10)
    args = parser.parse_args()
    result = asyncio.run(run(args.gguf, args.turns))
    print(json.dumps(result["rows"], indent=1))
    write(result, "python -m bench.mixed_requests " + shlex.join(sys.argv[1:]))


if __name__ == "__main__":
    main()
