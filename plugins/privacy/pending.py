"""Deletions `/privacy forget` could not finish (a plugin's store busy or down): remembered in
the database and finished in the background, so a member's request is carried out in full.

    pending = PendingForgets(store, registry)   # PrivacyPlugin.setup starts it
    await pending.add(user_id, server_id, ["docs"])
    await pending.finish()                      # what the background loop runs
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.core.registry import PluginRegistry
    from bot.store.database import Store

__all__ = ["PENDING_KEY", "Pending", "PendingForgets"]

log = logging.getLogger(__name__)

PENDING_KEY = "privacy.forget-pending"  # bot_state: a JSON list of Pending
RETRY_S = 60.0  # between attempts to finish
FIRST_CHECK_S = 5.0  # after start-up: requests left by an earlier run of the bot


@dataclass(frozen=True)
class Pending:
    user_id: int
    server_id: int | None  # None: everywhere
    plugins: tuple[str, ...]  # whose forget_user still has to succeed
    keep_shared: bool = False  # the member leaves their shared documents to the others


class PendingForgets:
    def __init__(self, store: Store, registry: PluginRegistry, retry_s: float = RETRY_S) -> None:
        self.store = store
        self.registry = registry
        self.retry_s = retry_s
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="privacy-forget-pending")

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def add(
        self,
        user_id: int,
        server_id: int | None,
        plugins: Collection[str],
        *,
        keep_shared: bool = False,
    ) -> None:
        async with self._lock:
            entries = await self._read()
            for i, entry in enumerate(entries):
                if (entry.user_id, entry.server_id) == (user_id, server_id):
                    merged = tuple(sorted({*entry.plugins, *plugins}))
                    entries[i] = Pending(user_id, server_id, merged, keep_shared)  # the latest
                    break
            else:
                entries.append(Pending(user_id, server_id, tuple(sorted(plugins)), keep_shared))
            await self._write(entries)
        self._wake.set()

    async def of(self, user_id: int) -> list[Pending]:
        return [e for e in await self._read() if e.user_id == user_id]

    async def finish(self) -> list[Pending]:
        """Run each pending plugin deletion again; returns what is still left."""
        async with self._lock:
            left: list[Pending] = []
            for entry in await self._read():
                failed = [name for name in entry.plugins if not await self._forget(entry, name)]
                if failed:
                    left.append(
                        Pending(entry.user_id, entry.server_id, tuple(failed), entry.keep_shared)
                    )
                else:
                    log.info("finished deleting the data of user %s", entry.user_id)
            await self._write(left)
            await self.store.purge_deleted()
            return left

    async def _forget(self, entry: Pending, name: str) -> bool:
        plugin = self.registry.plugins.get(name)
        if plugin is None:  # uninstalled since: it keeps nothing we could reach
            return True
        try:
            if entry.keep_shared:  # what they chose to leave is kept first, never deleted
                await plugin.keep_shared(entry.user_id, entry.server_id)
            await plugin.forget_user(entry.user_id, entry.server_id)
        except Exception as exc:
            log.warning("still can't delete user %s's data in %s: %s", entry.user_id, name, exc)
            return False
        return True

    async def _run(self) -> None:
        await asyncio.sleep(FIRST_CHECK_S)
        while True:
            self._wake.clear()  # before reading: a request added meanwhile wakes the next wait
            try:
                blocked = bool(await self._read() and await self.finish())
            except Exception:  # the database is down, say: try again later
                log.warning("pending /privacy forget requests not checked", exc_info=True)
                blocked = True
            if not blocked:
                await self._wake.wait()  # nothing left: until the next partial forget
            await asyncio.sleep(self.retry_s)  # what blocked it rarely clears at once

    async def _read(self) -> list[Pending]:
        raw = await self.store.state.get(PENDING_KEY)
        try:
            items = json.loads(raw) if raw else []
            return [
                Pending(i["user"], i["server"], tuple(i["plugins"]), bool(i.get("keep")))
                for i in items
            ]
        except (ValueError, KeyError, TypeError):
            log.error("unreadable %s in bot_state: %r", PENDING_KEY, raw)
            return []

    async def _write(self, entries: list[Pending]) -> None:
        if not entries:
            await self.store.state.delete(PENDING_KEY)
            return
        items = [
            {"user": e.user_id, "server": e.server_id, "plugins": e.plugins, "keep": e.keep_shared}
            for e in entries
        ]
        await self.store.state.set(PENDING_KEY, json.dumps(items))
