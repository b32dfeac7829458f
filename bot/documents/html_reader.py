"""The visible text of an HTML page with BeautifulSoup: no scripts, styles or hidden parts.

Block elements are separated by blank lines, list items and table rows by line breaks and
table cells by tabs; whitespace collapses as a browser would, and <pre> keeps its layout.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, NavigableString, Tag

from bot.documents.cleanup import clean_text

__all__ = ["html_to_text"]

_INVISIBLE = "script style noscript template svg canvas iframe object embed select".split()  # noqa: SIM905
_BLOCKS = (  # noqa: SIM905
    "address article aside blockquote body caption details dialog div dl fieldset "
    "figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr main nav ol p pre "
    "section summary table title ul"
).split()
_LINES = ["li", "tr", "dt", "dd"]  # start a new line, without a blank line between items
_CELLS = ["td", "th"]
_WHITESPACE = re.compile(r"\s+")
_NBSP = "\u00a0"


def html_to_text(markup: str | bytes) -> str:
    """Visible text of `markup`; bytes are decoded by BeautifulSoup (BOM, <meta charset>)."""
    soup = BeautifulSoup(markup, "lxml")
    for tag in [*soup.find_all(_INVISIBLE), *soup.find_all(_is_hidden)]:
        if not tag.decomposed:
            tag.decompose()

    for string in list(soup.find_all(string=True)):
        if type(string) is not NavigableString:
            continue  # comments, doctypes, CDATA: not rendered
        if string.find_parent("pre") is not None:
            # Protect the layout of <pre> from the whitespace clean-up below.
            string.replace_with(string.replace(" ", _NBSP))
        else:
            string.replace_with(_WHITESPACE.sub(" ", string))
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for tag in soup.find_all(_BLOCKS):
        tag.insert_before("\n")
        tag.insert_after("\n")
    for tag in soup.find_all(_LINES):
        tag.insert_before("\n")
    for tag in soup.find_all(_CELLS):
        tag.insert_after("\t")

    lines = (line.strip(" ").replace(_NBSP, " ") for line in soup.get_text().split("\n"))
    return clean_text("\n".join(lines))


def _is_hidden(tag: Tag) -> bool:
    return tag.has_attr("hidden") or tag.get("aria-hidden") == "true"
