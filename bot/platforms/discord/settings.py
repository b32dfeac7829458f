"""Settings of the Discord adapter (process-wide; per-server behaviour lives in plugins)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.config import Config
from bot.core.events import ConversationMode

__all__ = ["DiscordSettings"]


class DiscordSettings(BaseSettings):
    """Read from SOHBET_DISCORD_* variables; `from_config` adds the values kept in Config.

    `conversation_mode` is the default; a `conversation_mode` setting of the `chat` plugin,
    when that plugin has one, overrides it per server and channel.
    """

    model_config = SettingsConfigDict(env_prefix="SOHBET_DISCORD_", extra="ignore")

    dev_guild_id: int | None = None  # sync commands to this guild only
    message_content_intent: bool = False
    conversation_mode: ConversationMode = ConversationMode.PER_USER
    auto_thread: bool = False  # answer a mention in a new thread that becomes the conversation
    stream_edit_interval: float = Field(default=1.0, ge=0.0)  # seconds between streamed edits
    auto_defer_after: float = Field(default=2.0, ge=0.0, le=2.8)  # Discord allows 3 s
    max_attachment_bytes: int = Field(default=25 * 1024 * 1024, gt=0)
    reply_chain_depth: int = Field(default=25, ge=1)  # messages walked to find a chain's root

    @classmethod
    def from_config(cls, config: Config, **overrides: object) -> DiscordSettings:
        values: dict[str, object] = {
            "dev_guild_id": config.dev_guild_id,
            "message_content_intent": config.message_content_intent,
        }
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]
