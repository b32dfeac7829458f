"""Split a long answer into messages of at most `limit` characters (every platform's limit).

Splits happen at line breaks where possible, otherwise at a space, never inside a word (unless a
single word is longer than a message). A code block cut by a split is closed with ``` at the end of
one message and reopened with the same language at the start of the next, so every message
renders correctly on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["split_message"]

FENCE = "```"
_CLOSE = "\n" + FENCE


@dataclass
class _Fence:
    """The code block open at some point of the text: how to reopen it."""

    opener: str | None = None  # "```python" while inside a block, else None

    def after(self, line: str) -> str | None:
        """The fence state after `line` (each ``` toggles; an opening line names the language)."""
        opener = self.opener
        for index in _fence_positions(line):
            opener = FENCE + _language(line, index) if opener is None else None
        return opener


def _fence_positions(line: str) -> list[int]:
    positions = []
    start = line.find(FENCE)
    while start != -1:
        positions.append(start)
        start = line.find(FENCE, start + len(FENCE))
    return positions


def _language(line: str, index: int) -> str:
    """`python` for "```python"; nothing when code follows on the same line."""
    rest = line[index + len(FENCE) :]
    word = rest.strip()
    if word and " " not in word and FENCE not in word and len(word) <= 20:
        return word
    return ""


def split_message(text: str, limit: int) -> list[str]:
    """Split `text` into chunks of at most `limit` characters; empty text gives no chunk."""
    if limit < 40:
        raise ValueError("limit is too small to hold a code fence and some text")
    chunks: list[str] = []
    lines: list[str] = []  # lines of the chunk being built
    size = 0  # len("\n".join(lines))
    fence = _Fence()

    def flush() -> None:
        nonlocal lines, size
        body = "\n".join(lines)
        if fence.opener is not None:
            body += _CLOSE
        if body.strip() and body.strip() != (fence.opener or "") + _CLOSE:
            chunks.append(body)
        lines = [fence.opener] if fence.opener is not None else []
        size = len(fence.opener) if fence.opener is not None else 0

    for line in text.split("\n"):
        pending = [line]
        while pending:
            piece = pending.pop(0)
            opener_after = fence.after(piece)
            closing = len(_CLOSE) if opener_after is not None else 0
            joined = size + (1 if lines else 0) + len(piece)
            if joined + closing <= limit:
                lines.append(piece)
                size = joined
                fence.opener = opener_after
                continue
            if _only_reopener(lines, fence):
                # Even an empty chunk can't hold this line: cut it at a space.
                budget = limit - size - (1 if lines else 0) - len(_CLOSE)
                head, tail = _cut(piece, budget)
                size += (1 if lines else 0) + len(head)
                lines.append(head)
                fence.opener = fence.after(head)
                flush()
                pending.insert(0, tail)
                continue
            flush()
            pending.insert(0, piece)
    flush()
    return chunks


def _only_reopener(lines: list[str], fence: _Fence) -> bool:
    """True when the chunk holds nothing yet (or only the reopened fence)."""
    return not lines or (len(lines) == 1 and fence.opener is not None and lines[0] == fence.opener)


def _cut(line: str, budget: int) -> tuple[str, str]:
    """Cut before `budget` characters at the last space; hard cut only inside a giant word."""
    budget = max(budget, 1)
    window = line[: budget + 1]
    space = window.rfind(" ")
    if space > 0:
        return line[:space], line[space + 1 :]
    return line[:budget], line[budget:]
