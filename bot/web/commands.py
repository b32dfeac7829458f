"""Running the plugins' own code paths for a dashboard user: a Context for `check_setting`,
and commands dispatched through the Router (the same checks as on Discord)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

from bot.core.context import Context
from bot.core.events import ADMIN_PERMISSION, Author, CommandCall, Location, Message, Reply
from bot.core.plugin import Plugin
from bot.core.services import Services
from bot.shared.markup import plain
from bot.web.security import Session

__all__ = ["WebResponder", "admin_author", "setting_context"]


def admin_author(session: Session) -> Author:
    """The dashboard user as an author who passed the Manage Server check."""
    return Author(session.user_id, session.user_name, frozenset({ADMIN_PERMISSION}))


class _WebMessage:
    link: str | None = None

    def __init__(self, responder: WebResponder, index: int) -> None:
        self.responder = responder
        self.index = index

    async def edit(self, text: str) -> None:
        self.responder.messages[self.index] = plain(text)
        self.responder.changed(plain(text))


class WebResponder:
    """Collects what a command answers, as plain text (command references in Discord's form,
    escapes removed); `on_text` sees every new or edited message."""

    def __init__(self, on_text: Callable[[str], None] | None = None) -> None:
        self.messages: list[str] = []
        self.sent_message_ids: list[int] = []
        self._on_text = on_text

    def changed(self, text: str) -> None:
        if self._on_text is not None:
            self._on_text(text)

    async def send(self, reply: Reply) -> _WebMessage:
        self.messages.append(plain(reply.text))
        self.changed(plain(reply.text))
        return _WebMessage(self, len(self.messages) - 1)

    async def stream(self, chunks: AsyncIterator[str], *, ephemeral: bool = False) -> str:
        text = "".join([c async for c in chunks])
        await self.send(Reply(text, ephemeral))
        return text

    async def defer(self, *, ephemeral: bool = False) -> None:
        return None

    async def fetch_history(self, limit: int, since: datetime | None = None) -> list[Message]:
        return []


async def setting_context(
    services: Services,
    plugin: Plugin,
    session: Session,
    server_id: int,
    channel_id: int,
    options: dict[str, Any],
) -> Context:
    """The Context `/plugins config set` would give `check_setting`, for a web change."""
    call = CommandCall(
        name="plugins config set",
        options=options,
        author=admin_author(session),
        location=Location(server_id, channel_id),
    )
    settings = await services.settings.resolve(type(plugin), server_id, channel_id)
    return Context(plugin, call, settings, services, WebResponder())
