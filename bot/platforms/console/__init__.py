from bot.platforms.console.adapter import CONSOLE_SERVER_ID, ConsoleAdapter

__all__ = ["CONSOLE_SERVER_ID", "ConsoleAdapter"]
