"""Choose the default model by measurement: `sohbet eval` on every task for each catalog model.

    python -m bench.default_model --limit 8                 # runs every model, then writes
    python -m bench.default_model --reuse /tmp/bench-models  # only renders an earlier run

For each catalog model (bot.ai.catalog) one `sohbet eval --limit N --json` runs in its own
process (SOHBET_MODEL_NAME=<name>, a fresh data folder, the models folder from
SOHBET_MODELS_DIR), one model after the other, with the load average before and after and the
process's peak memory. Written:

- bench/results/default_model.md / .json: candidates × tasks beside their baselines, seconds per
  item, chat's first-token latency, and the choice;
- bot/ai/data/catalog_readiness.json: each model's verdicts, which `/ai status` and
  `sohbet doctor` show for it until an operator's own `sohbet eval` replaces them.

The default is the model with the most tasks passed (then: chat answers right %) among those
whose chat answers start within FIRST_TOKEN_BUDGET_S (median) on this machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bot.ai.catalog import CATALOG, DEFAULT_CHOICE

FIRST_TOKEN_BUDGET_S = 2.0
RESULTS = Path(__file__).parent / "results"
SHIPPED = Path(__file__).parent.parent / "bot" / "ai" / "data" / "catalog_readiness.json"
_EVAL = """
import resource, sys
from bot.cli import main
code = main(['eval', '--limit', sys.argv[1], '--json'])
print('maxrss_kb', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
sys.exit(code)
"""


# Memory of the model alone: one answer through the bot's llama.cpp path in a fresh process.
_MEMORY = """
import resource, sys
from langchain_core.messages import HumanMessage
from bot.ai.models import ModelConfig, build_chat_model
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
model = build_chat_model(ModelConfig(provider="llamacpp", model=sys.argv[1], max_new_tokens=64))
model.invoke([HumanMessage("Türkiye'nin başkenti neresidir?")])
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(round((after - before) / 1024), round(after / 1024))
"""


def _uptime() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def run(models: list[str], limit: int, folder: Path) -> None:
    """One `sohbet eval` per model into `folder` (<model>.json, <model>.err, log)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in models:
        with (folder / "log").open("a") as log:
            log.write(f"== start {name} {time.strftime('%FT%T')} load {_uptime()}\n")
        env = {**os.environ, "SOHBET_MODEL_NAME": name,
               "SOHBET_DATA_DIR": tempfile.mkdtemp(prefix=f"eval-{name}-")}  # fmt: skip
        with (folder / f"{name}.json").open("w") as out, (folder / f"{name}.err").open("w") as err:
            code = subprocess.call(
                ["nice", sys.executable, "-c", _EVAL, str(limit)], stdout=out, stderr=err, env=env
            )
        with (folder / "log").open("a") as log:
            log.write(f"== done {name} rc={code} {time.strftime('%FT%T')} load {_uptime()}\n")
        memory = subprocess.run(
            [sys.executable, "-c", _MEMORY, name], capture_output=True, text=True, check=False
        )
        (folder / f"{name}.rss").write_text(memory.stdout)


def _load(folder: Path, name: str) -> dict[str, Any] | None:
    try:
        report: dict[str, Any] = json.loads((folder / f"{name}.json").read_text())
    except (OSError, ValueError):
        return None
    rss = [line for line in (folder / f"{name}.err").read_text().splitlines()
           if line.startswith("maxrss_kb")]  # fmt: skip
    report["peak_rss_gb"] = round(int(rss[-1].split()[1]) / 1024**2, 2) if rss else None
    try:  # MB: model loaded + one answer, and the whole process
        _loaded_mb, process_mb = (int(x) for x in (folder / f"{name}.rss").read_text().split())
        report["model_rss_gb"] = round(process_mb / 1024, 2)
    except (OSError, ValueError):
        report["model_rss_gb"] = None
    return report


def _cell(result: dict[str, Any] | None) -> str:
    if result is None:
        return "–"
    mark = "✅" if result["ready"] else "⚠️"
    return f"{mark} {result['score']:.1f} vs {result['baseline']:.1f}"


def choose(reports: dict[str, dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    """The default by the rule in the module docstring, and each model's standing."""
    standing = {}
    for name, report in reports.items():
        results = {r["task"]: r for r in report["results"]}
        chat = results.get("chat", {})
        first = chat.get("details", {}).get("first token s (median)")
        standing[name] = {
            "tasks passed": sum(r["ready"] for r in results.values()),
            "chat right %": chat.get("score", 0.0),
            "first token s (median)": first,
            "fast enough": first is not None and first <= FIRST_TOKEN_BUDGET_S,
        }
    eligible = [n for n, s in standing.items() if s["fast enough"]] or list(standing)
    best = max(eligible, key=lambda n: (standing[n]["tasks passed"], standing[n]["chat right %"]))
    return best, standing


def render(reports: dict[str, dict[str, Any]], folder: Path, limit: int | None) -> str:
    tasks = ["chat", "documents", "translation", "summarization", "sentiment"]
    log = (folder / "log").read_text() if (folder / "log").exists() else ""
    best, standing = choose(reports)
    lines = [
        "# Choosing the default model: `sohbet eval` on every task, each catalog model",
        "",
        f"{platform.machine()}, {os.cpu_count()} CPU cores (shared with other work); llama.cpp "
        "in process (the runtime `make llamacpp` builds), sampling at the bot's default "
        "temperature (0.3). Load average (1, 5, 15 min) before and after each model:",
        "",
        *[f"    {line}" for line in log.strip().splitlines()],
        "",
        "Cells: ✅/⚠️ passed or not, the model's score vs the task's trivial baseline "
        "(chat: answers right % vs the question repeated back; documents: answer holds the "
        "reference % vs the same model without documents, and within 10 points of the closest "
        "passage quoted; "
        "translation: chrF vs copying the source; summarization: ROUGE-L vs lead-3; "
        "sentiment: accuracy vs the majority class).",
        "",
        "Peak RAM: the model loaded and answering in a process of its own (the catalog's RAM "
        "column), and the whole `sohbet eval` process (with the embedder and the classifiers).",
        "",
        "| model | " + " | ".join(tasks) + " | chat EN / TR right % | first token s (median / p90) "
        "| s per chat answer | peak RAM GB (model / eval) |",
        "|---|" + "---|" * (len(tasks) + 4),
    ]
    for name, report in reports.items():
        results = {r["task"]: r for r in report["results"]}
        chat = results.get("chat", {}).get("details", {})
        lines.append(
            f"| {name} | "
            + " | ".join(_cell(results.get(task)) for task in tasks)
            + f" | {chat.get('English right %', '–')} / {chat.get('Turkish right %', '–')} "
            f"| {chat.get('first token s (median)', '–')} / "
            f"{chat.get('first token s (90th pct)', '–')} "
            f"| {chat.get('seconds per answer (mean)', '–')} "
            f"| {report.get('model_rss_gb', '–')} / {report.get('peak_rss_gb', '–')} |"
        )
    lines += ["", "Seconds per item, by task (the whole task's time / its items):", ""]
    lines.append("| model | " + " | ".join(tasks) + " |")
    lines.append("|---|" + "---|" * len(tasks))
    for name, report in reports.items():
        results = {r["task"]: r for r in report["results"]}
        cells = [
            f"{results[t]['seconds'] / max(1, results[t]['n']):.1f}" if t in results else "–"
            for t in tasks
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", "Details per model (from the same runs):", ""]
    for name, report in reports.items():
        lines.append(f"- **{name}**")
        for r in report["results"]:
            keep = {k: v for k, v in r["details"].items() if k != "examples"}
            checks = r.get("checks") or {}
            lines.append(f"  - {r['task']} ({r['metric']}, n={r['n']}): {keep}"
                         + (f"; checks {checks}" if checks else ""))  # fmt: skip
        for task, why in report.get("skipped", {}).items():
            lines.append(f"  - {task}: skipped, {why}")
    lines += [
        "",
        f"**Default: {best}** — the most tasks passed (then the most chat answers right) among "
        f"the models whose chat answers start within {FIRST_TOKEN_BUDGET_S:g} s (median first "
        "token) here:",
        "",
        *[f"- {name}: {s}" for name, s in standing.items()],
        "",
        "Notes: small samples (`--limit` items per task or translation direction), so a "
        "score moves by several points between runs; measured while other work shared the two "
        "cores (the load above), so the seconds are pessimistic. Chat counts an answer right "
        "only when it spells an accepted answer as a word: `Parisdir` (for `Paris'tir`) counts "
        "as wrong. First-token times are with llama.cpp reusing the system prompt already read "
        "(what a running bot does); summarization and sentiment use engines without the model "
        "by default (extractive, offline classifier), so their model scores don't gate them.",
        "",
        f"Command: `python -m bench.default_model --limit {limit or 'N'}` (SOHBET_MODELS_DIR "
        "holding the pulled models).",
    ]
    return "\n".join(lines) + "\n"


def shipped_verdicts(reports: dict[str, dict[str, Any]]) -> dict[str, Any]:
    models = {}
    for name, report in reports.items():
        models[name] = {
            task: {
                "ready": verdict["ready"],
                "reason": f"{verdict['reason']} on 2 cores (bench/results/default_model.md)",
            }
            for task, verdict in report["readiness"].items()
            if task in ("chat", "translation", "documents")
        }
    return {
        "about": "Per-task verdicts of `sohbet eval` for the catalog's models (bot.ai.catalog), "
        "measured on a 2-core machine: bench/results/default_model.md says how. Written by "
        "`python -m bench.default_model`.",
        "models": models,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=8)
    parser.add_argument("--models", default=",".join(CATALOG))
    parser.add_argument("--reuse", type=Path, default=None, help="render an earlier run's folder")
    args = parser.parse_args()
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    folder = args.reuse or Path(tempfile.mkdtemp(prefix="default-model-"))
    if args.reuse is None:
        run(models, args.limit, folder)
    reports = {name: r for name in models if (r := _load(folder, name)) is not None}
    if not reports:
        print(f"No results in {folder}", file=sys.stderr)
        return 1
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "default_model.md").write_text(render(reports, folder, args.limit))
    (RESULTS / "default_model.json").write_text(
        json.dumps(
            {"limit": args.limit, "reports": reports, "choice": choose(reports)},
            indent=2,
            ensure_ascii=False,
        )
        + "\n"
    )
    SHIPPED.write_text(json.dumps(shipped_verdicts(reports), indent=2, ensure_ascii=False) + "\n")
    best, _ = choose(reports)
    print(f"Default by measurement: {best} (catalog now: {DEFAULT_CHOICE})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
