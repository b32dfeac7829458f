"""`sohbet run`: build the app, connect to Discord, close everything on the way out.

Operations run alongside: probes and metrics (SOHBET_METRICS_PORT), the retention job, and on
SIGTERM/SIGINT a graceful drain of running replies before the gateway connection closes.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

import discord
from pydantic import ValidationError

from bot.app import build_app
from bot.config import Config
from bot.operations import Companion, Operations
from bot.platforms.discord.client import create_client
from bot.platforms.discord.settings import DiscordSettings

__all__ = ["run_bot"]

log = logging.getLogger(__name__)


async def run_bot(config: Config, companions: Sequence[Companion] = ()) -> int:
    """Run until stopped, with `companions` (Telegram, the dashboard) beside the client.
    Returns the process exit code."""
    if config.discord_token is None:
        print("DISCORD_TOKEN is not set.", file=sys.stderr)
        return 2
    try:
        settings = DiscordSettings.from_config(config)
    except ValidationError as exc:
        problems = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        print(f"Discord settings are invalid: {problems}", file=sys.stderr)
        return 2
    app = await build_app(config)
    ops: Operations | None = None
    try:
        ops = await Operations.start(app)
        client = create_client(app, settings, inflight=ops.inflight)
        for name, reason in sorted(client.build.skipped.items()):
            log.warning("command %r is not available on Discord: %s", name, reason)
        ops.on_stop(client.close)  # once drained: ends client.start() below
        for companion in companions:
            await companion.start(app, ops)
        ops.install_signals()
        async with client:
            await client.start(config.discord_token.get_secret_value())
    except discord.LoginFailure:
        print(
            "Discord rejected DISCORD_TOKEN. Copy the token again from the Developer Portal "
            "(Bot -> Reset Token) and export it.",
            file=sys.stderr,
        )
        return 2
    except discord.PrivilegedIntentsRequired:
        print(
            "SOHBET_MESSAGE_CONTENT_INTENT is on, but the Message Content intent is not enabled "
            "for this application. Enable it in the Developer Portal (Bot -> Privileged Gateway "
            "Intents), or unset SOHBET_MESSAGE_CONTENT_INTENT: mentions, replies, DMs and slash "
            "commands work without it.",
            file=sys.stderr,
        )
        return 2
    finally:
        for companion in companions:
            await companion.close()
        if ops is not None:
            await ops.close()
        await app.close()
    return 0
