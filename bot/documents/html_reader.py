"""The visible text of an HTML page with BeautifulSoup: no scripts, styles or hidden parts.

Block elements are separated by blank lines, list items and table rows by line breaks and
table cells by tabs; whitespace collapses as a browser would, and <pre> keeps its layout.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from bs4 import BeautifulSoup, NavigableString, PageElement, Tag

from bot.documents.cleanup import clean_text

__all__ = ["html_to_text"]

_INVISIBLE = frozenset(
    "script style noscript template svg canvas iframe object embed select".split()  # noqa: SIM905
)
_BLOCK_NAMES = (
    "address article aside blockquote body caption details dialog div dl fieldset "
    "figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr main nav ol p pre "
    "section summary table title ul"
)
_BLOCKS = frozenset(_BLOCK_NAMES.split())
# List items and table rows start a new line, without a blank line between them.
_LINES = frozenset({"li", "tr", "dt", "dd"})
_CELLS = frozenset({"td", "th"})
_WHITESPACE = re.compile(r"\s+")
_NBSP = "\u00a0"


def html_to_text(markup: str | bytes) -> str:
    """Visible text of `markup`; bytes are decoded by BeautifulSoup (BOM, <meta charset>)."""
    soup = BeautifulSoup(markup, "lxml")
    lines = (line.strip(" ").replace(_NBSP, " ") for line in _visible_text(soup).split("\n"))
    return clean_text("\n".join(lines))


def _visible_text(root: Tag) -> str:
    """One pass over the tree, separators added as it goes. The tree is not modified: bs4's
    insert_before/replace_with look the node up among its siblings, so editing a page with
    many siblings took quadratic time (a 5 MB flat page: 28 s)."""
    out: list[str] = []
    # (remaining children, what to write after them, inside <pre>)
    stack: list[tuple[Iterator[PageElement], str, bool]] = [(iter(root.children), "", False)]
    while stack:
        children, after, in_pre = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            out.append(after)
        elif isinstance(child, Tag):
            name = child.name
            if name in _INVISIBLE or _is_hidden(child):
                continue
            if name == "br":
                out.append("\n")
                continue
            if name in _BLOCKS or name in _LINES:
                out.append("\n")
            after = "\n" if name in _BLOCKS else "\t" if name in _CELLS else ""
            stack.append((iter(child.children), after, in_pre or name == "pre"))
        elif type(child) is NavigableString:  # not comments, doctypes, CDATA: not rendered
            # Inside <pre> the layout is kept (protected from the clean-up by NBSPs).
            out.append(child.replace(" ", _NBSP) if in_pre else _WHITESPACE.sub(" ", child))
    return "".join(out)


def _is_hidden(tag: Tag) -> bool:
    return tag.has_attr("hidden") or tag.get("aria-hidden") == "true"
