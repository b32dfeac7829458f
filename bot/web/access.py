"""Who may see which server: asked of Discord (cached briefly), never taken from a URL or form.

An admin page needs both: the member has Manage Server there (from /users/@me/guilds with
their own token, refreshed every `permission_cache_s`) and the bot is in that server.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from aiohttp import web

from bot.i18n import _
from bot.web.discord_api import DiscordAPI, GuildDetails, can_manage
from bot.web.security import Session

__all__ = ["NAME_CACHE_S", "Access", "BotView", "LocalBotView", "ManagedServer", "RestBotView"]

NAME_CACHE_S = 600.0  # members' names from Discord are asked again after ten minutes
NAMES_PER_PAGE = 50  # at most this many names asked of Discord for one page


class BotView(Protocol):
    async def guild(self, guild_id: int) -> GuildDetails | None:
        """The server as the bot sees it, or None when the bot is not in it."""
        ...

    async def member_name(self, guild_id: int, user_id: int) -> str | None:
        """What the server calls a member, or None when it can't be told."""
        ...


class RestBotView:
    """The bot's servers through Discord's REST API with the bot token, cached briefly."""

    def __init__(self, api: DiscordAPI, ttl: float) -> None:
        self.api = api
        self.ttl = ttl
        self._cache: dict[int, tuple[float, GuildDetails | None]] = {}
        self._names: dict[tuple[int, int], tuple[float, str | None]] = {}

    async def guild(self, guild_id: int) -> GuildDetails | None:
        cached = self._cache.get(guild_id)
        if cached is not None and time.monotonic() - cached[0] < self.ttl:
            return cached[1]
        found = await self.api.bot_guild(guild_id)
        self._cache[guild_id] = (time.monotonic(), found)
        return found

    async def member_name(self, guild_id: int, user_id: int) -> str | None:
        key = (guild_id, user_id)
        cached = self._names.get(key)
        if cached is not None and time.monotonic() - cached[0] < NAME_CACHE_S:
            return cached[1]
        name = await self.api.member_name(guild_id, user_id)
        if len(self._names) > 10_000:  # forget the oldest half
            for old in sorted(self._names, key=lambda k: self._names[k][0])[:5_000]:
                del self._names[old]
        self._names[key] = (time.monotonic(), name)
        return name


class LocalBotView:
    """`sohbet web --local`: the console server is the only one."""

    def __init__(self, server_id: int, channel_id: int) -> None:
        self.details = GuildDetails(server_id, "Console", {channel_id: "console"}, {})

    async def guild(self, guild_id: int) -> GuildDetails | None:
        return self.details if guild_id == self.details.id else None

    async def member_name(self, guild_id: int, user_id: int) -> str | None:
        return None  # the console's people are named by what they wrote (the store)


@dataclass(frozen=True)
class ManagedServer:
    id: int
    name: str
    icon_url: str
    bot_present: bool
    manage: bool
    invite_url: str = ""  # where to add Sohbet to it, when it is missing


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
            invite = self.api.invite_url(gid) if self.api and manage and not details else ""
            result.append(ManagedServer(gid, name, icon_url, details is not None, manage, invite))
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

    async def names(
        self, guild_id: int, user_ids: Iterable[int], known: Mapping[int, str]
    ) -> dict[int, str]:
        """What the server calls each of `user_ids`: Discord's answer (cached), else `known`
        (the name they last had in a conversation here); ids with neither are left out."""
        wanted = list(dict.fromkeys(user_ids))
        asked = await asyncio.gather(
            *(self.bot.member_name(guild_id, uid) for uid in wanted[:NAMES_PER_PAGE])
        )
        found = {uid: name for uid, name in zip(wanted, asked, strict=False) if name}
        return {
            uid: found.get(uid) or known[uid] for uid in wanted if found.get(uid) or known.get(uid)
        }
