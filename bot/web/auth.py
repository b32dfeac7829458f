"""Logging in (Discord OAuth2, or the one-time link of `sohbet web --local`) and out."""

from __future__ import annotations

import base64
import hmac
import json
import logging
import secrets

from aiohttp import web

from bot.i18n import _
from bot.web.base import (
    COOKIE,
    checked_form,
    current_session,
    dashboard,
    render,
    require_session,
    set_session_cookie,
)
from bot.web.discord_api import ADMINISTRATOR, MANAGE_GUILD
from bot.web.security import client_address, safe_next

__all__ = ["routes"]

log = logging.getLogger(__name__)
routes = web.RouteTableDef()
OAUTH_COOKIE = "sohbet_oauth"
OAUTH_WINDOW_S = 600  # a login started more than 10 minutes ago must start again


def _rate_limited(request: web.Request) -> web.Response | None:
    dash = dashboard(request)
    client = client_address(
        request.remote, request.headers.get("X-Forwarded-For"), dash.settings.trusted_proxies
    )
    if dash.limiter.allow(client):
        return None
    return render(
        request, "error.html", 429, message=_("Too many login attempts; wait a minute and retry.")
    )


@routes.get("/")
async def index(request: web.Request) -> web.StreamResponse:
    target = safe_next(request.query.get("next"))
    if current_session(request) is not None:
        raise web.HTTPSeeOther(target)
    dash = dashboard(request)
    return render(
        request,
        "login.html",
        next=target,
        oauth_ready=dash.api is not None and dash.settings.oauth_ready,
        message="",
    )


@routes.get("/login")
async def login(request: web.Request) -> web.StreamResponse:
    dash = dashboard(request)
    if dash.api is None or not dash.settings.oauth_ready:
        return render(
            request,
            "error.html",
            404,
            message=_(
                "Login with Discord is not set up here (see the README's Dashboard section)."
            ),
        )
    refused = _rate_limited(request)
    if refused is not None:
        return refused
    state = secrets.token_urlsafe(24)
    payload = json.dumps({"state": state, "next": safe_next(request.query.get("next"))})
    encoded = base64.urlsafe_b64encode(payload.encode()).decode()
    response = web.HTTPSeeOther(dash.api.authorize_url(state))
    response.set_cookie(
        OAUTH_COOKIE,
        dash.signer("oauth").sign(encoded),
        max_age=OAUTH_WINDOW_S,
        httponly=True,
        samesite="Lax",
        secure=dash.settings.secure_cookies,
        path="/auth",
    )
    raise response


def _login_failed(request: web.Request, message: str, status: int = 400) -> web.Response:
    response = render(
        request, "login.html", status, next="/servers", oauth_ready=True, message=message
    )
    response.del_cookie(OAUTH_COOKIE, path="/auth")
    return response


@routes.get("/auth/callback")
async def callback(request: web.Request) -> web.StreamResponse:
    dash = dashboard(request)
    if dash.api is None:
        raise web.HTTPNotFound()
    refused = _rate_limited(request)
    if refused is not None:
        return refused
    signed = request.cookies.get(OAUTH_COOKIE, "")
    encoded = dash.signer("oauth").unsign(signed, OAUTH_WINDOW_S) if signed else None
    try:
        started = json.loads(base64.urlsafe_b64decode(encoded.encode())) if encoded else None
    except ValueError:
        started = None
    state = request.query.get("state", "")
    if not isinstance(started, dict) or not hmac.compare_digest(
        str(started.get("state", "")), state
    ):
        return _login_failed(request, "That login link is stale or not yours; please log in again.")
    if "code" not in request.query:
        return _login_failed(request, "Discord didn't confirm the login (was it cancelled?).")
    token = await dash.api.exchange_code(request.query["code"])
    user = await dash.api.user(token)
    name = str(user.get("global_name") or user.get("username") or user.get("id"))
    avatar = user.get("avatar")
    session = dash.sessions.create(
        int(user["id"]),
        name,
        access_token=token,
        avatar_url=f"https://cdn.discordapp.com/avatars/{user['id']}/{avatar}.png?size=64"
        if avatar
        else "",
    )
    log.info("dashboard login by %s", session.user_id)
    response = web.HTTPSeeOther(safe_next(str(started.get("next", ""))))
    response.del_cookie(OAUTH_COOKIE, path="/auth")
    set_session_cookie(dash, response, session)
    raise response


@routes.get("/local-login")
async def local_login(request: web.Request) -> web.StreamResponse:
    """`sohbet web --local`: the link printed in the terminal logs in once."""
    dash = dashboard(request)
    if not dash.local_mode:
        raise web.HTTPNotFound()
    refused = _rate_limited(request)
    if refused is not None:
        return refused
    token = request.query.get("token", "")
    if dash.local_token is None or not hmac.compare_digest(token, dash.local_token):
        return render(
            request,
            "error.html",
            403,
            message=_(
                "That login link was already used or is wrong; restart `sohbet web --local` "
                "for a new one."
            ),
        )
    dash.local_token = None  # one time only
    from bot.core.identity import CONSOLE_SERVER_ID

    admin = dash.core.config.console_admin
    permissions = str(ADMINISTRATOR | MANAGE_GUILD) if admin else "0"
    session = dash.sessions.create(
        1,  # the console's user
        _local_user_name(),
        local=True,
        guilds={
            CONSOLE_SERVER_ID: {
                "id": str(CONSOLE_SERVER_ID),
                "name": "Console",
                "permissions": permissions,
            }
        },
    )
    response = web.HTTPSeeOther("/servers")
    set_session_cookie(dash, response, session)
    raise response


def _local_user_name() -> str:
    import getpass

    try:
        return getpass.getuser()
    except Exception:
        return "you"


@routes.post("/logout")
async def logout(request: web.Request) -> web.StreamResponse:
    session = require_session(request)
    await checked_form(request, session)
    dashboard(request).sessions.end(session.id)
    response = web.HTTPSeeOther("/")
    response.del_cookie(COOKIE, path="/")
    raise response
