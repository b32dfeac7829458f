"""Settings of the Telegram adapter, from the environment only (the token is never logged)."""

from __future__ import annotations

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.core.events import ConversationMode

__all__ = ["MAX_DOWNLOAD_BYTES", "TelegramSettings"]

MAX_DOWNLOAD_BYTES = 20 * 1000 * 1000  # the Bot API's getFile limit (20 MB)


class TelegramSettings(BaseSettings):
    """`TELEGRAM_TOKEN` and SOHBET_TELEGRAM_* variables.

    `api_base`: another Bot API server (a self-hosted `telegram-bot-api`, or a test's loopback
    server); None is api.telegram.org. Edits of a streamed answer are paced per chat: once a
    second in private chats, once every three seconds in groups (Telegram allows a group about
    20 messages a minute).
    """

    model_config = SettingsConfigDict(
        env_prefix="SOHBET_TELEGRAM_", extra="ignore", populate_by_name=True
    )

    token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("TELEGRAM_TOKEN", "SOHBET_TELEGRAM_TOKEN")
    )
    api_base: str | None = None
    conversation_mode: ConversationMode = ConversationMode.PER_USER
    private_edit_interval: float = Field(default=1.0, ge=0.0)
    group_edit_interval: float = Field(default=3.0, ge=0.0)
    polling_timeout: int = Field(default=30, ge=0, le=50)  # seconds of getUpdates long polling
    max_download_bytes: int = Field(default=MAX_DOWNLOAD_BYTES, gt=0, le=MAX_DOWNLOAD_BYTES)
    admin_cache_seconds: float = Field(default=60.0, ge=0.0)
    history_size: int = Field(default=200, ge=0)  # messages remembered per chat (summaries)

    @field_validator("token", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """`TELEGRAM_TOKEN=` (as in .env.example) means no Telegram."""
        return None if isinstance(value, str) and not value.strip() else value
