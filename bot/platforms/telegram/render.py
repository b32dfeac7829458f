r"""Plugins write Discord-flavoured Markdown; Telegram gets HTML with everything else escaped.

Code blocks become ``<pre><code>``, inline code ``<code>``; **bold**, *italic*, __underline__,
~~strike~~, ||spoiler|| and [links](https://…) keep their meaning; member mentions (``<@id>``)
become Telegram mentions. Backslash escapes (``\*``, ``\<``: how plugins quote what members
typed, `bot.shared.markup`) show the character itself, and command references are written in
Telegram's tappable form (`telegram_command`). Every other ``<``, ``>`` and ``&`` — from a
plugin, the model or a member — is escaped, so no text can inject markup.

Long answers are split (`split_for_telegram`) on the Markdown, before rendering, with the shared
splitter: a code block cut in two is closed and reopened, so each message renders on its own.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence

from bot.core.identity import Platform, native_id
from bot.platforms.split import split_message
from bot.platforms.telegram.parser import telegram_command
from bot.shared.markup import ESCAPABLE, render_commands

__all__ = [
    "MAX_MESSAGE_LENGTH",
    "SPLIT_AT",
    "on_telegram",
    "render_html",
    "split_for_telegram",
]

MAX_MESSAGE_LENGTH = 4096  # Telegram's limit, counted after the HTML is parsed
# Splitting happens on the Markdown; rendering can lengthen a mention into a name, and Telegram
# counts UTF-16 units (an emoji is two): keep some room.
SPLIT_AT = 3900

_FENCE = re.compile(r"```([^\n`]*)\n?(.*?)(?:```|\Z)", re.DOTALL)
# An escaped character, or inline code (left to right, so a backslash in code stays one).
_ESCAPE_OR_CODE = re.compile(rf"\\({ESCAPABLE})|`([^`\n]+)`")
_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^\s)]+)\)")
_ANGLE_URL = re.compile(r"&lt;(https?://[^\s]+?)&gt;")
# A bare address: left as it is (Telegram links it), out of reach of the style rules.
_BARE_URL = re.compile(r"https?://(?:(?!&lt;|&gt;)[^\s`\\|\"\x00])+")  # as markup.URL, escaped
_MENTION = re.compile(r"&lt;@!?(-?\d+)&gt;")
_CHANNEL = re.compile(r"&lt;#(-?\d+)&gt;")
_STYLES = [
    (re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*", re.DOTALL), "b"),
    (re.compile(r"__(?=\S)(.+?)(?<=\S)__", re.DOTALL), "u"),
    (re.compile(r"~~(?=\S)(.+?)(?<=\S)~~", re.DOTALL), "s"),
    (re.compile(r"\|\|(?=\S)(.+?)(?<=\S)\|\|", re.DOTALL), "tg-spoiler"),
    (re.compile(r"(?<![\w*])\*(?=[^\s*])([^*\n]+?)(?<=\S)\*(?![\w*])"), "i"),
    (re.compile(r"(?<![\w_])_(?=[^\s_])([^_\n]+?)(?<=\S)_(?![\w_])"), "i"),
]
_HEADING = re.compile(r"^#{1,3} +(.+)$", re.MULTILINE)
_PLACEHOLDER = "\x00{}\x00"
_RESTORE = re.compile(r"\x00(\d+)\x00")

NameOf = Callable[[int], str | None]

# Discord's name for the admin right, in the core's and plugins' messages; on Telegram the
# admins are the chat's administrators.
_DISCORD_WORDS = [
    (re.compile(r"the \*\*Manage Server\*\* permission"), "chat administrator rights"),
    (re.compile(r"the Manage Server permission"), "chat administrator rights"),
    (re.compile(r"admins? \(Manage Server\)"), "a chat administrator"),
]


def on_telegram(text: str) -> str:
    """Discord's words for Telegram's things (the admin right)."""
    for pattern, words in _DISCORD_WORDS:
        text = pattern.sub(words, text)
    return text


def split_for_telegram(text: str) -> list[str]:
    """The Markdown cut into pieces that each render below Telegram's limit."""
    return split_message(text, SPLIT_AT)


def render_html(text: str, name_of: NameOf | None = None) -> str:
    """Telegram HTML for `text` (Discord-flavoured Markdown); `name_of` names a core user id."""
    kept: list[str] = []  # rendered code, out of reach of the inline rules

    def keep(rendered: str) -> str:
        kept.append(rendered)
        return _PLACEHOLDER.format(len(kept) - 1)

    def block(match: re.Match[str]) -> str:
        language, code = match.group(1).strip(), match.group(2)
        code = html.escape(code.removesuffix("\n"), quote=False)
        if language and re.fullmatch(r"[\w+#.-]{1,20}", language):
            return keep(f'<pre><code class="language-{language}">{code}</code></pre>')
        if language:  # "```some code```" on one line: the "language" is code too
            code = html.escape(match.group(1), quote=False) + ("\n" + code if code else "")
        return keep(f"<pre>{code}</pre>")

    def escaped_or_code(match: re.Match[str]) -> str:
        if match.group(1) is not None:
            return keep(html.escape(match.group(1), quote=False))
        return keep(f"<code>{html.escape(match.group(2))}</code>")

    def command(name: str, options: Sequence[tuple[str, str]]) -> str:
        # The command as plain text, which Telegram makes tappable; its options as code.
        tappable, _, rest = telegram_command(name, options).partition(" ")
        return keep(tappable + (f" <code>{html.escape(rest, quote=False)}</code>" if rest else ""))

    text = render_commands(on_telegram(text).replace("\x00", ""), command)
    text = _FENCE.sub(block, text)
    text = _ESCAPE_OR_CODE.sub(escaped_or_code, text)
    text = html.escape(text, quote=False)
    text = _LINK.sub(lambda m: keep(_anchor(m.group(2), m.group(1))), text)
    text = _ANGLE_URL.sub(lambda m: keep(_anchor(m.group(1), m.group(1))), text)
    text = _BARE_URL.sub(lambda m: keep(m.group(0)), text)
    text = _MENTION.sub(lambda m: keep(_mention(int(m.group(1)), name_of)), text)
    text = _CHANNEL.sub("#chat", text)
    text = _HEADING.sub(r"**\1**", text)
    for pattern, tag in _STYLES:
        text = pattern.sub(rf"<{tag}>\1</{tag}>", text)
    while _RESTORE.search(text):  # a link's label may hold inline code
        text = _RESTORE.sub(lambda m: kept[int(m.group(1))], text)
    return text


def _anchor(url: str, label: str) -> str:
    """`label` is already escaped; the URL is escaped for an attribute."""
    href = html.escape(html.unescape(url), quote=True)
    return f'<a href="{href}">{label}</a>'


def _mention(ident: int, name_of: NameOf | None) -> str:
    name = name_of(ident) if name_of is not None else None
    try:
        platform, native = native_id(ident)
    except ValueError:
        return html.escape(f"@{name or 'someone'}")
    if platform is not Platform.TELEGRAM:
        return html.escape(f"@{name or 'someone'}")
    return f'<a href="tg://user?id={native}">{html.escape(name or f"user {native}")}</a>'
