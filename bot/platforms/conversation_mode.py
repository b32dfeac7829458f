"""Which conversation mode applies in a place: shared by every platform adapter.

An admin's `conversation_mode` for the chat plugin (channel, then its parent, then the server)
when set, else the adapter's configured default.
"""

from __future__ import annotations

import logging

from bot.core.events import ConversationMode, Location
from bot.core.router import Router

__all__ = ["CHAT_PLUGIN", "MODE_SETTING", "configured_mode"]

log = logging.getLogger(__name__)
CHAT_PLUGIN = "chat"
MODE_SETTING = "conversation_mode"


async def configured_mode(
    router: Router, location: Location, default: ConversationMode
) -> ConversationMode:
    chat = router.registry.plugins.get(CHAT_PLUGIN)
    if chat is None or MODE_SETTING not in type(chat).Settings.model_fields:
        return default
    snapshot = await router.services.settings.snapshot(location.server_id)
    for channel in (location.effective_channel_id, location.channel_id, 0):
        value = snapshot.overrides.get((channel, CHAT_PLUGIN), {}).get(MODE_SETTING)
        if value is None:
            continue
        try:
            return ConversationMode(str(getattr(value, "value", value)))
        except ValueError:
            log.warning("chat plugin has an unknown conversation_mode %r", value)
            break
    return default
