"""Which language Sohbet speaks to a member, decided once per event.

The member's app language where the platform sends it (Discord's `interaction.locale`,
Telegram's `language_code`), else the server's (or channel's) `core.language` setting, else
English. A language Sohbet has no catalogue for counts as not given. Model prompts are not
affected: only what Sohbet itself says follows this choice.
"""

from __future__ import annotations

import logging
from typing import Literal

from pydantic import Field

from bot.core.events import Author, Location
from bot.core.plugin import Plugin
from bot.core.plugin_types import PluginSettings
from bot.core.settings import SettingsService
from bot.i18n import DEFAULT_LOCALE, N_, normalize_locale
from bot.shared.errors import SohbetError

__all__ = ["CorePlugin", "CoreSettings", "LanguageDecider"]

log = logging.getLogger(__name__)


class CoreSettings(PluginSettings):
    """Settings of Sohbet itself, set like a plugin's: `/plugins config set plugin:core ...`."""

    language: Literal["en", "tr", "de"] = Field(
        "en",
        description=N_(
            "The language I speak here when a member's app doesn't tell me theirs "
            "(en, tr, de)"
        ),
    )


class CorePlugin(Plugin):
    """No commands: it carries Sohbet's own settings through the same registry, commands
    and dashboard forms as every plugin's. Always loaded (bot.app), never disabled."""

    name = "core"
    description = N_("Sohbet itself: the language it speaks on this server")
    Settings = CoreSettings


class LanguageDecider:
    """The decision, with the settings service it reads the server's choice from."""

    def __init__(self, settings: SettingsService) -> None:
        self.settings = settings

    async def decide(self, author: Author, location: Location) -> str:
        given = normalize_locale(author.locale)
        if given is not None:
            return given
        return await self.server_language(location)

    async def server_language(self, location: Location) -> str:
        try:
            chosen = await self.settings.resolve(
                CorePlugin, location.server_id, location.effective_channel_id
            )
        except SohbetError:  # the database is down: the refusal must still be readable
            return DEFAULT_LOCALE
        except Exception:
            log.exception("could not read the server's language")
            return DEFAULT_LOCALE
        return normalize_locale(getattr(chosen, "language", None)) or DEFAULT_LOCALE
