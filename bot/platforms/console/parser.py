"""Parse console lines like `/translate text:"merhaba dünya" to:en` into command calls."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.core.errors import BadOption, UnknownCommand
from bot.core.events import Attachment
from bot.core.plugin import CommandSpec

__all__ = ["ParsedCommand", "file_attachment", "parse_command_line"]


@dataclass(frozen=True)
class ParsedCommand:
    spec: CommandSpec
    options: dict[str, Any]


def file_attachment(path: Path) -> Attachment:
    """A local file as a neutral attachment (read lazily, off the event loop)."""
    import asyncio
    import mimetypes

    if not path.is_file():
        raise BadOption(f"There is no file at `{path}`.")

    async def fetch() -> bytes:
        return await asyncio.to_thread(path.read_bytes)

    kind, _ = mimetypes.guess_type(path.name)
    return Attachment(path.name, kind, path.stat().st_size, url=path.as_uri(), fetch=fetch)


def parse_command_line(line: str, commands: dict[str, CommandSpec]) -> ParsedCommand:
    """`line` starts with "/". Command names may have spaces ("docs delete")."""
    body = line.strip()[1:]
    try:
        tokens = shlex.split(body)
    except ValueError as exc:
        raise BadOption(f"I couldn't read that command: {exc}.") from None
    if not tokens:
        raise UnknownCommand("")
    spec, rest = _match_command(tokens, commands)
    options: dict[str, Any] = {}
    loose: list[str] = []
    known = {o.name: o for o in spec.options}
    last_key: str | None = None
    for token in rest:
        key, sep, value = token.partition(":")
        if sep and key in known:
            options[key] = _attachment_or_text(value) if known[key].kind == "attachment" else value
            last_key = key
        elif sep and key.isidentifier() and not loose and last_key is None:
            options[key] = value  # unknown option: the router explains which ones exist
        elif last_key is not None and isinstance(options[last_key], str):
            options[last_key] += " " + token  # `text:hello world` without quotes
        else:
            loose.append(token)
    if loose:
        free = [o for o in spec.options if o.kind == "str" and o.name not in options]
        if not free:
            raise BadOption(f"I don't know what to do with `{' '.join(loose)}`. Use `name:value`.")
        options[free[0].name] = " ".join(loose)  # `/translate hello world` fills the first text option
    return ParsedCommand(spec, options)


def _match_command(
    tokens: list[str], commands: dict[str, CommandSpec]
) -> tuple[CommandSpec, list[str]]:
    for size in (3, 2, 1):  # longest name first: "plugins config set" before "plugins"
        name = " ".join(tokens[:size])
        if len(tokens) >= size and name in commands:
            return commands[name], tokens[size:]
    raise UnknownCommand(tokens[0])


def _attachment_or_text(value: str) -> Attachment | str:
    path = Path(value.removeprefix("@")).expanduser()
    return file_attachment(path) if value else value
