"""`sohbet run` with TELEGRAM_TOKEN: Telegram alone, a rejected token, and SIGTERM drains."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator

import pytest

from bot.config import Config
from bot.platforms.telegram.runner import run_telegram
from tests.telegram.conftest import ALICE
from tests.telegram.fakeapi import TOKEN, FakeTelegram, private_chat


@pytest.fixture
async def api() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram()
    await fake.start()
    yield fake
    await fake.stop()


async def test_run_telegram_answers_then_stops_on_sigterm(
    config: Config,
    api: FakeTelegram,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("DEBUG")
    monkeypatch.setenv("TELEGRAM_TOKEN", TOKEN)
    monkeypatch.setenv("SOHBET_TELEGRAM_API_BASE", api.base_url)
    monkeypatch.setenv("SOHBET_TELEGRAM_POLLING_TIMEOUT", "1")
    config = config.model_copy(update={"plugins": ["help"]})
    bot = asyncio.create_task(run_telegram(config))
    await api.until(lambda: api.called("getUpdates"), within=30)
    api.send(private_chat(ALICE), ALICE, "/help")
    await api.until(lambda: api.in_chat(ALICE["id"]), within=10)
    os.kill(os.getpid(), signal.SIGTERM)
    assert await asyncio.wait_for(bot, 15) == 0
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
    assert "connected to Telegram as @SohbetBot" in caplog.text
    assert TOKEN not in caplog.text and TOKEN.split(":")[1] not in caplog.text


async def test_a_rejected_token_is_one_sentence(
    config: Config,
    api: FakeTelegram,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    wrong = "999:not-the-token"
    monkeypatch.setenv("TELEGRAM_TOKEN", wrong)
    monkeypatch.setenv("SOHBET_TELEGRAM_API_BASE", api.base_url)
    assert await run_telegram(config.model_copy(update={"plugins": ["help"]})) == 2
    err = capsys.readouterr().err
    assert "Telegram rejected TELEGRAM_TOKEN" in err and wrong not in err


async def test_without_a_token(config: Config, capsys: pytest.CaptureFixture[str]) -> None:
    assert await run_telegram(config) == 2
    assert "TELEGRAM_TOKEN is not set." in capsys.readouterr().err


async def test_discord_and_telegram_in_one_process(
    config: Config, api: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both tokens: the Discord client (its gateway stubbed) and Telegram polling share one
    App; SIGTERM stops both."""
    from pydantic import SecretStr

    from bot.platforms.discord import SohbetClient, runner
    from bot.platforms.telegram import TelegramSettings
    from bot.platforms.telegram.runner import TelegramCompanion

    gateway_closed = asyncio.Event()

    async def gateway(self: SohbetClient, token: str, *, reconnect: bool = True) -> None:
        await gateway_closed.wait()

    original_close = SohbetClient.close

    async def close(self: SohbetClient) -> None:
        gateway_closed.set()
        await original_close(self)

    monkeypatch.setattr(SohbetClient, "start", gateway)
    monkeypatch.setattr(SohbetClient, "close", close)
    config = config.model_copy(update={"discord_token": SecretStr("x"), "plugins": ["help"]})
    telegram = TelegramSettings(token=TOKEN, api_base=api.base_url, polling_timeout=1)
    bot = asyncio.create_task(runner.run_bot(config, companions=[TelegramCompanion(telegram)]))
    await api.until(lambda: api.called("getUpdates"), within=30)
    api.send(private_chat(ALICE), ALICE, "/help")
    await api.until(lambda: api.in_chat(ALICE["id"]), within=10)
    os.kill(os.getpid(), signal.SIGTERM)
    assert await asyncio.wait_for(bot, 15) == 0
    assert gateway_closed.is_set()
