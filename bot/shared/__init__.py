"""Neutral types that the core and the store both use, so neither imports the other's modules
for them: the user-facing error base, conversation keys, audit changes and a server's settings
snapshot. Nothing here imports anything else from `bot`; plugins keep importing these through
`bot.core`."""

from bot.shared.errors import SohbetError
from bot.shared.records import AuditChange, ConversationKey, ServerSettingsSnapshot

__all__ = ["AuditChange", "ConversationKey", "ServerSettingsSnapshot", "SohbetError"]
