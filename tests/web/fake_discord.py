"""A small loopback HTTP server that behaves like Discord for the dashboard: the OAuth2
authorize page (consents at once), the token exchange, /users/@me, /users/@me/guilds with
permissions, and the bot's view of its servers (guild, channels, roles)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from aiohttp.test_utils import TestServer

CLIENT_ID = "424242"
CLIENT_SECRET = "very-secret-client-secret"
BOT_TOKEN = "bot-token-for-tests"


@dataclass
class FakeUser:
    id: int
    name: str
    guilds: dict[int, int] = field(default_factory=dict)  # guild id -> permission bits


@dataclass
class FakeGuild:
    id: int
    name: str
    channels: dict[int, str] = field(default_factory=dict)
    roles: dict[int, str] = field(default_factory=dict)


class FakeDiscord:
    def __init__(self) -> None:
        self.users: dict[int, FakeUser] = {}
        self.bot_guilds: dict[int, FakeGuild] = {}
        self.guild_names: dict[int, str] = {}
        self.next_user: int | None = None  # who "consents" on the authorize page
        self._codes: dict[str, int] = {}
        self.tokens: dict[str, int] = {}
        self.calls: list[str] = []
        self.nicknames: dict[tuple[int, int], str] = {}  # (guild, user) -> nickname there
        self.bot_token = BOT_TOKEN  # the bot's current token (reset it to reject the old one)
        self.server: TestServer | None = None

    # ----- setup -------------------------------------------------------------------------

    def add_guild(self, guild: FakeGuild, bot_in_it: bool = True) -> None:
        self.guild_names[guild.id] = guild.name
        if bot_in_it:
            self.bot_guilds[guild.id] = guild

    def add_user(self, user: FakeUser) -> None:
        self.users[user.id] = user

    @property
    def url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("")).rstrip("/")

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/oauth2/authorize", self.authorize)
        app.router.add_post("/api/oauth2/token", self.token)
        app.router.add_get("/api/users/@me", self.me)
        app.router.add_get("/api/users/@me/guilds", self.my_guilds)
        app.router.add_get("/api/guilds/{id}", self.guild)
        app.router.add_get("/api/guilds/{id}/channels", self.channels)
        app.router.add_get("/api/guilds/{id}/roles", self.roles)
        app.router.add_get("/api/guilds/{id}/members/{user}", self.member)
        self.server = TestServer(app, host="127.0.0.1")
        await self.server.start_server()

    async def close(self) -> None:
        if self.server is not None:
            await self.server.close()

    # ----- OAuth2 ------------------------------------------------------------------------

    def code_for(self, user_id: int) -> str:
        code = secrets.token_hex(8)
        self._codes[code] = user_id
        return code

    async def authorize(self, request: web.Request) -> web.StreamResponse:
        q = request.query
        assert q["client_id"] == CLIENT_ID and q["response_type"] == "code"
        assert set(q["scope"].split()) == {"identify", "guilds"}
        assert self.next_user is not None, "the test says who logs in"
        query = urlencode({"code": self.code_for(self.next_user), "state": q["state"]})
        raise web.HTTPFound(f"{q['redirect_uri']}?{query}")

    async def token(self, request: web.Request) -> web.StreamResponse:
        self.calls.append("token")
        auth = request.headers.get("Authorization", "")
        import base64

        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if auth != f"Basic {expected}":
            return web.json_response({"error": "invalid_client"}, status=401)
        form = await request.post()
        user_id = self._codes.pop(str(form.get("code")), None)
        if form.get("grant_type") != "authorization_code" or user_id is None:
            return web.json_response({"error": "invalid_grant"}, status=400)
        token = secrets.token_hex(12)
        self.tokens[token] = user_id
        return web.json_response(
            {"access_token": token, "token_type": "Bearer", "scope": "identify guilds"}
        )

    # ----- REST --------------------------------------------------------------------------

    def _user(self, request: web.Request) -> FakeUser:
        auth = request.headers.get("Authorization", "")
        user_id = self.tokens.get(auth.removeprefix("Bearer "))
        if not auth.startswith("Bearer ") or user_id is None:
            raise web.HTTPUnauthorized()
        return self.users[user_id]

    def _bot(self, request: web.Request) -> FakeGuild | None:
        if request.headers.get("Authorization") != f"Bot {self.bot_token}":
            raise web.HTTPUnauthorized()
        return self.bot_guilds.get(int(request.match_info["id"]))

    async def me(self, request: web.Request) -> web.StreamResponse:
        user = self._user(request)
        return web.json_response(
            {"id": str(user.id), "username": user.name, "global_name": user.name, "avatar": None}
        )

    async def my_guilds(self, request: web.Request) -> web.StreamResponse:
        self.calls.append("my_guilds")
        user = self._user(request)
        return web.json_response(
            [
                {
                    "id": str(gid),
                    "name": self.guild_names.get(gid, str(gid)),
                    "icon": None,
                    "owner": False,
                    "permissions": str(bits),
                }
                for gid, bits in user.guilds.items()
            ]
        )

    async def guild(self, request: web.Request) -> web.StreamResponse:
        self.calls.append("bot_guild")
        guild = self._bot(request)
        if guild is None:
            raise web.HTTPForbidden()
        return web.json_response({"id": str(guild.id), "name": guild.name})

    async def channels(self, request: web.Request) -> web.StreamResponse:
        guild = self._bot(request)
        if guild is None:
            raise web.HTTPForbidden()
        return web.json_response(
            [
                {"id": str(cid), "name": name, "type": 0, "position": i}
                for i, (cid, name) in enumerate(guild.channels.items())
            ]
            + [{"id": "999", "name": "Voice", "type": 2, "position": 99}]
        )

    async def roles(self, request: web.Request) -> web.StreamResponse:
        guild = self._bot(request)
        if guild is None:
            raise web.HTTPForbidden()
        everyone: list[dict[str, Any]] = [{"id": str(guild.id), "name": "@everyone", "position": 0}]
        return web.json_response(
            everyone
            + [
                {"id": str(rid), "name": name, "position": i + 1}
                for i, (rid, name) in enumerate(guild.roles.items())
            ]
        )

    async def member(self, request: web.Request) -> web.StreamResponse:
        self.calls.append("member")
        guild = self._bot(request)
        user = self.users.get(int(request.match_info["user"]))
        if guild is None or user is None or guild.id not in user.guilds:
            return web.json_response({"message": "Unknown Member", "code": 10007}, status=404)
        return web.json_response(
            {
                "nick": self.nicknames.get((guild.id, user.id)),
                "user": {
                    "id": str(user.id),
                    "username": user.name.lower(),
                    "global_name": user.name,
                },
            }
        )
