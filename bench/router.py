"""Router overhead per event with a no-op plugin, through the real App (SQLite store).

Scenarios (each: warm-up, then N sequential events, timed one by one):
- command / listener, history off: the handler does nothing; the time is pure Router cost
  (lookup, enabled check, role check, option conversion, cooldown, settings resolution,
  Context, observers).
- the same with server + channel setting overrides and a role allow list on the server,
  which is what a configured server looks like.
- command / listener, history on: the handler appends one turn with
  `store.conversations.append` (one SQLite transaction), the usual cost of a chat turn.

Target: median Router overhead (history off) below 1 ms.

    python -m bench.router            # 5000 events per scenario
    python -m bench.router --events 1000 --database-url postgresql+asyncpg://...
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bot.app import App, build_app
from bot.config import Config
from bot.core import Context, Message, Option, Plugin, PluginSettings, command, listener
from bot.core.events import ADMIN_PERMISSION, Author, CommandCall, ConversationKey, Location, Reply

RESULTS = Path(__file__).resolve().parent / "results"
SERVER, CHANNEL = 1, 10
TARGET_MEDIAN_US = 1000.0


class NoopPlugin(Plugin):
    name = "noop"
    description = "Does nothing, or writes one history turn"

    class Settings(PluginSettings):
        history: bool = False
        persona: str = "plain"
        limit: int = 10

    @command(description="Does nothing")
    async def noop(
        self,
        ctx: Context,
        text: Annotated[str, Option("Some text", max_length=200)],
        count: int = 1,
    ) -> None:
        if ctx.settings.history:
            await self._remember(ctx, text)

    @listener()
    async def on_message(self, ctx: Context, message: Message) -> None:
        if ctx.settings.history:
            await self._remember(ctx, message.content)

    async def _remember(self, ctx: Context, text: str) -> None:
        await ctx.services.store.conversations.append(
            ctx.conversation, "user", text, author_id=ctx.author.id, author_name=ctx.author.name
        )


class NullSent:
    link: str | None = None

    async def edit(self, text: str) -> None:
        return None


class NullResponder:
    """A platform that renders nothing (the no-op handler never answers anyway)."""

    async def send(self, reply: Reply) -> NullSent:
        return NullSent()

    async def stream(self, chunks: AsyncIterator[str], *, ephemeral: bool = False) -> str:
        return "".join([c async for c in chunks])

    async def defer(self, *, ephemeral: bool = False) -> None:
        return None

    async def fetch_history(self, limit: int, since: datetime | None = None) -> list[Message]:
        return []


def _percentile(sorted_values: list[float], q: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(q / 100 * (len(sorted_values) - 1))))
    return sorted_values[index]


async def _measure(
    make_event: Callable[[int], Awaitable[None]], events: int, warmup: int
) -> dict[str, float]:
    for i in range(warmup):
        await make_event(i)
    samples: list[float] = []
    perf = time.perf_counter_ns
    started = perf()
    for i in range(events):
        t0 = perf()
        await make_event(i)
        samples.append((perf() - t0) / 1000)
    wall = (perf() - started) / 1e9
    samples.sort()
    return {
        "events": events,
        "median_us": round(statistics.median(samples), 1),
        "p95_us": round(_percentile(samples, 95), 1),
        "p99_us": round(_percentile(samples, 99), 1),
        "mean_us": round(statistics.fmean(samples), 1),
        "max_us": round(samples[-1], 1),
        "events_per_s": round(events / wall),
    }


async def _configure(app: App, *, history: bool, configured: bool) -> None:
    settings = app.services.settings
    await settings.reset(NoopPlugin, None, server_id=SERVER, actor_id=0)
    await settings.reset(NoopPlugin, None, server_id=SERVER, actor_id=0, channel_id=CHANNEL)
    await settings.set_allowed_roles(NoopPlugin, set(), server_id=SERVER, actor_id=0)
    if history:
        await settings.set(NoopPlugin, "history", "true", server_id=SERVER, actor_id=0)
    if configured:
        await settings.set(NoopPlugin, "persona", "friendly", server_id=SERVER, actor_id=0)
        await settings.set(
            NoopPlugin, "limit", "25", server_id=SERVER, actor_id=0, channel_id=CHANNEL
        )
        await settings.set_allowed_roles(NoopPlugin, {5, 6}, server_id=SERVER, actor_id=0)


async def run(events: int, warmup: int, database_url: str | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        config = Config(data_dir=Path(tmp) / "data", database_url=database_url)
        app = await build_app(config, plugins=[NoopPlugin()])
        try:
            return await _scenarios(app, events, warmup)
        finally:
            await app.close()


async def _scenarios(app: App, events: int, warmup: int) -> dict[str, Any]:
    router, responder = app.router, NullResponder()
    location = Location(SERVER, CHANNEL)
    members = [Author(100 + i, f"member{i}", role_ids=(5,)) for i in range(50)]
    admin = Author(1, "admin", frozenset({ADMIN_PERMISSION}))

    async def command_event(i: int) -> None:
        author = members[i % len(members)]
        call = CommandCall("noop", {"text": f"hello {i}", "count": "2"}, author, location, id=i)
        await router.handle_command(call, responder)

    async def listener_event(i: int) -> None:
        author = members[i % len(members)]
        message = Message(
            i, f"hello {i}", author, location, mentions_bot=True,
            conversation=ConversationKey(SERVER, f"user:{author.id}:chan:{CHANNEL}"),
        )  # fmt: skip
        await router.handle_message(message, responder)

    assert admin.is_admin
    scenarios: dict[str, Any] = {}
    plan = [
        ("command, history off", command_event, False, False),
        ("listener, history off", listener_event, False, False),
        ("command, configured server, history off", command_event, False, True),
        ("listener, configured server, history off", listener_event, False, True),
        ("command, history on (1 SQLite write)", command_event, True, False),
        ("listener, history on (1 SQLite write)", listener_event, True, False),
    ]
    for label, event, history, configured in plan:
        await _configure(app, history=history, configured=configured)
        scenarios[label] = await _measure(event, events, warmup)
        print(f"{label:45} {scenarios[label]}", file=sys.stderr)
    return scenarios


def _markdown(report: dict[str, Any]) -> str:
    lines = [
        "# Router overhead per event",
        "",
        f"Machine: {report['machine']}. {report['events']} events per scenario after "
        f"{report['warmup']} warm-up events; database: {report['database']}.",
        "A no-op plugin (one command with two options, one listener) in the real App; "
        "'configured server' adds server and channel setting overrides and a role allow list; "
        "'history on' makes the handler append one turn with `store.conversations.append`.",
        "",
        "| scenario | median µs | p95 µs | p99 µs | mean µs | events/s |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, r in report["scenarios"].items():
        lines.append(
            f"| {name} | {r['median_us']} | {r['p95_us']} | {r['p99_us']} | {r['mean_us']} "
            f"| {r['events_per_s']} |"
        )
    verdict = "met" if report["target_met"] else "MISSED"
    lines += [
        "",
        f"Target: median Router overhead (history off) < {TARGET_MEDIAN_US:.0f} µs — {verdict}.",
        "",
        report["notes"],
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temp dir")
    parser.add_argument("--notes", default="", help="free text added to the report")
    args = parser.parse_args(argv)
    scenarios = asyncio.run(run(args.events, args.warmup, args.database_url))
    overhead = [r["median_us"] for name, r in scenarios.items() if "history off" in name]
    report = {
        "benchmark": "router",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{os.cpu_count()} CPU cores, {platform.machine()}, "
        f"Python {platform.python_version()}",
        "database": "PostgreSQL" if args.database_url else "SQLite (file, WAL)",
        "events": args.events,
        "warmup": args.warmup,
        "scenarios": scenarios,
        "target_median_us": TARGET_MEDIAN_US,
        "target_met": max(overhead) < TARGET_MEDIAN_US,
        "load_average": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "notes": args.notes,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "router.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    (RESULTS / "router.md").write_text(_markdown(report))
    print(_markdown(report))
    return 0 if report["target_met"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
