"""The `sohbet` command line."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from bot.config import Config, config_error_text, load_config
from bot.core.errors import SohbetError

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sohbet",
        description="Sohbet: a plugin-based AI assistant for Discord, Telegram and the terminal.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("chat", help="talk to the assistant in this terminal (no token needed)")
    sub.add_parser(
        "run", help="run the bot on Discord and/or Telegram (DISCORD_TOKEN, TELEGRAM_TOKEN)"
    )
    sub.add_parser("plugins", help="list installed plugins and their state on the console server")
    sub.add_parser("doctor", help="check configuration, data folder and database")
    db = sub.add_parser("db", help="database migrations")
    db.add_argument("action", choices=["upgrade", "downgrade", "current"])
    db.add_argument("revision", nargs="?", default=None)
    ingest = sub.add_parser("ingest", help="add documents to a server's knowledge base")
    ingest.add_argument("paths", nargs="+")
    ingest.add_argument("--server", type=int, required=True, help="server (guild) id")
    ingest.add_argument("--channel", type=int, default=None, help="limit to one channel")
    evaluation = sub.add_parser(
        "eval", help="measure each AI task with the configured model, beside its baseline"
    )
    evaluation.add_argument(
        "--tasks",
        default="documents,translation,summarization,sentiment,chat",
        help="comma-separated: documents, translation, summarization, sentiment, chat, bias",
    )
    evaluation.add_argument("--limit", type=int, default=10, help="items per task (or direction)")
    evaluation.add_argument("--json", action="store_true", help="print JSON instead of a table")
    teach = sub.add_parser(
        "teach", help="teach a server: import labelled texts, terms or answers; status, rollback"
    )
    teach.add_argument("action", choices=["import", "status", "train", "rollback", "confirm"])
    teach.add_argument("file", nargs="?", help="the CSV file (import)")
    teach.add_argument("--server", type=int, required=True, help="server id (platform-qualified)")
    teach.add_argument("--task", choices=["sentiment", "glossary", "answers"])
    teach.add_argument("--from", dest="source_lang", help="glossary: language of the terms")
    teach.add_argument("--to", dest="target_lang", help="glossary: language of translations")
    web = sub.add_parser("web", help="the web dashboard (Discord login; --local: no Discord)")
    web.add_argument(
        "--local", action="store_true", help="the console server, for you only (127.0.0.1)"
    )
    web.add_argument("--host", default=None, help="address to listen on (SOHBET_WEB_HOST)")
    web.add_argument("--port", type=int, default=None, help="port (SOHBET_WEB_PORT, else 8080)")
    worker = sub.add_parser("worker", help="run queued jobs (needs SOHBET_BROKER_URL)")
    worker.add_argument("--concurrency", type=int, default=1, help="jobs at a time")
    jobs = sub.add_parser("jobs", help="the job queue: status, dead jobs, retry one")
    jobs.add_argument("action", choices=["status", "dead", "retry"])
    jobs.add_argument("id", nargs="?", default=None, help="job id (retry)")
    models = sub.add_parser(
        "models", help="local models: list, pull (download), use (make the default), remove"
    )
    models.add_argument("action", choices=["list", "pull", "use", "remove"])
    models.add_argument(
        "name", nargs="?", default=None, help="catalog name (pull: default model if omitted)"
    )
    models.add_argument(
        "--if-missing",
        action="store_true",
        help="pull: only when the model isn't here and none is configured; a failed pull "
        "exits 0 (the demo model answers), as `make chat` uses it",
    )
    vectors = sub.add_parser("vectors", help="maintenance of the document vector store")
    vectors.add_argument("action", choices=["optimize", "info", "reset", "reindex"])
    return parser


def _setup_logging(config: Config, quiet: bool) -> None:
    from bot.logs import configure_logging

    level = "WARNING" if quiet else config.log_level
    configure_logging(level, json_lines=config.log_json)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command is None:
        _parser().print_help()
        return 0
    if args.command != "models":  # a pull honours only the operator's own HF_HUB_OFFLINE
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    try:
        config = load_config()
    except ValidationError as exc:  # its own text would repeat the values (a URL's password)
        print(f"Configuration error:\n{config_error_text(exc)}", file=sys.stderr)
        return 2
    except Exception as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        return 2
    _setup_logging(
        config,
        quiet=args.command
        in {"chat", "plugins", "doctor", "db", "ingest", "eval", "web", "jobs", "models"},
    )
    if args.command == "models":  # blocking downloads; Ctrl-C keeps what was fetched
        from bot.models_command import models_command

        try:
            return models_command(config, args.action, args.name, if_missing=args.if_missing)
        except KeyboardInterrupt:
            return 130
    try:
        return asyncio.run(_dispatch(args, config))
    except SohbetError as exc:
        print(_explain(exc, config), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # one line through the log (and its masking), never a traceback
        logging.getLogger("sohbet").debug("fatal error", exc_info=True)
        logging.getLogger("sohbet").critical(
            "Sohbet stopped: %s: %s (run with SOHBET_LOG_LEVEL=DEBUG for details)",
            type(exc).__name__,
            str(exc).splitlines()[0][:300] if str(exc) else "no details",
        )
        return 1


def _explain(error: SohbetError, config: Config) -> str:
    """The user-facing message, plus the driver's reason when the database is down."""
    from bot.store.database import InvalidDatabaseUrl, StoreDamaged, StoreUnavailable

    if isinstance(error, StoreDamaged):
        from bot.config import mask_url

        return (
            f"The database at {mask_url(config.resolved_database_url)} is damaged: "
            f"{error.reason}. Restore it from a backup, or move the file aside to start "
            "fresh (settings and history are lost; re-add documents). `sohbet doctor` checks it."
        )
    if isinstance(error, StoreUnavailable) and not isinstance(error, InvalidDatabaseUrl):
        from bot.config import mask_url

        return (
            f"The database at {mask_url(config.resolved_database_url)} is unreachable: "
            f"{error.reason}. Check SOHBET_DATABASE_URL, or run `sohbet doctor`."
        )
    return str(error)  # plain text for the terminal


async def _dispatch(args: argparse.Namespace, config: Config) -> int:
    from bot import commands

    if args.command == "chat":
        return await commands.chat(config)
    if args.command == "run":
        return await commands.run_discord(config)
    if args.command == "plugins":
        return await commands.list_plugins(config)
    if args.command == "doctor":
        return await commands.doctor(config)
    if args.command == "db":
        return await commands.database(config, args.action, args.revision)
    if args.command == "ingest":
        return await commands.ingest(config, args.paths, args.server, args.channel)
    if args.command == "teach":
        return await commands.teach(config, args)
    if args.command == "web":
        from bot.web.run import serve

        return await serve(config, local=args.local, host=args.host, port=args.port)
    if args.command == "vectors":
        return await commands.vectors(config, args.action)
    if args.command in ("worker", "jobs"):
        from bot.jobs_cli import jobs_command, worker_command

        if args.command == "worker":
            return await worker_command(config, args.concurrency)
        return await jobs_command(config, args.action, args.id)
    if args.command == "eval":
        return await commands.evaluate(config, args.tasks, args.limit, as_json=args.json)
    raise AssertionError(args.command)


if __name__ == "__main__":
    raise SystemExit(main())
