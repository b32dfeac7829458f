"""Chat messages as summarizer input: `ChatLine`s and the `author: message` transcript."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["ChatLine", "format_line", "format_transcript", "latest_within", "usable_lines"]

_MAX_LINE_CHARS = 2000


@dataclass(frozen=True, slots=True)
class ChatLine:
    """One chat message: who wrote it and what it says."""

    author: str
    text: str


def format_line(line: ChatLine) -> str:
    """`author: message` on one line (inner line breaks become ` / `, very long text is cut)."""
    text = " / ".join(part.strip() for part in line.text.splitlines() if part.strip())
    if len(text) > _MAX_LINE_CHARS:
        text = text[:_MAX_LINE_CHARS].rsplit(" ", 1)[0] + " …"
    author = " ".join(line.author.split()) or "someone"
    return f"{author}: {text}"


def usable_lines(lines: Sequence[ChatLine]) -> list[ChatLine]:
    """Messages with some text (attachments-only and empty messages are dropped)."""
    return [line for line in lines if line.text.strip()]


def format_transcript(lines: Sequence[ChatLine]) -> str:
    return "\n".join(format_line(line) for line in usable_lines(lines))


def latest_within(lines: Sequence[ChatLine], max_chars: int) -> list[ChatLine]:
    """The most recent messages whose transcript fits `max_chars` (for channel summaries)."""
    kept: list[ChatLine] = []
    size = 0
    for line in reversed(usable_lines(lines)):
        size += len(format_line(line)) + 1
        if size > max_chars:
            break
        kept.append(line)
    return kept[::-1]
