"""Graceful shutdown: stop taking events, let running replies finish, tell the cut-off ones.

Adapters wrap each event they hand to the Router:

    inflight = InFlight()

    async def on_message(message):                       # one task per event (discord.py)
        try:
            async with inflight.track(notify=lambda text: channel.send(text)):
                await router.handle_message(event, responder)
        except ShuttingDown:
            return                                        # a restart is under way: ignore it

and on SIGTERM (see `on_signals`) call `await inflight.drain(grace)` before closing the
platform client, so the messages to cut-off users can still be sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from bot.core.errors import SohbetError
from bot.i18n import N_, _, current_locale, use_locale

__all__ = [
    "RESTART_MESSAGE",
    "DrainReport",
    "InFlight",
    "ShuttingDown",
    "on_signals",
]

log = logging.getLogger(__name__)

RESTART_MESSAGE = N_("I was restarted before I could finish — please ask again.")

Notify = Callable[[str], Awaitable[object]]


class ShuttingDown(SohbetError):
    """A new event arrived after shutdown began; it was not started."""

    def __init__(self) -> None:
        super().__init__(_("I'm restarting right now — please ask again in a minute."))


@dataclass
class _Entry:
    name: str
    notify: Notify | None
    locale: str = field(default_factory=current_locale)  # the member's, for the notice


@dataclass
class DrainReport:
    finished: int = 0  # handlers that completed within the grace period
    cut_off: list[str] = field(default_factory=list)  # names of the cancelled handlers
    notified: int = 0  # cut-off handlers whose user was told
    seconds: float = 0.0


class InFlight:
    """A registry of running event handlers (asyncio tasks) and the switch that refuses new ones."""

    def __init__(self) -> None:
        self._tasks: dict[asyncio.Task[Any], _Entry] = {}
        self._accepting = True
        self.on_change: Callable[[int], None] | None = None  # e.g. a Prometheus gauge

    @property
    def accepting(self) -> bool:
        return self._accepting

    def __len__(self) -> int:
        return len(self._tasks)

    def _add(self, task: asyncio.Task[Any], entry: _Entry) -> None:
        if not self._accepting:
            raise ShuttingDown()
        self._tasks[task] = entry
        self._changed()

    def _remove(self, task: asyncio.Task[Any]) -> None:
        if self._tasks.pop(task, None) is not None:
            self._changed()

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change(len(self._tasks))

    @contextlib.asynccontextmanager
    async def track(self, *, notify: Notify | None = None, name: str = "") -> AsyncIterator[None]:
        """Register the current task for the duration of the block.

        Raises ShuttingDown (before running the block) once `drain` has begun. `notify` is
        called with RESTART_MESSAGE if the block is cut off by the shutdown.
        """
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("InFlight.track needs to run inside a task")
        self._add(task, _Entry(name or task.get_name(), notify))
        try:
            yield
        finally:
            self._remove(task)

    def spawn(
        self,
        coro: Coroutine[Any, Any, Any],
        *,
        notify: Notify | None = None,
        name: str = "",
    ) -> asyncio.Task[Any]:
        """Run `coro` in a new tracked task (for adapters that don't get a task per event)."""
        if not self._accepting:
            coro.close()
            raise ShuttingDown()
        task = asyncio.get_running_loop().create_task(coro, name=name or None)
        self._add(task, _Entry(name or task.get_name(), notify))
        task.add_done_callback(self._remove)
        task.add_done_callback(_log_failure)
        return task

    def stop_accepting(self) -> None:
        self._accepting = False

    async def drain(
        self,
        grace: float = 20.0,
        *,
        message: str = RESTART_MESSAGE,  # translated when sent (`_(message)`)
        notify_timeout: float = 5.0,
    ) -> DrainReport:
        """Refuse new events, wait up to `grace` s, cancel the rest and notify their users."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        self.stop_accepting()
        me = asyncio.current_task()
        running = {t: e for t, e in self._tasks.items() if t is not me}
        report = DrainReport()
        if running:
            log.info("shutting down: waiting up to %.0f s for %d handler(s)", grace, len(running))
            _done, pending = await asyncio.wait(running, timeout=grace)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=notify_timeout)
            report.finished = len(running) - len(pending)
            cut = [running[t] for t in pending]
            report.cut_off = [e.name for e in cut]
            results = await asyncio.gather(
                *(_notify(e, message, notify_timeout) for e in cut if e.notify is not None)
            )
            report.notified = sum(results)
            if cut:
                log.warning(
                    "shutdown cut off %d handler(s); %d user(s) told to ask again",
                    len(cut),
                    report.notified,
                )
        report.seconds = loop.time() - started
        return report


async def _notify(entry: _Entry, message: str, within: float) -> bool:
    assert entry.notify is not None
    with use_locale(entry.locale):
        text = _(message)
    try:
        await asyncio.wait_for(entry.notify(text), within)
    except Exception:
        log.warning("could not tell %s about the restart", entry.name, exc_info=True)
        return False
    return True


def _log_failure(task: asyncio.Task[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("event handler %s failed", task.get_name(), exc_info=task.exception())


def on_signals(
    callback: Callable[[], object],
    signals: tuple[signal.Signals, ...] = (signal.SIGTERM, signal.SIGINT),
) -> Callable[[], None]:
    """Call `callback` (on the loop) when one of `signals` arrives; returns an undo function.

    Where the loop can't install handlers (Windows, or not the main thread), nothing is
    installed and KeyboardInterrupt keeps its default behaviour.
    """
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    for sig in signals:
        try:
            loop.add_signal_handler(sig, callback)
        except (NotImplementedError, RuntimeError, ValueError):
            continue
        installed.append(sig)

    def undo() -> None:
        for sig in installed:
            loop.remove_signal_handler(sig)

    return undo
