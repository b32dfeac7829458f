"""Telegram command text -> a registry command with options, by the console parser's rules.

Telegram command names are one word (`[a-z0-9_]`), so "docs list" is `/docs_list`; `/docs list`
works too. Options are `name=value` (or `name:value`) words before or after the text, a value
with spaces in "quotes" (`/translate to=tr merhaba dünya`); the text in between, as typed,
fills the first text option. `/cmd@OtherBot` is not for us.

Replying to a message with a bare `/translate`, `/sentiment`, `/summarize` or `/docs_add` runs
the matching message command on it (Discord's context menu). Files never come from the text:
an option that takes a file is filled from the document sent with the command.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.core.errors import BadOption, UnknownCommand
from bot.core.plugin import CommandSpec
from bot.i18n import _
from bot.platforms.console.parser import _match_command
from bot.platforms.text import as_typed
from bot.shared.markup import command_ref

__all__ = [
    "MESSAGE_ALIASES",
    "ParsedCall",
    "addressed_elsewhere",
    "addressee",
    "command_menu_name",
    "parse_command",
    "telegram_command",
    "telegram_name",
    "usage",
]

# Reply + /alias runs the message command on the replied message.
MESSAGE_ALIASES = {
    "translate": "Translate message",
    "sentiment": "Analyze sentiment",
    "summarize": "Summarize message",
    "docs_add": "Add to documents",
    "teach": "Teach Sohbet",
}
# Without a reply, /docs_add with a document is the upload command.
SLASH_ALIASES = {"docs_add": "docs upload"}
_COMMAND = re.compile(r"/([A-Za-z0-9_]{1,64})(?:@([A-Za-z0-9_]{1,64}))?(?=\s|$)")


@dataclass(frozen=True)
class ParsedCall:
    spec: CommandSpec
    options: dict[str, Any] = field(default_factory=dict)
    on_reply: bool = False  # a message command on the replied message
    file_option: str | None = None  # the option to fill with the attached document


def telegram_name(name: str) -> str:
    """A command's name on Telegram: "docs list" -> "docs_list"."""
    return re.sub(r"[^a-z0-9_]", "_", name.lower())[:32]


def command_menu_name(spec: CommandSpec) -> str:
    """The name in Telegram's command menu: "docs list" -> "docs_list"."""
    return telegram_name(spec.name)


def telegram_command(name: str, options: Sequence[tuple[str, str]]) -> str:
    """A command reference (`bot.shared.markup.command_ref`) as members type it on Telegram:
    `/plugins_enable plugin=sentiment`."""
    return " ".join(["/" + telegram_name(name), *(f"{k}={_quote(v)}" for k, v in options)])


def _quote(value: str) -> str:
    return f'"{value}"' if " " in value else value


def addressee(text: str) -> str | None:
    """The bot a command names (`/cmd@OtherBot` gives "OtherBot"), or None."""
    found = _COMMAND.match(text.strip())
    return found.group(2) if found and found.group(2) else None


def addressed_elsewhere(text: str, bot_username: str) -> bool:
    """`/cmd@OtherBot`: a command for another bot in the same group."""
    name = addressee(text)
    return name is not None and name.lower() != bot_username.lower()


def parse_command(
    text: str,
    slash: dict[str, CommandSpec],
    message_commands: dict[str, CommandSpec],
    *,
    replied_text: str | None = None,
    replying: bool = False,
) -> ParsedCall:
    """`text` starts with "/". `replying`: the message replies to another one (whose text, if
    any, is `replied_text`)."""
    found = _COMMAND.match(text.strip())
    if found is None:
        raise UnknownCommand(text.strip()[1:].split(" ")[0])
    token, rest = found.group(1).lower(), text.strip()[found.end() :]
    alias = MESSAGE_ALIASES.get(token)
    if replying and not rest.strip() and alias in message_commands:
        return ParsedCall(message_commands[alias], on_reply=True)
    name = SLASH_ALIASES.get(token) or _slash_name(token, slash)
    spec, rest = _match_command(name + rest, slash)
    known = {o.name: o for o in spec.options}
    pairs, loose = _take_options(rest, set(known))
    options: dict[str, Any] = {}
    file_option = next((o.name for o in spec.options if o.kind == "attachment"), None)
    for key, value in pairs:
        if key in options:
            raise BadOption(_("`{option}` was given twice.", option=key))
        if known[key].kind == "attachment":
            raise BadOption(
                _(
                    "Send the file itself with {command} as its caption.",
                    command=command_ref(spec.name),
                )
            )
        options[key] = value
    free = [o for o in spec.options if o.kind == "str" and o.name not in options]
    if not loose and replying and replied_text and free and free[0].required:
        loose = replied_text  # reply + `/translate to=tr`: translate the replied message
    if loose:
        free = free or [o for o in spec.options if o.kind != "attachment" and o.name not in options]
        if not free:
            raise BadOption(
                _("I don't know what to do with `{text}`. Use `name=value`.", text=loose)
                + " "
                + usage(spec)
            )
        options[free[0].name] = loose
    return ParsedCall(spec, options, file_option=file_option)


def usage(spec: CommandSpec) -> str:
    """One line of help: /translate `text=… to=… [from=…]`."""
    parts = [
        f"{option.name}=…" if option.required else f"[{option.name}=…]"
        for option in spec.options
        if option.kind != "attachment"
    ]
    shown = f" `{' '.join(parts)}`" if parts else ""
    return _("Usage: {usage}", usage=command_ref(spec.name) + shown)


def _slash_name(token: str, slash: dict[str, CommandSpec]) -> str:
    """The registry's name for a Telegram token ("docs_list" -> "docs list")."""
    by_menu = {command_menu_name(spec): name for name, spec in slash.items()}
    if token in by_menu:
        return by_menu[token]
    return token.replace("_", " ")  # "/plugins_config set …" or a group: "/plugins_config"


def _take_options(rest: str, known: set[str]) -> tuple[list[tuple[str, str]], str]:
    """`name=value` (or `name:value`) options before and after the free text; a value is one
    word or "quoted". The free text in between is kept as typed."""
    if not known:
        return [], as_typed(rest.lstrip(" \t"))
    names = "|".join(sorted((re.escape(n) for n in known), key=len, reverse=True))
    value = r'("(?:[^"\\]|\\.)*"|\S+)'
    leading = re.compile(rf"\s*({names})[=:]{value}(?=\s|$)")
    trailing = re.compile(rf"(?:^|\s+)({names})[=:]{value}\s*$")
    pairs: list[tuple[str, str]] = []
    while found := leading.match(rest):
        pairs.append((found.group(1), _unquote(found.group(2))))
        rest = rest[found.end() :]
    tail: list[tuple[str, str]] = []
    while found := trailing.search(rest):
        tail.insert(0, (found.group(1), _unquote(found.group(2))))
        rest = rest[: found.start()]
    return pairs + tail, as_typed(rest.lstrip(" \t"))


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1].replace('\\"', '"')
    return value
