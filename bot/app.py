"""The composition root: configuration -> store -> settings -> plugins -> router, plus the
services (AI providers, job queue) every adapter shares. `App` itself is a core type
(bot.core.app), so services can be handed one without importing this module."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

from bot.config import Config
from bot.core.app import App
from bot.core.errors import SohbetError
from bot.core.language import CorePlugin
from bot.core.plugin import Plugin
from bot.core.registry import PluginRegistry
from bot.core.router import Router
from bot.core.services import Services
from bot.core.settings import SettingsService
from bot.store.database import Store

__all__ = ["App", "DataDirUnavailable", "build_app", "ensure_data_dir"]

log = logging.getLogger(__name__)


async def build_app(
    config: Config,
    *,
    plugins: Iterable[Plugin] | None = None,
    migrate: bool = True,
) -> App:
    """Create the data folder, apply migrations, load plugins and set them up."""
    ensure_data_dir(config)
    store = Store(config.resolved_database_url)
    try:
        if migrate:
            await store.upgrade()
        if plugins is not None:
            registry = PluginRegistry(plugins)
        else:
            registry = PluginRegistry.discover(only=config.plugins or None)
        if CorePlugin.name not in registry.plugins:  # Sohbet's own settings (language)
            registry.register(CorePlugin())
        services = Services(config=config, store=store, settings=SettingsService(store))
        router = Router(registry, services)
        services.extras["registry"] = registry
        services.extras["router"] = router
        from bot.providers import AIProviders  # heavy (LangChain): only once the store is up

        services.extras["ai"] = AIProviders(config, store)
        from bot.teaching import TeachingService

        services.extras["teaching"] = TeachingService(store)
        from bot.jobs import make_job_queue, share_limits  # SOHBET_BROKER_URL

        jobs = services.extras["jobs"] = make_job_queue(config, store, services.extras["ai"])
        share_limits(jobs, router, services.extras["ai"])  # cooldowns, model turns
        for plugin in list(registry.plugins.values()):
            try:
                await plugin.setup(services)
            except Exception as exc:  # one broken plugin must not take the bot down
                log.exception("plugin %s failed to set up; it is disabled", type(plugin).name)
                registry.unregister(type(plugin).name, f"setup failed: {exc}")
    except BaseException:
        await store.close()
        raise
    return App(config, store, registry, services, router)


class DataDirUnavailable(SohbetError):
    """The data folder (database, vectors, models) can't be created."""

    def __init__(self, path: Path, error: OSError) -> None:
        super().__init__(
            f"I can't create my data folder {path} ({error.strerror or error}). "
            "Set SOHBET_DATA_DIR to a folder this user can write to, or run `sohbet doctor`."
        )


def ensure_data_dir(config: Config) -> None:
    try:
        config.data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataDirUnavailable(config.data_dir, exc) from exc
