"""The base of every error that carries a friendly, user-facing sentence."""

from __future__ import annotations

from bot.shared.markup import plain

__all__ = ["SohbetError"]


class SohbetError(Exception):
    """Base error: `user_message` is safe to show to the person who caused it."""

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message  # Markdown, rendered by the platform that shows it

    def __str__(self) -> str:
        return plain(self.user_message)  # logs and terminals
