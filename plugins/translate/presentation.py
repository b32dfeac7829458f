"""What people see: the translation reply, same-language answers and language suggestions."""

from __future__ import annotations

import unicodedata

from bot.i18n import _, language_label
from bot.nlp import Detected, language_name
from bot.nlp.languages import LANGUAGES
from plugins.translate.engines import Translation

__all__ = ["POPULAR", "format_translation", "same_language_text", "suggest_languages"]

# Offered first, and alone when nothing is typed yet.
POPULAR = (
    "en", "tr", "de", "fr", "es", "ar", "ru", "it", "pt", "nl", "ja", "zh", "ko", "fa",
    "az", "uk", "pl", "el", "hi", "sv", "ku", "bg", "ro", "he", "id",
)  # fmt: skip


def _fold(text: str) -> str:
    """Casefold without accents, Turkish dotted/dotless i alike: `Türkçe` ~ `turkce`."""
    text = text.strip().replace("İ", "i").replace("I", "ı").casefold().replace("ı", "i")
    return "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )


def _rank(code: str) -> int:
    return POPULAR.index(code) if code in POPULAR else len(POPULAR)


def suggest_languages(partial: str, limit: int = 25) -> list[str]:
    """Language names for autocomplete, each accepted as typed by `normalize_language`.

    A match on a native or Turkish name suggests that name (`alm` → `Almanca`); codes
    suggest the English name (`tr` → `Turkish`).
    """
    typed = partial.strip().casefold()
    wanted = _fold(partial)
    if not wanted:
        return [LANGUAGES[code].english for code in POPULAR][:limit]
    found: list[tuple[int, int, str]] = []  # (how well, popularity, suggestion)
    for lang in LANGUAGES.values():
        if wanted in (lang.code, *lang.iso3):
            found.append((0, _rank(lang.code), lang.english))
            continue
        names = (lang.english, lang.native, lang.turkish, *lang.aliases)
        tiers = (
            [n for n in names if n.casefold().startswith(typed)],  # as typed, accents too
            [n for n in names if _fold(n).startswith(wanted)],
            [n for n in names if wanted in _fold(n)],
        )
        for tier, matches in enumerate(tiers, start=1):
            if matches:
                found.append((tier, _rank(lang.code), matches[0]))
                break
    return [name for *_ranks, name in sorted(found)][:limit]


def _name(code: str) -> str:
    """The language's name in the member's language (`Almanca` for a Turkish member)."""
    return language_label(code, language_name(code))


def _source_label(result: Translation, detected: Detected | None) -> str:
    name = _name(result.source)
    if detected is None:
        return name
    if detected.reliable:
        return _("{language} (detected)", language=name)
    return _("{language} (detected, not sure)", language=name)


def format_translation(
    result: Translation, *, detected: Detected | None, fallback_from: str | None = None
) -> str:
    """`🌐 **Turkish (detected) → English**` then the translation; a note when a fallback
    engine answered instead of the configured one."""
    header = f"🌐 **{_source_label(result, detected)} → {_name(result.target)}**"
    lines = [header, result.text]
    if fallback_from:
        lines.append(
            _(
                "-# The `{engine}` engine couldn't answer, so the chat model translated this.",
                engine=fallback_from,
            )
        )
    return "\n".join(lines)


def same_language_text(code: str, *, detected: bool) -> str:
    name = _name(code)
    if detected:
        return _(
            "That text is already in {language}, so there is nothing to translate. Pick "
            "another language with `to`.",
            language=name,
        )
    return _(
        "The source and target language are both {language}: there is nothing to translate.",
        language=name,
    )
