"""Parse console lines like `/translate text:"merhaba dünya" to:en` into command calls."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.core.errors import BadOption, UnknownCommand
from bot.core.events import Attachment
from bot.core.plugin import CommandSpec
from bot.i18n import _
from bot.shared.markup import command_ref

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
        raise BadOption(_("There is no file at `{path}`.", path=path))
    path = path.resolve()  # `file:notes.txt` is relative to where the console runs

    async def fetch() -> bytes:
        return await asyncio.to_thread(path.read_bytes)

    kind, _encoding = mimetypes.guess_type(path.name)
    return Attachment(path.name, kind, path.stat().st_size, url=path.as_uri(), fetch=fetch)


def parse_command_line(line: str, commands: dict[str, CommandSpec]) -> ParsedCommand:
    """`line` starts with "/". Command names may have spaces ("docs delete").

    `name:value` pairs split the rest of the line at known option names, so values keep
    their spaces, apostrophes and JSON (`value:["a", "b"]`); wrap a value in double quotes
    when it contains another option's `name:`. Text before the first option fills the
    first text option (`/translate merhaba dünya`).
    """
    body = line.strip()[1:]
    if not body.split():
        raise UnknownCommand("")
    spec, rest = _match_command(body, commands)
    known = {o.name: o for o in spec.options}
    loose, pairs = _split_options(rest, set(known))
    options: dict[str, Any] = {}
    for key, value in pairs:
        if key in options:
            raise BadOption(_("`{option}` was given twice.", option=key))
        option = known.get(key)
        is_file = option is not None and option.kind == "attachment"
        options[key] = _attachment_or_text(value) if is_file else value
    if loose:
        free = [o for o in spec.options if o.kind == "str" and o.name not in options]
        # `/plugins audit 5`: with no text option left, the first unset simple option
        free = free or [o for o in spec.options if o.kind != "attachment" and o.name not in options]
        if not free:
            raise BadOption(
                _("I don't know what to do with `{text}`. Use `name:value`.", text=loose)
            )
        options[free[0].name] = loose
    return ParsedCommand(spec, options)


def _match_command(body: str, commands: dict[str, CommandSpec]) -> tuple[CommandSpec, str]:
    """The longest command name at the start of `body`, and the raw text after it."""
    words = body.split()
    for size in (3, 2, 1):  # longest name first: "plugins config set" before "plugins"
        name = " ".join(words[:size])
        if len(words) >= size and name in commands:
            pattern = r"\s*" + r"\s+".join(re.escape(w) for w in words[:size])
            matched = re.match(pattern, body)
            assert matched is not None
            return commands[name], body[matched.end() :]
    group = " ".join(words[:2]) if len(words) > 1 else words[0]
    for prefix in (group, words[0]):  # `/plugins` or `/plugins config`: show the choices
        subcommands = sorted(n for n in commands if n.startswith(prefix + " "))
        if subcommands:
            # `/sentiment text:I love it`: the option names which subcommand was meant.
            given = set(_MARKER.findall(body))
            meant = [n for n in subcommands if given & {o.name for o in commands[n].options}]
            if len(meant) == 1:
                rest = body.strip()[len(prefix) :].strip()
                example = f" `{rest}`" if rest else ""
                raise BadOption(
                    _(
                        "{group} needs a subcommand. Did you mean: {command}",
                        group=command_ref(prefix),
                        command=command_ref(meant[0]) + example,
                    )
                )
            listing = ", ".join(command_ref(n) for n in subcommands)
            raise BadOption(
                _(
                    "{group} needs a subcommand: {commands}.",
                    group=command_ref(prefix),
                    commands=listing,
                )
            )
    raise UnknownCommand(words[0])


_MARKER = re.compile(r"([A-Za-z_]\w*):")


def _split_options(rest: str, known: set[str]) -> tuple[str, list[tuple[str, str]]]:
    """Split `rest` at `name:` markers outside double quotes; returns (loose text, pairs)."""
    markers: list[tuple[int, int, str]] = []  # (start, end, name)
    in_quotes = False
    for i, char in enumerate(rest):
        if char == '"' and (i == 0 or rest[i - 1] != "\\"):
            in_quotes = not in_quotes
            continue
        if in_quotes or (i > 0 and not rest[i - 1].isspace()):
            continue
        found = _MARKER.match(rest, i)
        if found is None:
            continue
        name, end = found.group(1), found.end()
        # An unknown `name:value` right at the start is a mistyped option (the router lists
        # the real ones); later, before a space ("Note: ...") or in a URL, it is just text.
        mistyped = not markers and not rest[:i].strip() and rest[end : end + 1].strip() != ""
        if name in known or (mistyped and not rest.startswith("//", end)):
            markers.append((i, end, name))
    loose = _unquote(rest[: markers[0][0]] if markers else rest)
    pairs = []
    for index, (_start, end, name) in enumerate(markers):
        stop = markers[index + 1][0] if index + 1 < len(markers) else len(rest)
        pairs.append((name, _unquote(rest[end:stop])))
    return loose, pairs


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        inner = value[1:-1]
        return inner.replace('\\"', '"') if value[0] == '"' else inner
    return value


def _attachment_or_text(value: str) -> Attachment | str:
    path = Path(value.removeprefix("@")).expanduser()
    return file_attachment(path) if value else value
