"""The link that adds Sohbet to a Discord server: logged by `sohbet run`, offered by the
dashboard next to a server the bot isn't in."""

from __future__ import annotations

from urllib.parse import urlencode

__all__ = ["AUTHORIZE_URL", "INVITE_PERMISSIONS", "invite_url"]

AUTHORIZE_URL = "https://discord.com/oauth2/authorize"
# Everything the adapter does: read and answer in channels and threads, reply (needs history),
# attach files, open threads for conversations. No administrator, no mention-everyone.
INVITE_PERMISSIONS = (
    (1 << 10)  # View Channels
    | (1 << 11)  # Send Messages
    | (1 << 38)  # Send Messages in Threads
    | (1 << 35)  # Create Public Threads
    | (1 << 15)  # Attach Files
    | (1 << 16)  # Read Message History
)


def invite_url(
    client_id: int | str, *, guild_id: int | None = None, authorize_url: str = AUTHORIZE_URL
) -> str:
    """Discord's page that adds the bot (to `guild_id`, preselected, when given)."""
    query: dict[str, str | int] = {
        "client_id": client_id,
        "scope": "bot applications.commands",
        "permissions": INVITE_PERMISSIONS,
    }
    if guild_id is not None:
        query |= {"guild_id": guild_id, "disable_guild_select": "true"}
    return f"{authorize_url}?{urlencode(query)}"
