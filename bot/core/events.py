"""Platform-neutral events that adapters produce and plugins consume."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from bot.i18n import _, format_size
from bot.shared.records import ConversationKey

__all__ = [
    "ADMIN_PERMISSION",
    "Attachment",
    "Author",
    "CommandCall",
    "ConversationKey",
    "ConversationMode",
    "Location",
    "Message",
    "Reply",
]

# The neutral permission that admin commands require (Discord: Manage Server).
ADMIN_PERMISSION = "manage_guild"


@dataclass(frozen=True)
class Author:
    id: int
    name: str
    permissions: frozenset[str] = frozenset()
    role_ids: tuple[int, ...] = ()
    is_bot: bool = False
    # The language of the member's app when the platform sends it (Discord `en-US`,
    # Telegram `tr`): bot.core.language decides what Sohbet speaks from it.
    locale: str | None = None

    @property
    def is_admin(self) -> bool:
        return "administrator" in self.permissions or ADMIN_PERMISSION in self.permissions


@dataclass(frozen=True)
class Location:
    """Where an event happened. `server_id` is 0 for direct messages."""

    server_id: int
    channel_id: int
    thread_id: int | None = None
    is_dm: bool = False

    @property
    def effective_channel_id(self) -> int:
        return self.thread_id or self.channel_id


class ConversationMode(StrEnum):
    PER_USER = "user"  # each member has a private context per channel
    COLLABORATIVE = "channel"  # the channel or thread shares one context
    REPLY_CHAIN = "reply"  # a reply chain is its own conversation


@dataclass
class Attachment:
    """A file sent by a user; bytes are fetched lazily by the adapter."""

    name: str
    content_type: str | None
    size: int
    url: str | None = None
    fetch: Callable[[], Awaitable[bytes]] | None = field(default=None, repr=False)

    async def read(self, max_bytes: int | None = None) -> bytes:
        from bot.core.errors import SohbetError

        if max_bytes is not None and self.size > max_bytes:
            raise SohbetError(
                _(
                    "`{name}` is {size}; the limit is {limit}.",
                    name=self.name,
                    size=format_size(self.size),
                    limit=format_size(max_bytes),
                )
            )
        if self.fetch is None:
            raise SohbetError(_("I can't download `{name}`.", name=self.name))
        data = await self.fetch()
        if max_bytes is not None and len(data) > max_bytes:
            raise SohbetError(
                _(
                    "`{name}` is larger than the {limit} limit.",
                    name=self.name,
                    limit=format_size(max_bytes),
                )
            )
        return data


@dataclass
class Message:
    id: int
    content: str
    author: Author
    location: Location
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    attachments: list[Attachment] = field(default_factory=list)
    mentions_bot: bool = False
    reply_to_id: int | None = None  # the message this one replies to
    reply_to_bot: bool = False
    conversation: ConversationKey | None = None  # set by the adapter when the bot is addressed
    link: str | None = None  # permalink, used for citations
    raw: Any = field(default=None, repr=False, compare=False)  # adapter-private


@dataclass
class CommandCall:
    """A slash command (or message command) invocation with already-typed options."""

    name: str  # "translate" or "docs delete" for a subcommand
    options: dict[str, Any]
    author: Author
    location: Location
    target: Message | None = None  # for message (context-menu) commands
    conversation: ConversationKey | None = None
    id: int = 0
    raw: Any = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class Reply:
    text: str
    ephemeral: bool = False
    files: tuple[tuple[str, bytes], ...] = ()
