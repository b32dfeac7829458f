"""Answer latency seen by 1, 4 and 16 people asking a local model at the same moment.

Run from the repository root (needs ``make llamacpp``)::

    python -m bench.model_users [--users 1,4,16] [--max-new-tokens 32] [--model smollm2]

Backends, on the same GGUF file, both reached through `ChatRunner` as the bot calls them:

- ``in-process``: the bot's default local runtime (provider ``auto``: llama.cpp in this
  process), one answer at a time, turns from the fair queue (`bot.ai.fair_queue`).
- ``llama.cpp server``: ``python -m llama_cpp.server`` (llama-cpp-python's OpenAI-compatible
  server) on a loopback port, called through the ``openai`` provider; the bot sends every
  request at once and the server schedules them.

Each of N users (each on its own server) sends one question at t=0; per user we record the
time to the first piece and to the whole answer. A second scenario measures fairness: one
member sends 6 questions at once, then 3 other members one each; their wait is compared with
a plain first-come-first-served queue (everyone in one line).

Writes bench/results/model_users.json and .md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from langchain_core.messages import HumanMessage, SystemMessage

from bot.ai.local_engine import resolve_gguf_path, torch_threads_setting
from bot.ai.models import ModelConfig, build_chat_model, local_runtime
from bot.ai.runner import ChatRunner

RESULTS = Path(__file__).parent / "results"
NAME = "model_users"
SYSTEM = "You are a helpful assistant."
PROMPTS = [
    "What is the capital of France?",
    "Write a short poem about the sea.",
    "Explain in a few sentences why the sky is blue.",
    "Give me three tips for learning a language.",
]


@dataclass(frozen=True)
class Answer:
    user: str
    first_s: float
    total_s: float
    tokens: int


async def ask(runner: ChatRunner, cfg: ModelConfig, who: tuple[str, str], prompt: str) -> Answer:
    started = time.perf_counter()
    first: float | None = None
    messages = [SystemMessage(SYSTEM), HumanMessage(prompt)]
    async with runner.stream(messages, cfg, who=who) as stream:
        async for _ in stream:
            if first is None:
                first = time.perf_counter() - started
    total = time.perf_counter() - started
    done = stream.completion
    return Answer(who[1], first or total, total, done.tokens_out if done else 0)


async def crowd(runner: ChatRunner, cfg: ModelConfig, users: int) -> dict[str, Any]:
    """`users` people on `users` servers ask at the same moment."""
    started = time.perf_counter()
    answers = await asyncio.gather(
        *(ask(runner, cfg, (f"s{i}", f"u{i}"), PROMPTS[i % len(PROMPTS)]) for i in range(users))
    )
    wall = time.perf_counter() - started
    firsts = sorted(a.first_s for a in answers)
    totals = sorted(a.total_s for a in answers)
    tokens = sum(a.tokens for a in answers)
    return {
        "users": users,
        "ttft_median_s": round(statistics.median(firsts), 2),
        "ttft_max_s": round(firsts[-1], 2),
        "answer_median_s": round(statistics.median(totals), 2),
        "answer_max_s": round(totals[-1], 2),
        "wall_s": round(wall, 2),
        "tokens_out": tokens,
        "tokens_per_s_all_users": round(tokens / wall, 1),
    }


async def fairness(runner: ChatRunner, cfg: ModelConfig, fair: bool) -> dict[str, Any]:
    """One heavy member sends 6 questions, then 3 others one each (same server)."""
    heavy = [ask(runner, cfg, ("s1", "heavy"), PROMPTS[i % len(PROMPTS)]) for i in range(6)]
    tasks = [asyncio.create_task(c) for c in heavy]
    await asyncio.sleep(0.05)  # the others arrive just after
    for i in range(3):
        who = ("s1", f"light{i}") if fair else ("s1", "heavy")  # FIFO: everyone in one line
        tasks.append(asyncio.create_task(ask(runner, cfg, who, PROMPTS[i])))
    answers = await asyncio.gather(*tasks)
    light = [a.total_s for a in answers[6:]]
    return {
        "queue": "fair (round-robin by user)" if fair else "first come, first served",
        "light_users_answer_median_s": round(statistics.median(light), 2),
        "light_users_answer_max_s": round(max(light), 2),
        "heavy_user_last_answer_s": round(max(a.total_s for a in answers[:6]), 2),
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def start_server(gguf: Path, port: int, threads: int) -> subprocess.Popen[bytes]:
    command = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--host", "127.0.0.1",
        "--port", str(port), "--n_ctx", "4096", "--n_threads", str(threads),
        "--model_alias", "bench", "--interrupt_requests", "False",
    ]  # fmt: skip
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=1):
                return server
        except OSError:
            if server.poll() is not None:
                raise RuntimeError("llama.cpp server exited") from None
            time.sleep(0.5)
    server.kill()
    raise RuntimeError("llama.cpp server did not start within 120 s")


async def run(args: argparse.Namespace) -> dict[str, Any]:
    gguf = resolve_gguf_path(args.model)
    assert gguf is not None, f"{args.model} is not a GGUF model"
    threads = torch_threads_setting() or 1
    local = ModelConfig(
        provider=local_runtime(args.model),
        model=args.model,
        temperature=0,
        max_new_tokens=args.max_new_tokens,
        queue_timeout_s=3600,
    )
    await asyncio.to_thread(build_chat_model, local)  # loading is not part of the latency
    port = free_port()
    server = start_server(gguf, port, threads)
    remote = ModelConfig(
        provider="openai",
        model="bench",
        base_url=f"http://127.0.0.1:{port}/v1",
        temperature=0,
        max_new_tokens=args.max_new_tokens,
        timeout_s=3600,
    )
    backends = {f"in-process ({local.provider})": local, "llama.cpp server": remote}
    table: list[dict[str, Any]] = []
    try:
        runner = ChatRunner()
        for cfg in backends.values():  # warm-up: first calls pay one-time costs
            await ask(runner, cfg, ("w", "w"), "Hello!")
        for users in args.users:
            for name, cfg in backends.items():
                row = {"backend": name, **await crowd(ChatRunner(), cfg, users)}
                print(row)
                table.append(row)
        fair_rows = []
        for fair in (False, True):
            row = {
                "backend": f"in-process ({local.provider})",
                **await fairness(ChatRunner(), local, fair),
            }
            print(row)
            fair_rows.append(row)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
    return {"crowd": table, "fairness": fair_rows, "gguf": gguf.name, "threads": threads}


def write_results(report: dict[str, Any]) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{NAME}.json").write_text(json.dumps(report, indent=2) + "\n")
    (RESULTS / f"{NAME}.md").write_text("\n".join(markdown(report)) + "\n")


def markdown(report: dict[str, Any]) -> list[str]:
    """The tables of bench/results/model_users.md."""
    m = report["machine"]
    lines = [
        "## Several users at once: answer latency",
        "",
        f"{report['date']} · {m['cpus']} CPU cores · load average {m['loadavg_start']} at "
        f"start, {m['loadavg_end']} at end · `{report['gguf']}`, {report['threads']} "
        f"generation thread(s), greedy, max_new_tokens={report['max_new_tokens']}, one "
        "question per user, all sent at once · command: `python -m bench.model_users`",
        "",
        "| users | backend | TTFT median (s) | TTFT max (s) | answer median (s) "
        "| answer max (s) | all answered (s) | tokens/s, all users |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in report["crowd"]:
        lines.append(
            f"| {r['users']} | {r['backend']} | {r['ttft_median_s']} | {r['ttft_max_s']} "
            f"| {r['answer_median_s']} | {r['answer_max_s']} | {r['wall_s']} "
            f"| {r['tokens_per_s_all_users']} |"
        )
    lines += [
        "",
        "Fairness: one member sends 6 questions at once, 3 others one each just after:",
        "",
        "| queue | light users' answer median (s) | light users' answer max (s) "
        "| heavy user's last answer (s) |",
        "|---|---|---|---|",
    ]
    for r in report["fairness"]:
        lines.append(
            f"| {r['queue']} | {r['light_users_answer_median_s']} "
            f"| {r['light_users_answer_max_s']} | {r['heavy_user_last_answer_s']} |"
        )
    lines += ["", *report.get("notes", [])]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--users", default="1,4,16")
    parser.add_argument("--max-new-tokens", type=int, default=32)
    parser.add_argument("--model", default="smollm2", help="alias or .gguf path")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--note", action="append", default=[], help="a line for the notes")
    args = parser.parse_args()
    args.users = [int(u) for u in args.users.split(",") if u.strip()]
    load_start = os.getloadavg()
    results = asyncio.run(run(args))
    report = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "loadavg_start": [round(x, 2) for x in load_start],
            "loadavg_end": [round(x, 2) for x in os.getloadavg()],
        },
        "max_new_tokens": args.max_new_tokens,
        **results,
        "notes": [
            "llama-cpp-python's server runs one completion at a time (no parallel slots or "
            "continuous batching, unlike the C++ llama-server or Ollama with "
            "OLLAMA_NUM_PARALLEL), so its latency grows with users like the in-process queue; "
            "started with --interrupt_requests False so a new request never cuts another.",
            *args.note,
        ],
    }
    if not args.no_write:
        write_results(report)
        print(f"wrote {RESULTS / (NAME + '.md')}")


if __name__ == "__main__":
    main()
