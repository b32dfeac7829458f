"""`sohbet teach ...`: what the operator teaches a server from the command line, through the
teach plugin's own handlers (the same checks, audit and training as `/teach` in a chat).

    sohbet teach import labels.csv --server 123 --task sentiment     # columns text,label
    sohbet teach import terms.csv --server 123 --task glossary --from en --to tr
    sohbet teach status|train|rollback|confirm --server 123
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from bot.core.app import App
from bot.core.context import Context
from bot.core.errors import SohbetError
from bot.core.events import Attachment, Author, CommandCall, Location
from bot.teaching.csv_rows import MAX_BYTES
from bot.web.commands import WebResponder

__all__ = ["OPERATOR", "teach_command"]

# The operator at the command line: trusted like a server admin; audited as actor 0.
OPERATOR = Author(0, "operator", frozenset({"administrator"}))
_COMMANDS = {
    "import": "teach import",
    "status": "teach status",
    "train": "teach train",
    "rollback": "teach rollback",
    "confirm": "teach confirm",
}


def _attachment(path: Path) -> Attachment:
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise SohbetError(f"{path} is {size:,} bytes; the limit is {MAX_BYTES:,}.")
    data = path.read_bytes()

    async def fetch() -> bytes:
        return data

    return Attachment(path.name, "text/csv", len(data), fetch=fetch)


async def teach_command(
    app: App,
    action: str,
    server_id: int,
    *,
    file: str | None = None,
    task: str | None = None,
    source_lang: str | None = None,
    target_lang: str | None = None,
) -> int:
    registered = app.registry.slash.get(_COMMANDS[action])
    if registered is None:
        print("The teach plugin is not installed or enabled (SOHBET_PLUGINS).", file=sys.stderr)
        return 2
    options: dict[str, Any] = {}
    if action == "import":
        if file is None or task is None:
            print("`sohbet teach import` needs FILE and --task.", file=sys.stderr)
            return 2
        try:
            options = {"file": _attachment(Path(file)), "task": task}
        except OSError as exc:
            print(f"I can't read {file}: {exc.strerror or exc}.", file=sys.stderr)
            return 1
        except SohbetError as exc:
            print(exc.user_message, file=sys.stderr)
            return 1
        if source_lang:
            options["from_"] = source_lang
        if target_lang:
            options["to"] = target_lang
    plugin, spec = registered.plugin, registered.spec
    call = CommandCall(spec.name, options, OPERATOR, Location(server_id, 0))
    settings = await app.services.settings.resolve(type(plugin), server_id, 0)
    responder = WebResponder()
    ctx = Context(plugin, call, settings, app.services, responder)
    try:
        await plugin.handler(spec.handler_name)(ctx, **options)
    except SohbetError as exc:
        print(exc.user_message, file=sys.stderr)
        return 1
    print("\n".join(responder.messages))
    return 0
