"""The one renderer for Discord: command references in Discord's form, and text split into
messages of at most 2000 characters (Discord renders the Markdown and its escapes itself).

The splitting itself (line breaks first, never inside a word, code blocks closed and reopened)
is shared by every adapter: `bot.platforms.split`.
"""

from __future__ import annotations

from bot.platforms import split
from bot.shared.markup import render_commands, slash_style

__all__ = ["EMPTY_REPLY", "MAX_MESSAGE_LENGTH", "for_discord", "split_message"]

MAX_MESSAGE_LENGTH = 2000
EMPTY_REPLY = "…"  # Discord rejects empty messages


def for_discord(text: str) -> str:
    """Command references in Discord's form (`/docs list`); Discord renders the rest."""
    return render_commands(text, slash_style)


def split_message(text: str, limit: int = MAX_MESSAGE_LENGTH) -> list[str]:
    """`text` for Discord, in chunks of at most `limit` characters; empty text gives none."""
    return split.split_message(for_discord(text), limit)
