"""The web dashboard: server admins configure Sohbet in a browser; members see their data."""

from bot.web.config import WebSettings
from bot.web.server import WebServer, create_dashboard

__all__ = ["WebServer", "WebSettings", "create_dashboard"]
