"""What each `sohbet` sub-command does (kept apart from argument parsing)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import Config, mask_url
from bot.store.database import InvalidDatabaseUrl, Store, StoreDamaged, StoreUnavailable
from bot.store.migrations import current_revision, head_revision

if TYPE_CHECKING:
    from bot.core.app import App

__all__ = ["chat", "database", "doctor", "ingest", "list_plugins", "run_discord"]


async def _build(config: Config) -> App:
    from bot.app import build_app  # imports every service: only the commands that need it

    return await build_app(config)


async def chat(config: Config) -> int:
    """The console session. Probes and metrics run when SOHBET_METRICS_PORT is set, and so does
    retention; Ctrl-C keeps its usual meaning (the terminal's reader thread can't be drained)."""
    from bot.ai.local_servers import use_local_server
    from bot.operations import Operations
    from bot.platforms.console import ConsoleAdapter

    config = await use_local_server(config)
    if config.model_server:  # the console hides INFO logs: say it here
        print(
            f"Using the local {config.model_server} at {config.model_base_url} "
            f"(model {config.model_name}).",
            file=sys.stderr,
        )
    app = await _build(config)
    _say_if_demo_model(config)
    ops: Operations | None = None
    try:
        ops = await Operations.start(app)
        adapter = ConsoleAdapter(
            app.router, admin=config.console_admin, files_dir=config.data_dir / "files"
        )
        await adapter.run()
    finally:
        if ops is not None:
            await ops.close()
        await app.close()
    return 0


def _say_if_demo_model(config: Config) -> None:
    """Once per console session: which local model answers, and why when it's the demo."""
    from bot.ai.local_default import local_default
    from bot.ai.readiness import is_bundled
    from bot.providers import ModelChoice

    cfg = ModelChoice(config).default()
    if not is_bundled(cfg):
        if cfg.is_local and not config.model_name:
            print(f"Model: {cfg.model} (`sohbet models list` shows the others).", file=sys.stderr)
        return
    why = None if config.model_name else local_default(config.data_dir).reason
    print(
        (f"The demo model answers because {why}. " if why else "")
        + "Note: this is the small bundled demo model (SmolLM2-135M). It is fine for trying "
        "the commands, but weak in Turkish and unable to translate. For real answers pull the "
        "default model (`sohbet models pull`), run Ollama (used automatically when it runs) or "
        "set SOHBET_MODEL_PROVIDER=openai with SOHBET_MODEL_BASE_URL and SOHBET_MODEL_NAME; see "
        'the README, "Choosing a model".',
        file=sys.stderr,
    )


async def run_discord(config: Config) -> int:
    """`sohbet run`: Discord, Telegram or both, by which tokens are set (DISCORD_TOKEN,
    TELEGRAM_TOKEN; environment only)."""
    from bot.platforms.telegram.runner import load_settings

    telegram = load_settings()
    if telegram is None:
        return 2
    if config.discord_token is None and telegram.token is None:
        print(
            "DISCORD_TOKEN is not set. Nor is TELEGRAM_TOKEN.\n"
            "  Discord: create an application at the Discord Developer Portal, add a bot,\n"
            "     copy its token, then export DISCORD_TOKEN=...\n"
            "  Telegram: ask @BotFather for /newbot, then export TELEGRAM_TOKEN=...\n"
            "  Set one or both, then run `sohbet run` again (the README explains each).\n"
            "To try Sohbet without either, run `sohbet chat`.",
            file=sys.stderr,
        )
        return 2
    from bot.ai.local_servers import use_local_server
    from bot.operations import Companion
    from bot.web.run import dashboard_beside_bot

    config = await use_local_server(config)
    companions: list[Companion] = []
    dashboard = dashboard_beside_bot()  # when SOHBET_WEB_PORT is set
    if dashboard is not None:
        companions.append(dashboard)
    if config.discord_token is None:
        from bot.platforms.telegram.runner import run_telegram

        return await run_telegram(config, companions)
    from bot.platforms.discord.runner import run_bot

    if telegram.token is not None:
        from bot.platforms.telegram.runner import TelegramCompanion

        companions.insert(0, TelegramCompanion(telegram))
    return await run_bot(config, companions)


async def list_plugins(config: Config) -> int:
    from bot.platforms.console import CONSOLE_SERVER_ID

    app = await _build(config)
    try:
        for name, plugin in sorted(app.registry.plugins.items()):
            enabled = await app.services.settings.is_enabled(CONSOLE_SERVER_ID, type(plugin))
            commands = ", ".join(f"/{s.name}" for s in type(plugin).commands() if s.kind == "slash")
            print(f"{name:12} {'enabled ' if enabled else 'disabled'}  {plugin.description}")
            if commands:
                print(f"{'':12} {commands}")
        for name, error in sorted(app.registry.load_errors.items()):
            print(f"{name:12} BROKEN    {error}")
    finally:
        await app.close()
    return 0


async def doctor(config: Config) -> int:
    """Check each part and say plainly what is wrong. Exit 1 if anything is."""
    problems = 0

    def report(ok: bool, what: str, detail: str) -> None:
        nonlocal problems
        problems += 0 if ok else 1
        print(f"[{'ok' if ok else 'FAIL'}] {what}: {detail}")

    report(True, "config", f"database {mask_url(config.resolved_database_url)}")
    data = config.data_dir
    try:
        data.mkdir(parents=True, exist_ok=True)
        probe = data / ".doctor"
        probe.write_text("ok")
        probe.unlink()
        report(True, "data folder", str(data.resolve()))
    except OSError as exc:
        report(False, "data folder", f"{data} is not writable ({exc.strerror})")
    await _check_database(config, report)
    await _check_vectors(config, report)
    token = "set" if config.discord_token else "not set (only `sohbet chat` works)"
    report(True, "discord token", token)
    report(True, "model", await _model_summary(config))
    report(True, "tasks", await _task_summary(config))
    if config.broker_url:
        await _check_broker(config, report)
    print("All good." if problems == 0 else f"{problems} problem(s) found.")
    return 0 if problems == 0 else 1


async def _check_broker(config: Config, report: Callable[[bool, str, str], None]) -> None:
    """SOHBET_BROKER_URL set: Redis answers, and the job queue's numbers (bot.jobs)."""
    from bot.core.errors import SohbetError
    from bot.jobs.worker import check_broker, jobs_from_config

    jobs = jobs_from_config(config)
    try:
        await check_broker(jobs, config)
    except SohbetError as exc:
        report(False, "job queue", exc.user_message)
        return
    try:
        stats = await jobs.stats()
    finally:
        await jobs.close()
    detail = stats.line().removeprefix("Jobs: ")
    if stats.workers == 0:
        detail += "; no `sohbet worker` runs, so uploads wait"
    report(stats.workers > 0, "job queue", detail)


async def _task_summary(config: Config) -> str:
    """Per-task readiness of the model `sohbet chat`/`run` would use (bot.ai.readiness)."""
    from bot.ai.local_servers import use_local_server
    from bot.ai.readiness import readiness_table
    from bot.providers import ModelChoice

    cfg = ModelChoice(await use_local_server(config)).default()
    table = readiness_table(cfg, config.data_dir)
    passed = ", ".join(f"✅ {r.task}" for r in table if r.ready and r.measured)
    failed = "; ".join(f"⚠️ {r.task} ({r.reason})" for r in table if not r.ready)
    unmeasured = ", ".join(f"❔ {r.task}" for r in table if not r.measured)
    parts = [
        f"passed: {passed or 'none'}",
        *([f"not ready: {failed}"] if failed else []),
        *([f"not measured (`sohbet eval` measures them): {unmeasured}"] if unmeasured else []),
    ]
    return "; ".join(parts)


async def _model_summary(config: Config) -> str:
    """Which model `sohbet chat`/`run` would use now, and how to make a local one faster."""
    from bot.ai.local_servers import use_local_server
    from bot.ai.models import llamacpp_available
    from bot.providers import ModelChoice

    found = await use_local_server(config)
    cfg = ModelChoice(found).default()
    where = f" from the local {found.model_server} at {found.model_base_url}"
    summary = f"{cfg.provider} / {cfg.model}{where if found.model_server else ''}"
    if cfg.is_local and not llamacpp_available():
        summary += " (`make llamacpp` installs llama.cpp: about 4x faster on a CPU)"
    return summary


async def _check_vectors(config: Config, report: Callable[[bool, str, str], None]) -> None:
    """Read the embedded vector store once through: a damaged file shows here, not in /ask."""
    from bot.vectors import VectorStoreDamaged, VectorStoreError, VectorStoreLocked
    from bot.vectors.edge import EdgeVectorStore

    folder = config.data_dir / "vectors"
    if config.qdrant_url or not folder.is_dir() or not any(folder.iterdir()):
        return
    try:
        from bot.ai.embeddings import EmbeddingConfig, load_embedder
        from bot.providers import collection_name

        embedder = await load_embedder(EmbeddingConfig.from_setting(config.embedding_model))
        collection = collection_name(embedder.name, embedder.dimension)
        if not (folder / collection).exists():
            return
        store = await EdgeVectorStore.open(folder, embedder.dimension, collection)
    except VectorStoreDamaged as exc:
        report(False, "vector store", _vectors_repair(exc.detail))
        return
    except VectorStoreLocked as exc:
        report(True, "vector store", f"in use by process {exc.owner_pid} (not checked)")
        return
    except VectorStoreError as exc:
        report(False, "vector store", exc.user_message)
        return
    try:
        points = await store.check()
        report(True, "vector store", f"{points:,} chunks readable")
    except VectorStoreDamaged as exc:
        report(False, "vector store", _vectors_repair(exc.detail))
    finally:
        await store.close()


def _vectors_repair(detail: str) -> str:
    return (
        f"damaged ({detail[:200]}). Restore data/vectors from a backup, or run "
        "`sohbet vectors reset` (keeps the damaged folder aside, starts an empty index; "
        "documents then need uploading again)"
    )


async def _check_database(config: Config, report: Callable[[bool, str, str], None]) -> None:
    try:
        store = Store(config.resolved_database_url)
    except InvalidDatabaseUrl as exc:
        report(False, "database", exc.user_message)
        return
    try:
        await store.ping(check_integrity=True)
        current = await current_revision(store.engine)
        head = head_revision()
        if current == head:
            report(True, "database", f"reachable, schema at {current}")
        else:
            found = current or "none"
            advice = f"expected {head}: run `sohbet db upgrade`"
            report(False, "database", f"schema at {found}, {advice}")
    except StoreDamaged as exc:
        report(
            False,
            "database",
            f"damaged ({exc.reason}): restore it from a backup, or move the file aside and "
            "start fresh (then re-add documents)",
        )
    except StoreUnavailable as exc:
        report(False, "database", f"unreachable ({exc.reason})")
    finally:
        await store.close()


async def database(config: Config, action: str, revision: str | None) -> int:
    from bot.app import ensure_data_dir
    from bot.store import migrations

    ensure_data_dir(config)
    store = Store(config.resolved_database_url)
    try:
        await store.ping()
        if action == "upgrade":
            await migrations.upgrade(store.engine, revision or "head")
        elif action == "downgrade":
            await migrations.downgrade(store.engine, revision or "-1")
        print(f"schema revision: {await current_revision(store.engine) or 'none'}")
    finally:
        await store.close()
    return 0


async def ingest(config: Config, paths: list[str], server_id: int, channel_id: int | None) -> int:
    from bot.ingest_cli import ingest_paths

    app = await _build(config)
    try:
        return await ingest_paths(app, [Path(p) for p in paths], server_id, channel_id)
    finally:
        await app.close()


async def teach(config: Config, args: argparse.Namespace) -> int:
    """`sohbet teach`: the teach plugin's commands for one server, as the operator."""
    from bot.teach_cli import teach_command

    app = await _build(config)
    try:
        return await teach_command(
            app,
            args.action,
            args.server,
            file=args.file,
            task=args.task,
            source_lang=args.source_lang,
            target_lang=args.target_lang,
        )
    finally:
        await app.close()


async def evaluate(config: Config, tasks: str, limit: int, *, as_json: bool = False) -> int:
    """`sohbet eval`: per-task quality with the model `sohbet chat`/`run` would use."""
    import json

    from bot.ai.local_servers import use_local_server
    from bot.evaluation.run import TASK_NAMES, render
    from bot.evaluation.run import evaluate as run_evaluation
    from bot.providers import ModelChoice

    wanted = [t.strip() for t in tasks.split(",") if t.strip()]
    unknown = [t for t in wanted if t not in TASK_NAMES]
    if unknown or not wanted or limit < 1:
        print(
            f"Tasks are {', '.join(TASK_NAMES)} (got {', '.join(unknown) or 'none'}); "
            "--limit is at least 1.",
            file=sys.stderr,
        )
        return 2
    cfg = ModelChoice(await use_local_server(config)).default()
    report = await run_evaluation(cfg, wanted, limit, config.data_dir)
    print(json.dumps(report.as_dict(), indent=2, ensure_ascii=False) if as_json else render(report))
    return 0


async def _reindex(config: Config) -> int:
    """`sohbet vectors reindex`: re-embed every stored chunk with the configured embedder."""
    from tqdm import tqdm

    from bot.providers import ACTIVE_EMBEDDING_KEY, AIProviders, collection_name
    from bot.vectors import VectorStore, open_vector_store
    from bot.vectors.edge import EdgeVectorStore
    from bot.vectors.reindex import reindex

    app = await _build(config)
    try:
        ai = app.services.get("ai", AIProviders)
        serving = await ai.serving_embedding_model()
        wanted = config.embedding_model
        if serving == wanted:
            print(f"The documents are already indexed with {wanted or 'the bundled embedder'}.")
            return 0
        source = await ai.vectors()
        embedder = await ai.load_embedder(wanted)
        collection = collection_name(embedder.name, embedder.dimension)
        target: VectorStore
        if isinstance(source, EdgeVectorStore):
            target = await source.open_collection(collection, embedder.dimension)
        else:
            target = await open_vector_store(
                config.qdrant_url, config.data_dir / "vectors", embedder.dimension, collection
            )
        try:
            with tqdm(desc="reindex", unit="chunk") as bar:

                def progress(done: int, total: int) -> None:
                    bar.total = total
                    bar.n = done
                    bar.refresh()

                report = await reindex(source, target, embedder, progress)
        finally:
            await target.close()
        await app.store.state.set(ACTIVE_EMBEDDING_KEY, wanted)
        print(
            f"Re-embedded {report.copied} documents ({report.chunks:,} chunks; "
            f"{report.documents} in all) with {embedder.name} into {collection}. "
            "Restart the bot to serve them from it; the old collection can then be deleted."
        )
        return 0
    finally:
        await app.close()


def _reset_vectors(config: Config) -> int:
    """Move a (damaged) embedded store aside; the next start reconciles the documents table."""
    import time

    folder = config.data_dir / "vectors"
    if config.qdrant_url or not folder.exists():
        print("There is no embedded vector store to reset.")
        return 0
    aside = folder.with_name(f"vectors.reset-{time.strftime('%Y%m%d-%H%M%S')}")
    folder.rename(aside)
    print(
        f"Moved the vector store to {aside}. Documents listed before must be uploaded again; "
        "the next start removes their entries from /docs list."
    )
    return 0


async def vectors(config: Config, action: str) -> int:
    """`sohbet vectors info|optimize`: the embedded store builds its search indexes on demand.

    Searches are correct without indexes (filtered brute force over one server's chunks);
    run `optimize` after large ingestions, while the bot is stopped: it pauses the process.
    """
    import time

    from bot.providers import AIProviders
    from bot.vectors.edge import EdgeVectorStore

    if action == "reset":
        return _reset_vectors(config)
    if action == "reindex":
        return await _reindex(config)
    app = await _build(config)
    try:
        store = await app.services.get("ai", AIProviders).vectors()
        if not isinstance(store, EdgeVectorStore):
            print("The Qdrant server builds its indexes by itself: nothing to do here.")
            return 0
        if action == "optimize":
            started = time.perf_counter()
            await store.optimize()
            print(f"optimized in {time.perf_counter() - started:.1f} s")
        info = await store.points_info()
        print(", ".join(f"{key.replace('_', ' ')}: {value:,}" for key, value in info.items()))
        return 0
    finally:
        await app.close()
