"""Normalise extracted text: line endings, control characters, blank lines, Unicode form.

Parsers call this from a worker thread, but every C-level string operation (regex, translate,
normalize) holds the GIL for its whole input: on a multi-megabyte document one call stalled
the event loop for 100+ ms. The text is therefore cleaned in pieces of about 64 KB cut after a
newline, so no single call holds the GIL for more than a millisecond or two, and the result is
the same as cleaning the whole text at once (every step is per character or per line; NFC
never composes across a newline).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

__all__ = ["clean_text"]

# C0 controls except tab and newline; form feed is a page/section break, kept as a blank line.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
# Typographic ligatures (ﬁ, ﬂ, ...) common in PDF text; they break search and embeddings.
_LIGATURES = {cp: unicodedata.normalize("NFKC", chr(cp)) for cp in range(0xFB00, 0xFB07)}
_HAS_LIGATURE = re.compile("[\ufb00-\ufb06]")
PIECE_CHARS = 1 << 16


def _pieces(text: str, size: int = PIECE_CHARS) -> Iterator[str]:
    """Consecutive slices of about `size` characters, each ending just after a newline (the
    last one excepted; a line longer than `size` stays whole)."""
    start, end = 0, len(text)
    while start < end:
        cut = text.find("\n", start + size) if start + size < end else -1
        stop = end if cut < 0 else cut + 1
        yield text[start:stop]
        start = stop


def _clean_piece(piece: str) -> list[str]:
    piece = piece.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n\n")
    piece = _CONTROLS.sub("", piece)
    if _HAS_LIGATURE.search(piece):
        piece = piece.translate(_LIGATURES)
    if not piece.isascii():
        piece = unicodedata.normalize("NFC", piece)
    return piece.split("\n")


def clean_text(text: str) -> str:
    """NFC text with \\n line endings, no trailing spaces and at most one blank line in a row."""
    lines: list[str] = []
    blank = False  # a blank line is pending: written only if text follows it
    carry = ""  # the start of a line continued in the next piece (none: pieces end at "\n")
    for piece in _pieces(text):
        parts = _clean_piece(piece)
        parts[0] = carry + parts[0]
        carry = parts.pop()  # "" when the piece ended with a newline
        for line in parts:
            line = line.rstrip()
            if not line:
                blank = bool(lines)  # leading blank lines are dropped
                continue
            if blank:
                lines.append("")
                blank = False
            lines.append(line)
    last = carry.rstrip()
    if last:
        if blank:
            lines.append("")
        lines.append(last)
    return "\n".join(lines)
