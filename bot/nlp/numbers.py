"""Small numbers written out in words (num2words), English and Turkish: "50" is "fifty" and
"elli", so an answer in digits matches a text in words and the other way round."""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["LANGUAGES", "spell_numbers", "written_forms"]

LANGUAGES = ("en", "tr")
_SMALL = re.compile(r"\b\d{1,3}\b")  # up to 999: what documents write out in words


def spell_numbers(text: str, lang: str) -> str:
    """`text` with its numbers up to 999 written out in `lang`."""
    from num2words import num2words

    return _SMALL.sub(lambda m: f" {num2words(int(m.group()), lang=lang)} ", text)


@lru_cache(maxsize=1024)  # asked once per source a claim is checked against
def written_forms(number: str) -> frozenset[str]:
    """How `number` (digits) is written in words, casefolded, hyphens as spaces; empty when it
    is not a whole number up to 999."""
    if not number.isdigit() or len(number) > 3:
        return frozenset()
    from num2words import num2words

    spelled = (num2words(int(number), lang=lang) for lang in LANGUAGES)
    return frozenset(form.casefold().replace("-", " ") for form in spelled)
