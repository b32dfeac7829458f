"""`sohbet web [--local]`, and the dashboard beside the bot in `sohbet run`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from typing import TYPE_CHECKING

from bot.web.base import DASHBOARD
from bot.web.config import WebSettings
from bot.web.server import WebServer, create_dashboard

if TYPE_CHECKING:
    from bot.config import Config
    from bot.core.app import App
    from bot.operations import Operations

__all__ = ["DashboardCompanion", "dashboard_beside_bot", "serve"]

log = logging.getLogger(__name__)

DEFAULT_PORT = 8080


def _not_set_up() -> str:
    return (
        "Login with Discord needs DISCORD_CLIENT_ID, DISCORD_CLIENT_SECRET and "
        "SOHBET_WEB_BASE_URL (the README's Dashboard section says where to find them). "
        "Without Discord, `sohbet web --local` serves the console server to you alone."
    )


async def serve(config: Config, *, local: bool, host: str | None, port: int | None) -> int:
    """Run the dashboard until Ctrl-C or SIGTERM."""
    from bot.app import build_app

    settings = WebSettings()
    if not local and not settings.oauth_ready:
        print(_not_set_up(), file=sys.stderr)
        return 2
    app = await build_app(config)
    server: WebServer | None = None
    try:
        dashboard = create_dashboard(app, settings, local=local)
        bind = "127.0.0.1" if local else (host or settings.host)
        server = WebServer(
            dashboard, bind, port if port is not None else settings.port or DEFAULT_PORT
        )
        await server.start()
        if local:
            token = dashboard[DASHBOARD].local_token
            print(
                "Sohbet dashboard for the console server, on this computer only.\n"
                f"Open this one-time login link: {server.url}/local-login?token={token}\n"
                "(Ctrl-C stops it.)",
                flush=True,
            )
        else:
            print(
                f"Sohbet dashboard on {server.url} (public address {settings.base_url})", flush=True
            )
        await _until_stopped()
    finally:
        if server is not None:
            await server.close()
        await app.close()
    return 0


async def _until_stopped() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()


class DashboardCompanion:
    """`sohbet run`: the dashboard served beside the bot, on the bot's App."""

    def __init__(self, settings: WebSettings) -> None:
        self.settings = settings
        self.server: WebServer | None = None

    async def start(self, app: App, ops: Operations) -> None:
        settings = self.settings
        assert settings.port is not None
        self.server = WebServer(create_dashboard(app, settings), settings.host, settings.port)
        await self.server.start()
        log.info("dashboard on %s (public address %s)", self.server.url, settings.base_url)

    async def close(self) -> None:
        if self.server is not None:
            await self.server.close()
            self.server = None


def dashboard_beside_bot() -> DashboardCompanion | None:
    """The dashboard to serve beside the bot: when SOHBET_WEB_PORT is set (and OAuth is)."""
    settings = WebSettings()
    if settings.port is None:
        return None
    if not settings.oauth_ready:
        log.warning("SOHBET_WEB_PORT is set but the dashboard is off: %s", _not_set_up())
        return None
    return DashboardCompanion(settings)
