"""Who may see which server: asked of Discord (cached briefly), never taken from a URL or form.

An admin page needs both: the member has Manage Server there (from /users/@me/guilds with
their own token, refreshed every `permission_cache_s`) and the bot is in that server.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Protocol

from aiohttp import web

from bot.i18n import _
from bot.web.discord_api import DiscordAPI, GuildDetails, can_manage
from bot.web.security import Session

__all__ = ["Access", "BotView", "LocalBotView", "ManagedServer", "RestBotView"]


class BotView(Protocol):
    async def guild(self, guild_id: int) -> GuildDetails | None:
        """The server as the bot sees it, or None when the bot is not in it."""
        ...


class RestBotView:
    """The bot's servers through Discord's REST API with the bot token, cached briefly."""

    def __init__(self, api: DiscordAPI, ttl: float) -> None:
        self.api = api
        self.ttl = ttl
        self._cache: dict[int, tuple[float, GuildDetails | None]] = {}

    async def guild(self, guild_id: int) -> GuildDetails | None:
        cached = self._cache.get(guild_id)
        if cached is not None and time.monotonic() - cached[0] < self.ttl:
            return cached[1]
        found = await self.api.bot_guild(guild_id)
        self._cache[guild_id] = (time.monotonic(), found)
        return found


class LocalBotView:
    """`sohbet web --local`: the console server is the only one."""

    def __init__(self, server_id: int, channel_id: int) -> None:
        self.details = GuildDetails(server_id, "Console", {channel_id: "console"}, {})

    async def guild(self, guild_id: int) -> GuildDetails | None:
        return self.details if guild_id == self.details.id else None


@dataclass(frozen=True)
class ManagedServer:
    id: int
    name: str
    icon_url: str
    bot_present: bool
    manage: bool


class Access:
    def __init__(self, api: DiscordAPI | None, bot: BotView, ttl: float) -> None:
        self.api = api
        self.bot = bot
        self.ttl = ttl

    async def member_guilds(self, session: Session) -> dict[int, dict[str, Any]]:
        """The member's servers as Discord says now (at most `ttl` seconds old)."""
        if session.local or self.api is None:
            return session.guilds
        if time.monotonic() - session.guilds_at >= self.ttl or not session.guilds_at:
            found = await self.api.user_guilds(session.access_token)
            session.guilds = {int(g["id"]): g for g in found if "id" in g}
            session.guilds_at = time.monotonic()
        return session.guilds

    async def servers(self, session: Session) -> list[ManagedServer]:
        """Servers the member shares with the bot, and those they manage without it."""
        result = []
        for gid, guild in (await self.member_guilds(session)).items():
            details = await self.bot.guild(gid) if can_manage(guild) or session.local else None
            manage = can_manage(guild)
            if not manage and details is None:
                continue
            icon = guild.get("icon")
            icon_url = f"https://cdn.discordapp.com/icons/{gid}/{icon}.png?size=64" if icon else ""
            name = details.name if details else str(guild.get("name", gid))
            result.append(ManagedServer(gid, name, icon_url, details is not None, manage))
        return sorted(result, key=lambda s: (not s.bot_present, s.name.lower()))

    async def require_admin(self, session: Session, guild_id: int) -> GuildDetails:
        """The server's details when this member manages it and the bot is in it; else 403."""
        guild = (await self.member_guilds(session)).get(guild_id)
        if guild is None or not can_manage(guild):
            raise web.HTTPForbidden(text=_("You need the Manage Server permission on that server."))
        details = await self.bot.guild(guild_id)
        if details is None:
            raise web.HTTPForbidden(text=_("Sohbet is not in that server."))
        return details

    async def member_of(self, session: Session) -> dict[int, str]:
        """Servers the member is in (any permission): id -> name, for "My data"."""
        return {
            gid: str(g.get("name", gid)) for gid, g in (await self.member_guilds(session)).items()
        }
