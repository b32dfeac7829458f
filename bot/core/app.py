"""The assembled core a running process holds: configuration, store, plugins, services, router.

Built by `bot.app.build_app` (the composition root); adapters, operations and workers receive
one and close it on the way out.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.config import Config
from bot.core.registry import PluginRegistry
from bot.core.router import Router
from bot.core.services import Services
from bot.store.database import Store

__all__ = ["App"]

log = logging.getLogger(__name__)


@dataclass
class App:
    config: Config
    store: Store
    registry: PluginRegistry
    services: Services
    router: Router

    async def close(self) -> None:
        for plugin in self.registry.plugins.values():
            try:
                await plugin.close()
            except Exception:
                log.exception("plugin %s failed to close", type(plugin).name)
        for name, service in list(self.services.extras.items()):
            closer = getattr(service, "close", None)
            if closer is not None:
                try:
                    result = closer()
                    if hasattr(result, "__await__"):
                        await result
                except Exception:
                    log.exception("service %s failed to close", name)
        await self.store.close()
