"""The neutral Markdown that plugins write, and the two things in it each platform renders.

Plugins answer in Discord-flavoured Markdown. Two kinds of text in an answer are not theirs
to format, and one kind is written differently on each platform:

- **Command references** (`command_ref("plugins enable", plugin="sentiment")`): a token that
  each adapter renders in its own tappable form through a `CommandStyle` — on Discord and the
  console `/plugins enable plugin:sentiment`, on Telegram `/plugins_enable plugin=sentiment`.
  `render_commands` is the one place a token becomes text.
- **Text a member typed** (or a document holds), quoted by a plugin: `literal(text)` escapes it
  with backslashes (Markdown's own escapes, which Discord honours and every other adapter
  renders), so `**stars**` stays two stars and `<@42>` stays those characters.
- **The model's answer**: its own formatting is rendered, but it can't mention anyone
  (`<@id>`, `<#id>`) and formatting copied from what members typed is shown as typed
  (`ModelText`, which `Context.stream` applies to streamed answers).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

__all__ = [
    "ESCAPABLE",
    "URL",
    "CommandStyle",
    "ModelText",
    "command_ref",
    "literal",
    "model_text",
    "plain",
    "render_commands",
    "slash_style",
    "unescape",
]

# Control characters no one types: a token is START name (OPTION key VALUE value)* END.
_START, _END, _OPTION, _VALUE = "\x02", "\x03", "\x1f", "\x1e"
_CONTROL = re.compile(f"[{_START}{_END}{_OPTION}{_VALUE}]")
_TOKEN = re.compile(f"{_START}([^{_START}{_END}]*){_END}")

CommandStyle = Callable[[str, Sequence[tuple[str, str]]], str]
"""How a platform writes a command reference: (command name, options) -> Markdown."""


def command_ref(name: str, /, **options: object) -> str:
    """A reference to the command `name` ("docs list"), with example option values; each
    platform shows it in the form its members can type or tap."""
    parts = [_CONTROL.sub("", name)]
    for key, value in options.items():
        parts.append(f"{_OPTION}{key}{_VALUE}{_CONTROL.sub('', str(value))}")
    return _START + "".join(parts) + _END


def _quoted(value: str, separator: str) -> str:
    return f'"{value}"' if (" " in value or separator in value) and value != "…" else value


def slash_style(name: str, options: Sequence[tuple[str, str]]) -> str:
    """Discord's (and the console's) form: `/plugins enable plugin:sentiment`."""
    words = [f"/{name}", *(f"{key}:{_quoted(value, ':')}" for key, value in options)]
    return "`" + " ".join(words) + "`"


def render_commands(text: str, style: CommandStyle = slash_style) -> str:
    """`text` with every command reference written in `style`."""

    def one(match: re.Match[str]) -> str:
        name, *pairs = match.group(1).split(_OPTION)
        options = [tuple(pair.split(_VALUE, 1)) for pair in pairs if _VALUE in pair]
        return style(name, [(key, value) for key, value in options])

    return _TOKEN.sub(one, text)


# ----- text members typed ----------------------------------------------------------------------

# What Markdown (Discord's, and the renderers') would read as formatting. URLs are left whole.
URL = r"https?://[^\s<>`\\|\"\x00]+"  # a web address, up to a character URLs never hold
_SPECIAL = re.compile(rf"({URL})|([\\`*_~|<>\[\]#])")
# A backslash escape every renderer honours: `\\` then one of these characters.
ESCAPABLE = r"[\\`*_~|<>\[\]#:()!.+\-=@{}]"
_ESCAPED = re.compile(rf"\\({ESCAPABLE})")


def literal(text: str) -> str:
    """Text a member typed (or a document holds), to be shown exactly as typed."""
    text = _CONTROL.sub("", text)
    return _SPECIAL.sub(lambda m: m.group(1) or "\\" + m.group(2), text)


def unescape(text: str) -> str:
    """Markdown escapes removed, for places that show text without rendering it."""
    return _ESCAPED.sub(r"\1", text)


def plain(text: str, style: CommandStyle = slash_style) -> str:
    """Text for a place that doesn't render Markdown (the console, the dashboard's notices)."""
    return unescape(render_commands(text, style))


# ----- the model's answer ----------------------------------------------------------------------

# Formatting a member may type that the model could repeat (code is left alone: it shows
# the same characters either way).
_FORMATTING = [
    re.compile(r"\*\*(?=\S).+?(?<=\S)\*\*", re.DOTALL),
    re.compile(r"__(?=\S).+?(?<=\S)__", re.DOTALL),
    re.compile(r"~~(?=\S).+?(?<=\S)~~", re.DOTALL),
    re.compile(r"\|\|(?=\S).+?(?<=\S)\|\|", re.DOTALL),
    re.compile(r"(?<![\w*])\*(?=[^\s*])[^*\n]+?(?<=\S)\*(?![\w*])"),
    re.compile(r"(?<![\w_])_(?=[^\s_])[^_\n]+?(?<=\S)_(?![\w_])"),
    re.compile(r"\[[^\]\n]+\]\([^)\s]+\)"),
    re.compile(r"^#{1,3} +.+$", re.MULTILINE),
]
# Mentions of members, roles and channels (`<@42>`, `<@&7>`, `<#9>`): never the model's to make.
_MENTION = "<(?=[@#])"


def copied_formatting(texts: Iterable[str]) -> list[str]:
    """The formatted spans in what members typed (`**stars**`), longest first."""
    found = {m.group(0) for text in texts for rule in _FORMATTING for m in rule.finditer(text)}
    return sorted(found, key=len, reverse=True)


class ModelText:
    """Shapes the model's answer as it streams: mentions, and formatting copied from `quoted`
    (what members typed), are escaped; the model's own formatting is left to render.

    `feed` returns what may be shown so far. The end of the text that could still grow into a
    copied span or a mention is held back (never more than the longest span) until `end`.
    """

    def __init__(self, quoted: Iterable[str] = ()) -> None:
        self.copied = copied_formatting(quoted)
        spans = "|".join(re.escape(span) for span in self.copied)
        self._pattern = re.compile(f"{spans}|{_MENTION}" if spans else _MENTION)
        self._pending = ""

    def feed(self, chunk: str) -> str:
        text = self._pending + chunk
        cut = self._outside_spans(text, len(text) - self._held_back(text))
        self._pending = text[cut:]
        return self._shape(text[:cut])

    def end(self) -> str:
        text, self._pending = self._pending, ""
        return self._shape(text)

    def _held_back(self, text: str) -> int:
        """The longest end of `text` that could begin a copied span or a mention."""
        held = 1 if text.endswith("<") else 0
        for span in self.copied:
            for size in range(min(len(span) - 1, len(text)), held, -1):
                if text.endswith(span[:size]):
                    held = size
                    break
        return held

    def _outside_spans(self, text: str, cut: int) -> int:
        """`cut`, moved back to the start of any copied span it would cut in two."""
        moved = True
        while moved:
            moved = False
            for span in self.copied:
                start = text.find(span, max(0, cut - len(span) + 1))
                if 0 <= start < cut:
                    cut, moved = start, True
        return cut

    def _shape(self, text: str) -> str:
        return self._pattern.sub(
            lambda m: "\\<" if m.group(0) == "<" else literal(m.group(0)), _CONTROL.sub("", text)
        )


def model_text(text: str, quoted: Iterable[str] = ()) -> str:
    """The model's whole answer, shaped as `ModelText` shapes a stream."""
    shaper = ModelText(quoted)
    return shaper.feed(text) + shaper.end()
