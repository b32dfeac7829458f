"""The in-process llama.cpp runtime against llama.cpp's own server, on the same GGUF and prompts.

One command: ``python -m bench.llamacpp_runtime [--gguf PATH] [--questions 12]`` (needs
``make llamacpp``; the default GGUF is the pulled default model (Qwen2.5-Coder-1.5B-Instruct
Q4_K_M, ``sohbet models pull``) or ``$SOHBET_BENCH_GGUF``). Writes
bench/results/llamacpp_runtime.{json,md}.

Paths, each answering the same /ask prompts (the docs plugin's prompt: numbered sources, the
question), greedy, with the answer streamed:

- ``langchain defaults``: LangChain's ChatLlamaCpp as the bot built it before (``n_batch=8``,
  ``rope_freq_base=10000``, generation threads from ``SOHBET_TORCH_THREADS``).
- ``in process``: ``build_chat_model(ModelConfig(provider="llamacpp", ...))``, what the bot runs
  now (bot.ai.llamacpp_chat.load_llamacpp).
- ``in process (1 generating thread)``, ``in process (no flash attention)``: the same with one
  setting as it was before.
- ``server``: ``python -m llama_cpp.server`` (llama-cpp-python's OpenAI-compatible server, its
  defaults) on the same file, through ``build_chat_model(ModelConfig(provider="openai", ...))``.

Prompts come from the Python and Debian FAQs (Debian packages, as in bench/retrieval_quality):
each question with its own answer and four other answers as sources, in a shuffled order.
"Right source" = the answer cites the number of the question's own answer. Runs are interleaved
question by question so load changes on the shared machine hit every path alike; the load
average is recorded at start and end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import shlex
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from langchain_core.documents import Document
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage

from bot.ai.models import ModelConfig, build_chat_model

RESULTS = Path(__file__).parent / "results"
NAME = "llamacpp_runtime"
SOURCES, MAX_CHARS, MAX_NEW_TOKENS, SEED = 5, 700, 128, 7  # 128: /ask's ANSWER_TOKENS
N_CTX = 4096


@dataclass
class Run:
    path: str
    question: int
    first_token_s: float
    total_s: float
    prompt_tokens: int
    answer: str
    right_source: bool


def gguf_default() -> Path:
    from bench.local_model import default_gguf

    found = default_gguf()
    if found is None:
        raise SystemExit("No GGUF: `sohbet models pull` the default model, or pass --gguf PATH.")
    return found


def faq_prompts(count: int) -> list[tuple[list[BaseMessage], int]]:
    """(/ask messages, number of the right source; 0 when the selection left it out) for
    `count` FAQ questions: the question's own answer and four others as ranked chunks, read as
    /ask reads them (bot.knowledge: sentences selected within CONTEXT_TOKENS)."""
    from bench.retrieval_quality import debian_faq, fetch, python_faq
    from bot.knowledge.answering import CONTEXT_TOKENS
    from bot.knowledge.answers import build_messages, number_sources
    from bot.knowledge.context import select_passages

    root, _ = fetch(Path.home() / ".cache" / "sohbet" / "bench-retrieval")
    items = python_faq(root) + debian_faq(root)[0]
    rng = random.Random(SEED)
    prompts = []
    for qa in rng.sample(items, count):
        others = rng.sample([o for o in items if o.id != qa.id], SOURCES - 1)
        chosen = [qa, *others]
        rng.shuffle(chosen)
        docs = [
            Document(
                page_content=o.answer[:MAX_CHARS],
                metadata={"document_id": o.id, "document_name": f"{o.id}.txt", "score": 0.5},
            )
            for o in chosen
        ]
        passages = select_passages(qa.question, docs, max_tokens=CONTEXT_TOKENS)
        sources = number_sources(passages)
        right = next((s.number for s in sources if s.name == f"{qa.id}.txt"), 0)
        prompts.append((build_messages(qa.question, sources), right))
    return prompts


def in_process_with(
    gguf: Path, *, threads: int | None = None, flash: bool = True
) -> BaseChatModel:
    """The bot's in-process settings with one of them changed: `threads` generating tokens
    (one: its default before, half of 2 cores), or llama.cpp's flash attention off (before)."""
    from bot.ai.llamacpp_chat import (
        PROMPT_BATCH,
        SerialChatLlamaCpp,
        generation_threads,
        prompt_threads,
    )

    return SerialChatLlamaCpp(
        model_path=str(gguf),
        n_ctx=N_CTX,
        n_batch=PROMPT_BATCH,
        n_threads=threads or generation_threads(),
        rope_freq_base=0.0,
        rope_freq_scale=0.0,
        model_kwargs={
            "n_threads_batch": prompt_threads(),
            "n_ubatch": PROMPT_BATCH,
            "flash_attn": flash,
        },
        verbose=False,
        temperature=0.0,
        max_tokens=MAX_NEW_TOKENS,
    )


def langchain_defaults(gguf: Path) -> BaseChatModel:
    """The in-process model as the bot built it before this bench (LangChain's defaults)."""
    from bot.ai.llamacpp_chat import SerialChatLlamaCpp
    from bot.ai.local_engine import torch_threads_setting

    return SerialChatLlamaCpp(
        model_path=str(gguf),
        n_ctx=N_CTX,
        n_threads=torch_threads_setting(),
        verbose=False,
        temperature=0.0,
        max_tokens=MAX_NEW_TOKENS,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(gguf: Path, port: int) -> subprocess.Popen[bytes]:
    """llama-cpp-python's server with its defaults on `gguf`; waits until it lists models."""
    import urllib.request

    process = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--n_ctx", str(N_CTX),
         "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=2):
                return process
        except OSError:
            if process.poll() is not None:
                raise RuntimeError("llama_cpp.server exited") from None
            time.sleep(1)
    process.kill()
    raise RuntimeError("llama_cpp.server did not start in 180 s")


async def answer(model: BaseChatModel, messages: list[BaseMessage]) -> tuple[float, float, str]:
    started = time.perf_counter()
    first = None
    parts: list[str] = []
    async for chunk in model.astream(messages):
        text = str(chunk.content)
        if text and first is None:
            first = time.perf_counter() - started
        parts.append(text)
    total = time.perf_counter() - started
    return (first if first is not None else total), total, "".join(parts)


def prompt_tokens(gguf_model: Any, messages: list[BaseMessage]) -> int:
    """Tokens of the prompt as the GGUF's chat template renders it."""
    from bot.ai.tokens import LlamaCppCounter

    return LlamaCppCounter(gguf_model).count_messages(messages)


def summary(runs: list[Run]) -> dict[str, Any]:
    def q(values: list[float], p: float) -> float:
        ordered = sorted(values)
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))], 2)

    firsts = [r.first_token_s for r in runs]
    totals = [r.total_s for r in runs]
    return {
        "n": len(runs),
        "first token median s": round(statistics.median(firsts), 2),
        "first token p90 s": q(firsts, 0.9),
        "total median s": round(statistics.median(totals), 2),
        "total p90 s": q(totals, 0.9),
        "prompt tokens median": int(statistics.median(r.prompt_tokens for r in runs)),
        "right source cited %": round(100 * sum(r.right_source for r in runs) / len(runs), 1),
        "answers starting with '[' or the sources' text %": round(
            100 * sum(r.answer.lstrip().startswith(("[", "(")) for r in runs) / len(runs), 1
        ),
    }


async def run(gguf: Path, count: int, paths: list[str]) -> dict[str, Any]:
    from bot.knowledge.answers import cited_numbers

    load_start = os.getloadavg()
    prompts = faq_prompts(count)
    models: dict[str, BaseChatModel] = {}
    server = None
    try:
        if "langchain defaults" in paths:
            models["langchain defaults"] = await asyncio.to_thread(langchain_defaults, gguf)
        if "in process" in paths:
            cfg = ModelConfig(
                provider="llamacpp", model=str(gguf), temperature=0.0,
                max_new_tokens=MAX_NEW_TOKENS, context_window=N_CTX,
            )  # fmt: skip
            models["in process"] = await asyncio.to_thread(build_chat_model, cfg)
        if "in process (1 generating thread)" in paths:
            models["in process (1 generating thread)"] = await asyncio.to_thread(
                lambda: in_process_with(gguf, threads=1)
            )
        if "in process (no flash attention)" in paths:
            models["in process (no flash attention)"] = await asyncio.to_thread(
                lambda: in_process_with(gguf, flash=False)
            )
        if "server" in paths:
            port = free_port()
            server = await asyncio.to_thread(start_server, gguf, port)
            models["server"] = build_chat_model(
                ModelConfig(
                    provider="openai", model=gguf.name, base_url=f"http://127.0.0.1:{port}/v1",
                    temperature=0.0, max_new_tokens=MAX_NEW_TOKENS, timeout_s=600,
                )
            )  # fmt: skip
        counter_model = next(
            (getattr(m, "client", None) for m in models.values() if hasattr(m, "client")), None
        )
        runs: list[Run] = []
        for i, (messages, right) in enumerate(prompts):
            order = list(models)
            random.Random(i).shuffle(order)  # no path always goes first after another
            for name in order:
                first, total, text = await answer(models[name], messages)
                cited = cited_numbers(text)
                tokens = prompt_tokens(counter_model, messages) if counter_model else 0
                runs.append(
                    Run(name, i, round(first, 3), round(total, 3), tokens, text,
                        right > 0 and cited == [right])
                )  # fmt: skip
                mark = "ok " if runs[-1].right_source else "bad"
                print(f"{i:2d} {name:20s} {first:5.2f}s {total:5.2f}s {mark} {text[:60]!r}")
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{os.cpu_count()} CPU cores, {platform.machine()}",
        "load average at start": [round(x, 2) for x in load_start],
        "load average at end": [round(x, 2) for x in os.getloadavg()],
        "gguf": gguf.name,
        "max new tokens": MAX_NEW_TOKENS,
        "paths": {name: summary([r for r in runs if r.path == name]) for name in models},
        "same answer as the server %": {
            name: round(
                100
                * sum(
                    r.answer.strip() == s.answer.strip()
                    for r in runs
                    if r.path == name
                    for s in runs
                    if s.path == "server" and s.question == r.question
                )
                / max(1, count),
                1,
            )
            for name in models
            if name != "server" and "server" in models
        },
        "runs": [asdict(r) for r in runs],
    }


def report_head(
    title: str, result: dict[str, Any], first: str, rows: dict[str, dict[str, Any]]
) -> list[str]:
    """The title, the machine and load line, and the table of `rows` (markdown lines)."""
    columns = list(next(iter(rows.values())))
    lines = [
        f"# {title}",
        "",
        f"{result['date']} · {result['machine']} · load average {result['load average at start']}"
        f" at start, {result['load average at end']} at end (shared machine) · "
        f"`{result['gguf']}`, greedy, at most {MAX_NEW_TOKENS} new tokens",
        "",
        f"| {first} | " + " | ".join(columns) + " |",
        "|---|" + "---|" * len(columns),
    ]
    return lines + [f"| {name} | " + " | ".join(str(v) for v in row.values()) + " |"
                    for name, row in rows.items()]  # fmt: skip


def write(result: dict[str, Any], command: str) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{NAME}.json").write_text(json.dumps(result, indent=1, ensure_ascii=False))
    lines = report_head(
        "llama.cpp in process vs llama.cpp's server (same GGUF, same /ask prompts)",
        result, "path", result["paths"],
    )  # fmt: skip
    same = result.get("same answer as the server %") or {}
    if same:
        lines += ["", "Same answer text as the server (greedy): "
                  + ", ".join(f"{k} {v} %" for k, v in same.items())]  # fmt: skip
    lines += ["", f"Command: `{command}`"]
    (RESULTS / f"{NAME}.md").write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--gguf", type=Path, default=gguf_default())
    parser.add_argument("--questions", type=int, default=12)
    parser.add_argument(
        "--paths", default="langchain defaults,in process,in process (1 generating thread),server"
    )
    args = parser.parse_args()
    result = asyncio.run(run(args.gguf, args.questions, args.paths.split(",")))
    print(json.dumps(result["paths"], indent=1))
    write(result, "python -m bench.llamacpp_runtime " + shlex.join(sys.argv[1:]))


if __name__ == "__main__":
    main()
