"""`sohbet run` with TELEGRAM_TOKEN: the Telegram adapter alone, or beside the Discord client.

The token is read from the environment only and never logged (aiogram puts it in request URLs,
which are not logged either; errors name the token, never its value).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import Sequence

from aiogram.exceptions import TelegramUnauthorizedError
from pydantic import ValidationError

from bot.app import build_app
from bot.config import Config
from bot.core.app import App
from bot.core.errors import SohbetError
from bot.operations import Companion, Operations
from bot.platforms.telegram.adapter import TelegramAdapter
from bot.platforms.telegram.settings import TelegramSettings

__all__ = [
    "TOKEN_REJECTED",
    "TelegramCompanion",
    "TelegramTokenRejected",
    "load_settings",
    "run_telegram",
]

log = logging.getLogger(__name__)
TOKEN_REJECTED = (
    "Telegram rejected TELEGRAM_TOKEN. Copy the token again from @BotFather (/mybots -> API "
    "Token) and export it."
)


class TelegramTokenRejected(SohbetError):
    def __init__(self) -> None:
        super().__init__(TOKEN_REJECTED)


def load_settings() -> TelegramSettings | None:
    """The settings, or None (with the reason printed) when they are invalid."""
    try:
        return TelegramSettings()
    except ValidationError as exc:
        problems = "; ".join(str(e["msg"]) for e in exc.errors())
        print(f"Telegram settings are invalid: {problems}", file=sys.stderr)
        return None


class TelegramCompanion:
    """Runs the Telegram adapter beside another platform's client in the same process."""

    def __init__(self, settings: TelegramSettings) -> None:
        self.settings = settings
        self.adapter: TelegramAdapter | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self, app: App, ops: Operations) -> None:
        """Check the token (getMe), then poll in the background until the shutdown."""
        self.adapter = TelegramAdapter(app, self.settings, inflight=ops.inflight)
        try:
            await self.adapter.start()
        except TelegramUnauthorizedError:
            raise TelegramTokenRejected() from None
        self._task = asyncio.create_task(self._poll(self.adapter), name="telegram polling")
        ops.on_stop(self.adapter.stop)

    async def _poll(self, adapter: TelegramAdapter) -> None:
        try:
            await adapter.run()
        except Exception:
            log.exception("Telegram polling stopped; Discord keeps running")

    async def close(self) -> None:
        if self.adapter is not None:
            await self.adapter.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


async def run_telegram(config: Config, companions: Sequence[Companion] = ()) -> int:
    """Telegram as the only platform (with `companions`, e.g. the dashboard): run until
    stopped. Returns the process exit code."""
    settings = load_settings()
    if settings is None:
        return 2
    if settings.token is None:
        print("TELEGRAM_TOKEN is not set.", file=sys.stderr)
        return 2
    app = await build_app(config)
    ops: Operations | None = None
    adapter: TelegramAdapter | None = None
    try:
        ops = await Operations.start(app)
        adapter = TelegramAdapter(app, settings, inflight=ops.inflight)
        ops.on_stop(adapter.stop)  # once drained: ends run() below
        for companion in companions:
            await companion.start(app, ops)
        ops.install_signals()
        await adapter.run()
    except TelegramUnauthorizedError:
        print(TOKEN_REJECTED, file=sys.stderr)
        return 2
    finally:
        for companion in companions:
            await companion.close()
        if adapter is not None:
            await adapter.close()
        if ops is not None:
            await ops.close()
        await app.close()
    return 0
