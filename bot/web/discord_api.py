"""Discord's OAuth2 and REST endpoints the dashboard needs (base URL configurable for tests)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp

from bot.core.errors import SohbetError
from bot.i18n import _
from bot.shared.invite import invite_url
from bot.web.config import WebSettings

__all__ = [
    "ADMINISTRATOR",
    "MANAGE_GUILD",
    "BotTokenRejected",
    "DiscordAPI",
    "DiscordUnavailable",
    "GuildDetails",
    "TokenRevoked",
    "can_manage",
]

log = logging.getLogger(__name__)
BOT_TOKEN_LOG_EVERY_S = 600.0  # a rejected bot token is logged again this often, not per page

ADMINISTRATOR = 0x8
MANAGE_GUILD = 0x20
_TEXT_CHANNELS = {0, 5, 15}  # text, announcement, forum


def can_manage(guild: dict[str, Any]) -> bool:
    """Whether /users/@me/guilds says the member has Manage Server (or owns or administers)."""
    try:
        permissions = int(guild.get("permissions", 0))
    except (TypeError, ValueError):
        return False
    return bool(guild.get("owner")) or bool(permissions & (MANAGE_GUILD | ADMINISTRATOR))


class DiscordUnavailable(SohbetError):
    def __init__(self, what: str) -> None:
        super().__init__(
            _("Discord didn't answer ({what}); please try again in a moment.", what=what)
        )


class TokenRevoked(SohbetError):
    """The member's access token no longer works: their session ends."""

    def __init__(self) -> None:
        super().__init__("Your Discord login has ended; please log in again.")


class BotTokenRejected(SohbetError):
    """Discord refuses the bot's own token (DISCORD_TOKEN wrong or reset): no admin page can
    work, but the member's login is fine."""

    def __init__(self) -> None:
        super().__init__(
            _(
                "The bot's token is rejected by Discord, so the dashboard can't see Sohbet's "
                "servers. The operator must set DISCORD_TOKEN to the bot's current token "
                "(Developer Portal → Bot → Reset Token) and restart Sohbet."
            )
        )


@dataclass(frozen=True)
class GuildDetails:
    """A server as the bot sees it: its name, text channels and roles (ids -> names)."""

    id: int
    name: str
    channels: dict[int, str]
    roles: dict[int, str]


class DiscordAPI:
    def __init__(self, settings: WebSettings, bot_token: str | None) -> None:
        self.settings = settings
        self._bot_token = bot_token
        self._http: aiohttp.ClientSession | None = None
        self._bot_rejection_logged = -BOT_TOKEN_LOG_EVERY_S

    @property
    def base(self) -> str:
        return self.settings.discord_api_url.rstrip("/")

    def _client(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15))
        return self._http

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()

    def authorize_url(self, state: str) -> str:
        query = urlencode(
            {
                "client_id": self.settings.client_id,
                "response_type": "code",
                "scope": "identify guilds",
                "redirect_uri": self.settings.redirect_uri,
                "state": state,
                "prompt": "none",
            }
        )
        return f"{self.settings.discord_authorize_url}?{query}"

    async def exchange_code(self, code: str) -> str:
        """The member's access token for an authorization code."""
        secret = self.settings.client_secret
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.settings.redirect_uri,
        }
        auth = aiohttp.BasicAuth(
            self.settings.client_id, secret.get_secret_value() if secret else ""
        )
        try:
            async with self._client().post(f"{self.base}/oauth2/token", data=form, auth=auth) as r:
                if r.status in (400, 401):
                    raise TokenRevoked()
                r.raise_for_status()
                body = await r.json()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DiscordUnavailable("token exchange") from exc
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            raise DiscordUnavailable("token exchange")
        return token

    async def _get(self, path: str, authorization: str) -> Any:
        try:
            async with self._client().get(
                f"{self.base}{path}", headers={"Authorization": authorization}
            ) as r:
                if r.status == 401:
                    raise self._rejected(authorization)
                if r.status in (403, 404):
                    return None
                r.raise_for_status()
                return await r.json()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DiscordUnavailable(path.split("?")[0]) from exc

    def _rejected(self, authorization: str) -> SohbetError:
        """Whose token Discord refused: the bot's (the operator must act, logged) or the
        member's (their session ends)."""
        if not authorization.startswith("Bot "):
            return TokenRevoked()
        now = time.monotonic()
        if now - self._bot_rejection_logged >= BOT_TOKEN_LOG_EVERY_S:
            self._bot_rejection_logged = now
            log.error(
                "Discord rejected DISCORD_TOKEN (401 Unauthorized): the dashboard's admin pages "
                "are closed until it is set to the bot's current token"
            )
        return BotTokenRejected()

    async def user(self, token: str) -> dict[str, Any]:
        found = await self._get("/users/@me", f"Bearer {token}")
        if not isinstance(found, dict):
            raise TokenRevoked()
        return found

    async def user_guilds(self, token: str) -> list[dict[str, Any]]:
        found = await self._get("/users/@me/guilds", f"Bearer {token}")
        return [g for g in found or [] if isinstance(g, dict)]

    async def member_name(self, guild_id: int, user_id: int) -> str | None:
        """What the server calls a member (nickname, else display name, else user name);
        None when they are not in it (or there is no bot token)."""
        if not self._bot_token:
            return None
        found = await self._get(f"/guilds/{guild_id}/members/{user_id}", f"Bot {self._bot_token}")
        if not isinstance(found, dict):
            return None
        user = found.get("user")
        user = user if isinstance(user, dict) else {}
        name = found.get("nick") or user.get("global_name") or user.get("username")
        return str(name) if name else None

    def invite_url(self, guild_id: int) -> str:
        """The page that adds Sohbet to `guild_id`."""
        return invite_url(
            self.settings.client_id,
            guild_id=guild_id,
            authorize_url=self.settings.discord_authorize_url,
        )

    async def bot_guild(self, guild_id: int) -> GuildDetails | None:
        """The server as the bot sees it; None when the bot is not in it (or has no token)."""
        if not self._bot_token:
            return None
        auth = f"Bot {self._bot_token}"
        guild = await self._get(f"/guilds/{guild_id}", auth)
        if not isinstance(guild, dict):
            return None
        channels = await self._get(f"/guilds/{guild_id}/channels", auth) or []
        roles = guild.get("roles") or await self._get(f"/guilds/{guild_id}/roles", auth) or []
        return GuildDetails(
            id=guild_id,
            name=str(guild.get("name", guild_id)),
            channels={
                int(c["id"]): str(c.get("name", c["id"]))
                for c in sorted(channels, key=lambda c: (c.get("position", 0), c.get("name", "")))
                if c.get("type") in _TEXT_CHANNELS
            },
            roles={
                int(r["id"]): str(r.get("name", r["id"]))
                for r in sorted(roles, key=lambda r: -int(r.get("position", 0)))
                if int(r["id"]) != guild_id  # @everyone
            },
        )
