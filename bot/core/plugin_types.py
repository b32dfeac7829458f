"""A plugin's class-level declaration (name, settings model, whether it spends model tokens),
kept apart from the plugin API so the settings service and the context can name it without
importing bot.core.plugin (which imports them for its method signatures)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from bot.i18n import Catalogue

__all__ = ["ALLOWED_MODEL", "ChoiceOf", "PluginInfo", "PluginSettings"]


@dataclass(frozen=True)
class ChoiceOf:
    """Marks a setting whose value is one of a list only known at run time, so the dashboard
    offers the list: `model: Annotated[str, ALLOWED_MODEL] = ""`. The check itself stays
    the plugin's `check_setting`."""

    source: str  # "models": the operator's allowed models (SOHBET_ALLOWED_MODELS)


ALLOWED_MODEL = ChoiceOf("models")


class PluginSettings(BaseModel):
    """Base for a plugin's typed settings: defaults here, overrides per server and channel."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class PluginInfo:
    """What every plugin declares on its class; `bot.core.plugin.Plugin` adds the behaviour."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    enabled_by_default: ClassVar[bool] = True
    uses_model: ClassVar[bool] = False  # token budgets apply to its handlers
    # What user data the plugin stores, shown by /privacy; empty when it stores none.
    stored_data: ClassVar[str] = ""
    Settings: ClassVar[type[PluginSettings]] = PluginSettings
    # The plugin's own message catalogue (a gettext folder of .po/.mo files), for plugins
    # shipped apart from Sohbet; Sohbet's bundled plugins use Sohbet's (docs/plugins.md).
    catalogue: ClassVar[Catalogue | None] = None
