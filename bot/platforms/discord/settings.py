"""Settings of the Discord adapter (process-wide; per-server behaviour lives in plugins)."""

from __future__ import annotations

from pydantic import Field, model_validator
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
    # Sharding (large bots): AutoShardedClient; count None = Discord's recommendation.
    sharded: bool = False
    shard_count: int | None = Field(default=None, ge=1)
    shard_ids: list[int] | None = None  # this process's shards when several processes share N

    @model_validator(mode="after")
    def _shards_are_consistent(self) -> DiscordSettings:
        if self.shard_ids is not None:
            if self.shard_count is None:
                raise ValueError("SOHBET_DISCORD_SHARD_IDS needs SOHBET_DISCORD_SHARD_COUNT too")
            if not self.shard_ids or any(not 0 <= i < self.shard_count for i in self.shard_ids):
                raise ValueError("each shard id must be between 0 and SHARD_COUNT - 1")
        return self

    @classmethod
    def from_config(cls, config: Config, **overrides: object) -> DiscordSettings:
        values: dict[str, object] = {
            "dev_guild_id": config.dev_guild_id,
            "message_content_intent": config.message_content_intent,
        }
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]
