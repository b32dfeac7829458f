"""Sohbet's platform-neutral core: events, the plugin API, the Router and the Context."""

from bot.core.context import Context, Responder, SentMessage
from bot.core.errors import (
    BadOption,
    CooldownActive,
    NotAllowed,
    PluginDisabled,
    SettingsError,
    SohbetError,
    UnknownCommand,
    UnknownPlugin,
)
from bot.core.events import (
    Attachment,
    Author,
    CommandCall,
    ConversationKey,
    ConversationMode,
    Location,
    Message,
    Reply,
)
from bot.core.options import Option, OptionSpec
from bot.core.plugin import (
    CommandSpec,
    ListenerSpec,
    Plugin,
    PluginSettings,
    command,
    listener,
    message_command,
)
from bot.core.plugin_types import ALLOWED_MODEL, ChoiceOf
from bot.core.registry import PluginRegistry
from bot.core.router import Router
from bot.core.services import Services

__all__ = [
    "ALLOWED_MODEL",
    "Attachment",
    "Author",
    "BadOption",
    "ChoiceOf",
    "CommandCall",
    "CommandSpec",
    "Context",
    "ConversationKey",
    "ConversationMode",
    "CooldownActive",
    "ListenerSpec",
    "Location",
    "Message",
    "NotAllowed",
    "Option",
    "OptionSpec",
    "Plugin",
    "PluginDisabled",
    "PluginRegistry",
    "PluginSettings",
    "Reply",
    "Responder",
    "Router",
    "SentMessage",
    "Services",
    "SettingsError",
    "SohbetError",
    "UnknownCommand",
    "UnknownPlugin",
    "command",
    "listener",
    "message_command",
]
