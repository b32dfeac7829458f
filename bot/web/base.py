"""What every dashboard page shares: the Dashboard state, sessions, CSRF, templates, guards."""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import jinja2
from aiohttp import web
from markupsafe import Markup, escape
from multidict import MultiDictProxy

from bot.core.declared import describe
from bot.i18n import (
    N_,
    _,
    current_locale,
    format_number,
    gettext_only,
    known_locales,
    ngettext_only,
)
from bot.shared.errors import SohbetError
from bot.shared.markup import plain
from bot.web.access import Access
from bot.web.config import WebSettings
from bot.web.discord_api import DiscordAPI, DiscordUnavailable, GuildDetails, TokenRevoked
from bot.web.security import RateLimiter, Session, SessionStore, Signer

if TYPE_CHECKING:
    from bot.core.app import App
    from bot.store.activity import ActivityQueries
    from bot.web.uploads import UploadJobs

__all__ = [
    "COOKIE",
    "DASHBOARD",
    "Dashboard",
    "admin_server",
    "channel_of",
    "checked_form",
    "dashboard",
    "flash",
    "headers_middleware",
    "names_of",
    "parse_id",
    "render",
    "require_session",
    "server_id",
    "session_middleware",
    "set_session_cookie",
    "state",
]

log = logging.getLogger(__name__)
COOKIE = "sohbet_session"
# The dashboard's language menu: each language in its own name.
LANGUAGE_NAMES = {"en": "English", "tr": "Türkçe", "de": "Deutsch"}
LANGUAGES = {code: LANGUAGE_NAMES.get(code, code) for code in known_locales()}
BROKEN = N_("Something went wrong on our side; the details are logged. Please try again.")
HERE = Path(__file__).parent
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: "
    "https://cdn.discordapp.com; connect-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


@dataclass
class Dashboard:
    core: App
    settings: WebSettings
    access: Access
    api: DiscordAPI | None
    queries: ActivityQueries
    jobs: UploadJobs
    sessions: SessionStore
    key: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    local_mode: bool = False  # `sohbet web --local`: the console server, no Discord
    local_token: str | None = field(default=None, repr=False)  # one-time login, then None
    templates: jinja2.Environment = field(init=False, repr=False)
    limiter: RateLimiter = field(init=False)

    def __post_init__(self) -> None:
        self.templates = jinja2.Environment(
            loader=jinja2.FileSystemLoader(HERE / "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )
        # The bot's own translation functions: `{{ _("Log out") }}`, `{{ _("{n} x", n=n) }}`
        # in the language of the request (bot.web.language).
        self.templates.globals.update(
            _=html_gettext, ngettext=html_ngettext, describe=describe, format_number=format_number
        )
        self.limiter = RateLimiter(self.settings.login_attempts_per_minute)

    def signer(self, purpose: str) -> Signer:
        return Signer(self.key, purpose)


DASHBOARD: web.AppKey[Dashboard] = web.AppKey("dashboard", Dashboard)


@dataclass
class RequestState:
    session: Session | None = None
    flash: list[str] = field(default_factory=list)  # messages shown on this page


STATE: web.RequestKey[RequestState] = web.RequestKey("sohbet", RequestState)


def html_gettext(message: str, /, **values: Any) -> Markup:
    """`_()` for templates: the translation is escaped, then filled with values that are
    escaped too unless the template marked them safe (`command=("<code>x</code>"|safe)`)."""
    return Markup(escape(gettext_only(message))).format(**values)


def html_ngettext(singular: str, plural: str, n: int, /, **values: Any) -> Markup:
    values.setdefault("n", format_number(n))
    return Markup(escape(ngettext_only(singular, plural, n))).format(**values)


def state(request: web.Request) -> RequestState:
    found = request.get(STATE)
    if found is None:
        found = request[STATE] = RequestState()
    return found


def dashboard(request: web.Request) -> Dashboard:
    return request.app[DASHBOARD]


def render(request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
    dash = dashboard(request)
    session = state(request).session
    flash = state(request).flash
    html = dash.templates.get_template(template).render(
        lang=current_locale(),
        languages=LANGUAGES,
        session=session,
        csrf=session.csrf if session else "",
        flash=flash,
        path=request.path,
        local=dash.local_mode,
        **context,
    )
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")


def current_session(request: web.Request) -> Session | None:
    return state(request).session


def require_session(request: web.Request) -> Session:
    """The logged-in member, or a redirect to the login page that comes back here."""
    session = current_session(request)
    if session is None:
        back = request.path_qs if request.method == "GET" else "/servers"
        raise web.HTTPSeeOther(f"/?next={quote(back, safe='/')}")
    return session


async def checked_form(request: web.Request, session: Session) -> MultiDictProxy[Any]:
    """The posted form, when it carries this session's CSRF token; 403 otherwise."""
    form = await request.post()
    token = form.get("csrf")
    if not isinstance(token, str) or not hmac.compare_digest(token, session.csrf):
        raise web.HTTPForbidden(text=_("This form has expired or didn't come from this site."))
    return form


_LARGEST_ID = 2**63 - 1  # Discord ids (snowflakes) are positive 64-bit integers


def parse_id(raw: object) -> int | None:
    """A Discord id from a URL, query or form, or None. Only ASCII digits: "²" and "١" are
    digits to `str.isdigit()` but not to `int()`."""
    if not isinstance(raw, str) or not 0 < len(raw) <= 20 or not raw.isascii():
        return None
    if not raw.isdigit() or int(raw) > _LARGEST_ID:
        return None
    return int(raw)


def server_id(request: web.Request) -> int:
    found = parse_id(request.match_info.get("server"))
    if found is None:
        raise web.HTTPNotFound()
    return found


def channel_of(details: GuildDetails, raw: Any) -> int:
    """0 (the whole server) or one of this server's channels; any other id is refused."""
    if raw in (None, "", "0"):
        return 0
    channel = parse_id(raw)
    if channel is None or channel not in details.channels:
        raise web.HTTPForbidden(text=_("That channel is not in this server."))
    return channel


async def admin_server(request: web.Request) -> tuple[Session, GuildDetails]:
    """The member and the server of an admin page: re-checked with Discord on every request
    (within the permission cache), whatever the URL or form says."""
    session = require_session(request)
    details = await dashboard(request).access.require_admin(session, server_id(request))
    return session, details


async def names_of(
    request: web.Request, details: GuildDetails, user_ids: Iterable[int]
) -> dict[int, str]:
    """Names for the people a page shows (ids on hover): what the server calls them, else
    the name they last had in a conversation there; the logged-in member is always known."""
    dash = dashboard(request)
    wanted = list(dict.fromkeys(user_ids))
    known = await dash.queries.member_names(details.id, wanted)
    session = current_session(request)
    if session is not None:
        known.setdefault(session.user_id, session.user_name)
    return await dash.access.names(details.id, wanted, known)


def flash(request: web.Request, message: str) -> None:
    """A notice shown once, on the next page (plain text: a web page doesn't render the
    bot's Markdown)."""
    session = current_session(request)
    if session is not None:
        session.flash.append(plain(message))


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def headers_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every response, error pages included, carries the security headers."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        response = exc
        if exc.status in (403, 404, 503) and exc.content_type == "text/plain":
            response = render(request, "error.html", exc.status, message=exc.text or exc.reason)
    except SohbetError as exc:  # the database is down, say: its own friendly sentence
        log.info("dashboard page %s refused: %s", request.path, exc)
        response = render(request, "error.html", 503, message=plain(exc.user_message))
    except Exception:
        log.exception("dashboard page %s failed", request.path)
        response = render(request, "error.html", 500, message=_(BROKEN))
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers.setdefault("Cache-Control", "no-store")
    return response


@web.middleware
async def session_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    dash = dashboard(request)
    raw = request.cookies.get(COOKIE)
    session = None
    if raw:
        session_id = dash.signer("session").unsign(raw, dash.sessions.lifetime)
        session = dash.sessions.get(session_id) if session_id else None
    state(request).session = session
    if session is not None:
        state(request).flash, session.flash = session.flash, []
    try:
        return await handler(request)
    except TokenRevoked:
        if session is not None:
            dash.sessions.end(session.id)
        raise web.HTTPSeeOther("/") from None
    except DiscordUnavailable as exc:
        return render(request, "error.html", 503, message=exc.user_message)


def set_session_cookie(dash: Dashboard, response: web.StreamResponse, session: Session) -> None:
    response.set_cookie(
        COOKIE,
        dash.signer("session").sign(session.id),
        max_age=int(dash.sessions.lifetime),
        httponly=True,
        samesite="Lax",
        secure=dash.settings.secure_cookies,
        path="/",
    )
