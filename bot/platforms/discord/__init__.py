"""The Discord adapter: app commands from the plugin registry, conversations, rendering."""

from bot.platforms.discord.client import SohbetClient, build_intents
from bot.platforms.discord.commands import CommandSync, build_tree, command_fingerprint
from bot.platforms.discord.render import MAX_MESSAGE_LENGTH, split_message
from bot.platforms.discord.runner import run_bot
from bot.platforms.discord.settings import DiscordSettings

__all__ = [
    "MAX_MESSAGE_LENGTH",
    "CommandSync",
    "DiscordSettings",
    "SohbetClient",
    "build_intents",
    "build_tree",
    "command_fingerprint",
    "run_bot",
    "split_message",
]
