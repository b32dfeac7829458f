"""Retention: delete conversations nobody has touched for longer than each server allows.

`days_for_server(server_id)` says how many days that server keeps conversations (DMs use
server id 0); None or 0 means "keep". It may be sync or async, so a plugin can read its
per-server setting:

    async def days(server_id: int) -> int | None:
        return (await settings.resolve(PrivacyPlugin, server_id, 0)).retention_days

    job = start_retention(store, days, interval=6 * 3600)
    ...
    await job.stop()

`retention_from_settings(registry, settings)` builds that function from the `privacy`
plugin's per-server `retention_days` setting (None when the plugin isn't loaded).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import select

from bot.core.errors import SohbetError
from bot.store.database import Store, StoreUnavailable
from bot.store.models import Conversation

if TYPE_CHECKING:
    from bot.core.registry import PluginRegistry
    from bot.core.settings import SettingsService

__all__ = [
    "DaysForServer",
    "PeriodicJob",
    "RetentionReport",
    "retention_from_settings",
    "run_retention",
    "start_retention",
]

log = logging.getLogger(__name__)

DaysForServer = Callable[[int], Awaitable[int | None] | int | None]
RETENTION_PLUGIN = "privacy"
RETENTION_SETTING = "retention_days"


def retention_from_settings(
    registry: PluginRegistry, settings: SettingsService
) -> DaysForServer | None:
    """Each server's `privacy.retention_days` (server-wide value; 0 keeps everything).

    None when no loaded plugin named `privacy` has that setting: then nothing is deleted.
    """
    plugin = registry.plugins.get(RETENTION_PLUGIN)
    if plugin is None or RETENTION_SETTING not in type(plugin).Settings.model_fields:
        return None
    plugin_type = type(plugin)

    async def days_for_server(server_id: int) -> int | None:
        resolved = await settings.resolve(plugin_type, server_id, 0)
        days = getattr(resolved, RETENTION_SETTING, None)
        return int(days) if days else None

    return days_for_server


@dataclass
class RetentionReport:
    deleted: dict[int, int] = field(default_factory=dict)  # server id -> conversations deleted
    kept: list[int] = field(default_factory=list)  # servers without a retention limit
    failed: dict[int, str] = field(default_factory=dict)  # server id -> why

    @property
    def total_deleted(self) -> int:
        return sum(self.deleted.values())


async def _server_ids(store: Store) -> list[int]:
    async with store.session() as s:
        rows = await s.scalars(select(Conversation.server_id).distinct())
        return sorted(int(r) for r in rows)


async def _days(days_for_server: DaysForServer, server_id: int) -> int | None:
    value = days_for_server(server_id)
    if inspect.isawaitable(value):
        value = await value
    return value


async def run_retention(store: Store, days_for_server: DaysForServer) -> RetentionReport:
    """One pass over every server that has conversations. A failing server doesn't stop the
    others; an unreachable database ends the pass (StoreUnavailable is raised)."""
    report = RetentionReport()
    for server_id in await _server_ids(store):
        try:
            days = await _days(days_for_server, server_id)
            if days is None or days <= 0:
                report.kept.append(server_id)
                continue
            report.deleted[server_id] = await store.conversations.delete_older_than(
                int(days), server_id
            )
        except StoreUnavailable:
            raise
        except Exception as exc:
            log.exception("retention failed for server %s", server_id)
            report.failed[server_id] = f"{type(exc).__name__}: {exc}"
    _record(report)
    if report.total_deleted:
        log.info(
            "retention deleted %d conversation(s) in %d server(s)",
            report.total_deleted,
            sum(1 for n in report.deleted.values() if n),
        )
    return report


def _record(report: RetentionReport) -> None:
    from bot.observability.metrics import default_metrics

    metrics = default_metrics()
    metrics.retention_deleted.inc(report.total_deleted)
    metrics.retention_last_run.set(time.time())


class PeriodicJob:
    """Runs `job()` every `interval` seconds in one background task until `stop()`.

    A run that raises is logged and the schedule goes on. `stop()` cancels the task (a run in
    progress is interrupted; database transactions roll back) and waits for it to end.
    """

    def __init__(
        self,
        name: str,
        job: Callable[[], Awaitable[object]],
        interval: float,
        *,
        first_delay: float = 0.0,
    ) -> None:
        if interval <= 0:
            raise ValueError("interval must be positive")
        self.name = name
        self.job = job
        self.interval = interval
        self.first_delay = first_delay
        self.runs = 0
        self.failures = 0
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> PeriodicJob:
        if not self.running:
            self._task = asyncio.get_running_loop().create_task(self._loop(), name=self.name)
        return self

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def _loop(self) -> None:
        await asyncio.sleep(self.first_delay)
        while True:
            try:
                await self.job()
            except SohbetError as exc:  # e.g. the database is down: no traceback needed
                self.failures += 1
                log.warning("background job %s skipped a run: %s", self.name, exc)
            except Exception:
                self.failures += 1
                log.exception(
                    "background job %s failed; next run in %.0f s", self.name, self.interval
                )
            self.runs += 1
            await asyncio.sleep(self.interval)


def start_retention(
    store: Store,
    days_for_server: DaysForServer,
    *,
    interval: float = 6 * 3600,
    first_delay: float = 60.0,
) -> PeriodicJob:
    """Start the periodic retention job (first run after `first_delay` s)."""

    async def job() -> None:
        await run_retention(store, days_for_server)

    return PeriodicJob("retention", job, interval, first_delay=first_delay).start()
