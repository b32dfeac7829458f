"""The one renderer for Discord: split text into messages of at most 2000 characters.

The splitting itself (line breaks first, never inside a word, code blocks closed and reopened)
is shared by every adapter: `bot.platforms.split`.
"""

from __future__ import annotations

from bot.platforms import split

__all__ = ["EMPTY_REPLY", "MAX_MESSAGE_LENGTH", "split_message"]

MAX_MESSAGE_LENGTH = 2000
EMPTY_REPLY = "…"  # Discord rejects empty messages


def split_message(text: str, limit: int = MAX_MESSAGE_LENGTH) -> list[str]:
    """Split `text` into chunks of at most `limit` characters; empty text gives no chunk."""
    return split.split_message(text, limit)
