"""Discord's menus in the member's language: discord.py's app-command Translator fed from
Sohbet's catalogues (bot.i18n), checked against Discord's rules before anything is sent.

Every name and description of the command tree is a `locale_str` whose extras say what to look
up (bot.platforms.discord.commands builds them): a command path (`msgctxt "command"`, one word
per level of group, subgroup, command), or the English source of a description or choice. A
translation that breaks a rule is left out (Discord shows the English one) and logged, so a bad
catalogue entry can't make Discord refuse the whole command set.
"""

from __future__ import annotations

import logging
import unicodedata
from typing import Any

import discord
from discord import app_commands

from bot.core.declared import CHOICE, COMMAND
from bot.i18n import DEFAULT_LOCALE, _, normalize_locale, pgettext, use_locale

__all__ = [
    "SohbetTranslator",
    "command_label",
    "description_label",
    "shorten",
    "valid_command_name",
    "valid_menu_name",
]

log = logging.getLogger(__name__)

DESCRIPTION_LIMIT = 100  # characters, for command, option and choice texts


def valid_command_name(name: str) -> bool:
    """Discord's rule for slash command, group and option names:
    ^[-_\\p{L}\\p{N}\\p{sc=Deva}\\p{sc=Thai}]{1,32}$, lowercase where a letter has a case."""
    if not 1 <= len(name) <= 32 or name != name.lower():
        return False
    for char in name:
        if char in "-_":
            continue
        category = unicodedata.category(char)
        if category[0] in "LN":
            continue
        # Devanagari and Thai vowel signs and marks (\p{sc=Deva}, \p{sc=Thai}).
        if category[0] == "M" and unicodedata.name(char, "").startswith(("DEVANAGARI", "THAI")):
            continue
        return False
    return True


def valid_menu_name(name: str) -> bool:
    """Context-menu names: 1-32 characters, spaces and capitals allowed."""
    return 1 <= len(name) <= 32 and name.strip() == name


def shorten(text: str) -> str:
    """Discord's descriptions are 1-100 characters (one line)."""
    text = " ".join(text.split())
    return text if len(text) <= DESCRIPTION_LIMIT else text[: DESCRIPTION_LIMIT - 1] + "…"


def command_label(name: str, path: str, index: int | None) -> app_commands.locale_str:
    """A command, group or context-menu name: the word at `index` of the translated `path`
    (None: the whole translated path, a context menu)."""
    return app_commands.locale_str(name, sohbet_path=path, sohbet_index=index)


def description_label(
    source: str, *, context: str | None = None, **values: Any
) -> app_commands.locale_str:
    """A description or choice in English (shortened for Discord), with what to look up."""
    shown = shorten(source.format(**values) if values else source) or "-"
    return app_commands.locale_str(
        shown, sohbet_source=source, sohbet_context=context, sohbet_values=values
    )


class SohbetTranslator(app_commands.Translator):
    """Called by discord.py for every name and description, in every Discord locale, when the
    command set is synced (and fingerprinted): answers only for Sohbet's languages."""

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        language = normalize_locale(locale.value)
        if language is None or language == DEFAULT_LOCALE:
            return None
        with use_locale(language):
            if "sohbet_path" in string.extras:
                return self._name(string, language)
            if "sohbet_source" in string.extras:
                return self._description(string)
        return None

    @staticmethod
    def _name(string: app_commands.locale_str, language: str) -> str | None:
        path: str = string.extras["sohbet_path"]
        index: int | None = string.extras["sohbet_index"]
        translated = pgettext(COMMAND, path)
        if translated == path:
            return None  # no entry: Discord keeps the English name
        if index is None:
            ok = valid_menu_name(translated)
            name = translated
        else:
            words = translated.split()
            name = words[index] if len(words) == len(path.split()) else ""
            ok = valid_command_name(name)
        if not ok:
            log.warning("the %s name of /%s breaks Discord's rules: %r", language, path, name)
            return None
        return name

    @staticmethod
    def _description(string: app_commands.locale_str) -> str | None:
        source: str = string.extras["sohbet_source"]
        context: str | None = string.extras.get("sohbet_context")
        values: dict[str, Any] = string.extras.get("sohbet_values") or {}
        translated = pgettext(context, source) if context else _(source)
        if translated == source:
            return None
        try:
            text = translated.format(**values) if values else translated
        except (KeyError, IndexError, ValueError):
            return None
        return shorten(text) or None


def choice_source(value: object) -> app_commands.locale_str:
    return description_label(str(value), context=CHOICE)
