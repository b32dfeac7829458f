"""The dashboard's language: the member's choice (a cookie set from the language menu), else
the browser's Accept-Language, else English. A middleware speaks it for the whole request, so
templates and handlers use the same `_()` as the bot (bot.i18n)."""

from __future__ import annotations

from aiohttp import web

from bot.i18n import DEFAULT_LOCALE, locale_from_accept_language, normalize_locale
from bot.i18n import use_locale as speak
from bot.web.base import Handler
from bot.web.security import safe_next

__all__ = ["LANGUAGE_COOKIE", "language_middleware", "request_language", "routes"]

LANGUAGE_COOKIE = "sohbet_lang"
routes = web.RouteTableDef()


def request_language(request: web.Request) -> str:
    chosen = normalize_locale(request.cookies.get(LANGUAGE_COOKIE))
    if chosen is not None:
        return chosen
    return locale_from_accept_language(request.headers.get("Accept-Language")) or DEFAULT_LOCALE


@web.middleware
async def language_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    with speak(request_language(request)) as language:
        response = await handler(request)
    response.headers.setdefault("Content-Language", language)
    vary = response.headers.get("Vary")
    response.headers["Vary"] = f"{vary}, Accept-Language" if vary else "Accept-Language"
    return response


@routes.get("/language")
async def choose_language(request: web.Request) -> web.StreamResponse:
    """`/language?lang=tr&next=/servers`: remember the member's choice, go back."""
    chosen = normalize_locale(request.query.get("lang"))
    response = web.HTTPSeeOther(safe_next(request.query.get("next"), default="/"))
    if chosen is None:
        response.del_cookie(LANGUAGE_COOKIE, path="/")
    else:
        response.set_cookie(
            LANGUAGE_COOKIE, chosen, max_age=365 * 24 * 3600, samesite="Lax", path="/"
        )
    return response
