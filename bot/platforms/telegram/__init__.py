"""The Telegram adapter (aiogram 3): the same plugins as on Discord, over the Bot API."""

from bot.platforms.telegram.adapter import TelegramAdapter
from bot.platforms.telegram.settings import TelegramSettings

__all__ = ["TelegramAdapter", "TelegramSettings"]
