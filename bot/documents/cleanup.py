"""Normalise extracted text: line endings, control characters, blank lines, Unicode form."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["clean_text"]

# C0 controls except tab and newline; form feed is a page/section break, kept as a blank line.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_BLANK_RUNS = re.compile(r"\n{3,}")
# Typographic ligatures (ﬁ, ﬂ, ...) common in PDF text; they break search and embeddings.
_LIGATURES = {cp: unicodedata.normalize("NFKC", chr(cp)) for cp in range(0xFB00, 0xFB07)}


def clean_text(text: str) -> str:
    """NFC text with \\n line endings, no trailing spaces and at most one blank line in a row."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n\n")
    text = _CONTROLS.sub("", text).translate(_LIGATURES)
    text = unicodedata.normalize("NFC", text)
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return _BLANK_RUNS.sub("\n\n", text).strip("\n")
