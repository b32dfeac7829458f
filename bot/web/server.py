"""Building and serving the dashboard: `sohbet web`, `sohbet web --local`, `sohbet run`."""

from __future__ import annotations

import logging
import secrets
from typing import TYPE_CHECKING

from aiohttp import web

from bot.core.errors import SohbetError
from bot.store.activity import ActivityQueries
from bot.web.access import Access, BotView, LocalBotView, RestBotView
from bot.web.base import DASHBOARD, HERE, Dashboard, headers_middleware, session_middleware
from bot.web.config import WebSettings
from bot.web.discord_api import DiscordAPI
from bot.web.language import language_middleware
from bot.web.security import SessionStore
from bot.web.uploads import UploadJobs

if TYPE_CHECKING:
    from bot.core.app import App

__all__ = ["WebPortUnavailable", "WebServer", "create_dashboard"]

log = logging.getLogger(__name__)
UPLOAD_LIMIT = 101 * 1024 * 1024  # the docs plugin's own limit (at most 100 MB) decides


class WebPortUnavailable(SohbetError):
    def __init__(self, host: str, port: int, error: OSError) -> None:
        super().__init__(
            f"Can't serve the dashboard on {host}:{port} ({error.strerror or error}). "
            "Choose another SOHBET_WEB_PORT, or stop what uses it."
        )


def create_dashboard(
    core: App,
    settings: WebSettings,
    *,
    local: bool = False,
    bot_view: BotView | None = None,
) -> web.Application:
    """The dashboard on `core`'s registry and services. `local`: the console server only,
    logged into with a one-time link (`Dashboard.local_token`)."""
    from bot.web import admin, auth, documents, language, mydata, reports, teaching

    api: DiscordAPI | None = None
    if local:
        from bot.core.identity import CONSOLE_CHANNEL_ID, CONSOLE_SERVER_ID

        view: BotView = bot_view or LocalBotView(CONSOLE_SERVER_ID, CONSOLE_CHANNEL_ID)
    else:
        token = core.config.discord_token
        api = DiscordAPI(settings, token.get_secret_value() if token else None)
        view = bot_view or RestBotView(api, settings.permission_cache_s)
    dash = Dashboard(
        core=core,
        settings=settings,
        access=Access(api, view, settings.permission_cache_s),
        api=api,
        queries=ActivityQueries(core.store),
        jobs=UploadJobs(core.router),
        sessions=SessionStore(settings.session_hours * 3600),
        local_mode=local,
        local_token=secrets.token_urlsafe(32) if local else None,
    )
    app = web.Application(
        # The language first: error pages and redirects speak it too.
        middlewares=[language_middleware, headers_middleware, session_middleware],
        client_max_size=UPLOAD_LIMIT,
    )
    app[DASHBOARD] = dash
    for module in (auth, admin, documents, reports, mydata, teaching, language):
        app.add_routes(module.routes)
    app.router.add_static("/static", HERE / "static", append_version=True)

    async def close(_app: web.Application) -> None:
        await dash.jobs.close()
        if api is not None:
            await api.close()

    app.on_cleanup.append(close)
    return app


class WebServer:
    """Serves a dashboard application on host:port (port 0 picks a free one)."""

    def __init__(self, app: web.Application, host: str, port: int) -> None:
        self.app = app
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        try:
            await site.start()
        except OSError as exc:
            await self._runner.cleanup()
            raise WebPortUnavailable(self.host, self.port, exc) from exc
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        if sockets:
            self.port = int(sockets[0].getsockname()[1])

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}"

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
