"""Text as typed: what every adapter may (and may not) change in a member's message.

Only the bot's own mention is removed, with the spaces right after it. Everything else reaches
the plugins unchanged: indentation of pasted code, tabs, blank lines between paragraphs. Only
blank lines before the text and whitespace after it are dropped.
"""

from __future__ import annotations

import re

__all__ = ["as_typed"]

_LEADING_BLANK_LINES = re.compile(r"\A(?:[ \t]*\r?\n)+")


def as_typed(text: str) -> str:
    """`text` without leading blank lines and trailing whitespace; nothing else changes."""
    return _LEADING_BLANK_LINES.sub("", text).rstrip()
