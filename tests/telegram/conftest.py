"""Real aiogram against a loopback Bot API, with the real App, Router, plugins and SQLite."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.app import App, build_app
from bot.config import Config
from bot.core.plugin import Plugin
from bot.platforms.telegram import TelegramAdapter, TelegramSettings
from tests.conftest import isolate_environment, migrated_sqlite
from tests.telegram.fakeapi import BOT, TOKEN, FakeTelegram

ALICE: dict[str, Any] = {"id": 1_000_123_456, "is_bot": False, "first_name": "Alice"}
BOB: dict[str, Any] = {"id": 222_333, "is_bot": False, "first_name": "Bob"}
GROUP_ID = -1001234567890


@dataclass
class World:
    api: FakeTelegram
    app: App
    adapter: TelegramAdapter

    @property
    def mention(self) -> str:
        return "@" + BOT["username"]


StartWorld = Callable[..., Awaitable[World]]


@pytest.fixture
async def start_world(
    fast_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sqlite_template: Path
) -> AsyncIterator[StartWorld]:
    """`await start_world(*plugins, model="echo", **telegram_settings)`."""
    isolate_environment(monkeypatch, tmp_path)
    monkeypatch.delenv("TELEGRAM_TOKEN", raising=False)
    stack = contextlib.AsyncExitStack()

    async def start(*plugins: Plugin, model: str = "echo", **settings: Any) -> World:
        migrated_sqlite(sqlite_template, fast_dir / "sohbet.db")
        config = Config(data_dir=fast_dir, model_provider="fake", model_name=model)
        app = await build_app(config, plugins=list(plugins))
        stack.push_async_callback(app.close)
        api = FakeTelegram()
        base = await api.start()
        stack.push_async_callback(api.stop)
        settings.setdefault("private_edit_interval", 0.2)
        settings.setdefault("group_edit_interval", 0.2)
        settings.setdefault("polling_timeout", 1)
        adapter = TelegramAdapter(app, TelegramSettings(api_base=base, **settings), token=TOKEN)
        task = asyncio.create_task(adapter.run())

        async def stop() -> None:
            api.release()
            await adapter.close()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, 5)
            assert not api.unknown, f"the adapter called unknown methods: {api.unknown}"

        stack.push_async_callback(stop)
        await api.until(lambda: api.called("getUpdates"))
        return World(api, app, adapter)

    yield start
    await stack.aclose()
