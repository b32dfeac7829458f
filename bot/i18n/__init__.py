"""What Sohbet says, in the member's language: gettext catalogues through Babel.

Writing a user-facing sentence anywhere (core, plugins, adapters, dashboard):

    from bot.i18n import _, ngettext
    raise SohbetError(_("No document `{name}` on this server.", name=name))
    await ctx.reply(ngettext("Deleted {n} chunk.", "Deleted {n} chunks.", removed))

`_()` translates into the *current* language and then fills the `{placeholders}` (after
translation, so a translation may move them). The current language is a context variable: the
Router sets it once per event (the member's app language, else the server's `core.language`
setting, else English) and every `_()` under that event, including worker threads started with
`asyncio.to_thread`, follows it. Code outside an event (the dashboard, a CLI) chooses with
`with use_locale(...)`. Texts defined before any event exists (module constants, command
descriptions) are marked with `N_()` and translated where they are shown: `_(CONSTANT)`.

English is the source language: the msgids are the English text. Catalogues live in
`bot/i18n/locale/<lang>/LC_MESSAGES/sohbet.po`; `make messages` extracts new msgids into them,
`make setup` compiles them, tests/i18n checks each has a Turkish entry with the same
placeholders.
"""

from __future__ import annotations

import logging
import string
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, timedelta
from typing import Any

from babel import Locale, UnknownLocaleError, negotiate_locale
from babel.dates import format_date, format_datetime, format_timedelta
from babel.numbers import format_decimal
from babel.numbers import format_percent as format_percent_babel

from bot.i18n.catalogues import SOHBET_CATALOGUE, Catalogue, Catalogues

__all__ = [
    "DEFAULT_LOCALE",
    "N_",
    "SUPPORTED_LOCALES",
    "Catalogue",
    "_",
    "add_catalogue",
    "current_locale",
    "format_duration",
    "format_number",
    "format_percent",
    "format_size",
    "format_when",
    "gettext_only",
    "known_locales",
    "language_label",
    "locale_from_accept_language",
    "ngettext",
    "ngettext_only",
    "normalize_locale",
    "pgettext",
    "placeholders",
    "translate_to",
    "use_locale",
]

log = logging.getLogger(__name__)

DEFAULT_LOCALE = "en"
# The languages Sohbet ships catalogues for (English is the source text itself). Turkish is
# complete (tests/i18n); German covers what existed in German before the catalogues.
SUPPORTED_LOCALES: tuple[str, ...] = ("en", "tr", "de")

_current: ContextVar[str] = ContextVar("sohbet_locale", default=DEFAULT_LOCALE)
_catalogues = Catalogues(SOHBET_CATALOGUE)
_formatter = string.Formatter()


# ----- which language ------------------------------------------------------------------------


def normalize_locale(tag: str | None) -> str | None:
    """`tr`, `tr-TR`, `tr_TR.UTF-8`, `Türkçe`? -> `tr` when Sohbet speaks it, else None.

    Platforms send BCP 47 tags (Discord `en-US`, `tr`; Telegram `tr`, `pt-br`): only the
    language counts, since the catalogues are per language."""
    if not tag:
        return None
    language = tag.strip().replace("_", "-").split(".")[0].split("-")[0].lower()
    return language if language in known_locales() else None


def known_locales() -> tuple[str, ...]:
    """Sohbet's languages and those a plugin's catalogue adds."""
    extra = sorted(_catalogues.locales() - set(SUPPORTED_LOCALES))
    return SUPPORTED_LOCALES + tuple(extra)


def locale_from_accept_language(header: str | None) -> str | None:
    """The best supported language of an HTTP Accept-Language header (q-values honoured)."""
    if not header:
        return None
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _sep, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if tag and tag != "*" and quality > 0:
            weighted.append((-quality, position, tag))
    preferred = [tag for _q, _p, tag in sorted(weighted)]
    found = negotiate_locale(
        [normalize_locale(t) or t for t in preferred], list(known_locales()), sep="-"
    )
    return normalize_locale(found)


def current_locale() -> str:
    return _current.get()


@contextmanager
def use_locale(locale: str | None) -> Iterator[str]:
    """Speak `locale` (normalized; English when unknown) inside the block."""
    chosen = normalize_locale(locale) or DEFAULT_LOCALE
    token = _current.set(chosen)
    try:
        yield chosen
    finally:
        _current.reset(token)


def add_catalogue(catalogue: Catalogue) -> None:
    """Make a plugin's own catalogue part of every language's lookups."""
    _catalogues.add(catalogue)


# ----- translating -------------------------------------------------------------------------


def N_(message: str) -> str:  # the gettext convention, which extractors look for
    """Mark a text for the catalogue without translating it yet (module constants,
    declarations): translate it where it is shown, with `_(text)`."""
    return message


def _(message: str, /, **values: Any) -> str:
    """`message` in the current language, with `{placeholders}` filled from `values`."""
    translated = _catalogues.translations(_current.get()).gettext(message)
    return _fill(translated, message, values)


def pgettext(context: str, message: str, /, **values: Any) -> str:
    """`_()` for a text that needs a context to be told apart (`command` names)."""
    translated = str(_catalogues.translations(_current.get()).pgettext(context, message))
    return _fill(translated, message, values)


def ngettext(singular: str, plural: str, n: int, /, **values: Any) -> str:
    """The form for `n` in the current language; `{n}` is `n` written the local way."""
    translated = _catalogues.translations(_current.get()).ngettext(singular, plural, n)
    values.setdefault("n", format_number(n))
    return _fill(translated, singular if n == 1 else plural, values)


def gettext_only(message: str) -> str:
    """The translation of `message` with its placeholders left in (for HTML templates, which
    escape the text before filling it)."""
    return str(_catalogues.translations(_current.get()).gettext(message))


def ngettext_only(singular: str, plural: str, n: int) -> str:
    return str(_catalogues.translations(_current.get()).ngettext(singular, plural, n))


def translate_to(locale: str, message: str) -> str:
    """`message` (no placeholders filled) in `locale`: for menus built ahead of any event."""
    with use_locale(locale):
        return _catalogues.translations(_current.get()).gettext(message)


def _fill(translated: str, source: str, values: dict[str, Any]) -> str:
    if not values:
        return translated
    try:
        return translated.format(**values)
    except (KeyError, IndexError, ValueError):
        # A translation naming a placeholder the code doesn't give: the English text rather
        # than no answer (tests/i18n keeps this from shipping).
        log.warning("translation of %r does not fit its values; using English", source)
        return source.format(**values)


def placeholders(text: str) -> set[str]:
    """The `{names}` a message fills (format specs ignored): a translation must keep them."""
    names: set[str] = set()
    try:
        for _literal, field, _spec, _conversion in _formatter.parse(text):
            if field is not None:
                names.add(field.split(".")[0].split("[")[0])
    except ValueError:
        names.add("<malformed>")
    return names


# ----- numbers, sizes, dates -----------------------------------------------------------------


def _babel_locale() -> Locale:
    try:
        return Locale.parse(_current.get())
    except (UnknownLocaleError, ValueError):
        return Locale.parse(DEFAULT_LOCALE)


def format_number(value: float, digits: int | None = None) -> str:
    """1234.5 -> `1,234.5` (en), `1.234,5` (tr, de)."""
    pattern = None if digits is None else "#,##0." + "0" * digits if digits else "#,##0"
    return format_decimal(value, format=pattern, locale=_babel_locale())


def format_percent(share: float) -> str:
    """0.93 -> `93%` (en), `%93` (tr), `93 %` (de)."""
    return format_percent_babel(share, locale=_babel_locale())


def format_size(n: int) -> str:
    """512 bytes, 12.5 KB, 3.1 MB: in the current language's digits and words."""
    if n < 1000:
        return ngettext("{n} byte", "{n} bytes", n)
    if n < 1_000_000:
        return _("{size} KB", size=format_number(n / 1000, 1))
    return _("{size} MB", size=format_number(n / 1e6, 1))


def format_when(value: datetime | date, style: str = "short") -> str:
    """A date or time the way the current language writes it."""
    if isinstance(value, datetime):
        return format_datetime(value, format=style, locale=_babel_locale())
    return format_date(value, format=style, locale=_babel_locale())


def language_label(code: str, fallback: str) -> str:
    """A language's name in the current language (`tr` -> `Türkçe` in Turkish, `Turkish` in
    English), from CLDR through Babel; `fallback` when Babel doesn't know the code."""
    if _current.get() == DEFAULT_LOCALE:
        return fallback
    name = _babel_locale().languages.get(code.replace("-", "_")) or _babel_locale().languages.get(
        code.split("-")[0].split("_")[0]
    )
    return name[:1].upper() + name[1:] if name else fallback


def format_duration(seconds: float) -> str:
    """`3 minutes`, `3 dakika`: a rounded span of time in words."""
    return format_timedelta(timedelta(seconds=seconds), locale=_babel_locale())
