"""The Context a handler receives: who, where, settings, services, and how to answer."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from bot.core.events import Author, CommandCall, ConversationKey, Location, Message, Reply
from bot.core.plugin_types import PluginInfo
from bot.core.services import TOKEN_BUDGET, Services
from bot.i18n import DEFAULT_LOCALE
from bot.shared.markup import ModelText

__all__ = ["Context", "Responder", "SentMessage"]


class SentMessage(Protocol):
    """A message the bot sent that can be edited (progress updates)."""

    @property
    def link(self) -> str | None:
        """A permanent link to it, when the platform has one."""
        ...

    async def edit(self, text: str) -> None: ...


class Responder(Protocol):
    """What a platform adapter provides to answer one event.

    `sent_message_ids`: platform ids of the messages sent for this event so far, in order
    (one answer may become several messages). Plugins store them so that a reply to any of
    them continues the conversation (`store.conversations.find_by_platform_message`).
    """

    sent_message_ids: list[int]

    async def send(self, reply: Reply) -> SentMessage: ...

    async def stream(self, chunks: AsyncIterator[str], *, ephemeral: bool = False) -> str: ...

    async def defer(self, *, ephemeral: bool = False) -> None: ...

    async def fetch_history(self, limit: int, since: datetime | None = None) -> list[Message]: ...


@dataclass
class Context:
    plugin: PluginInfo  # the plugin whose handler runs
    event: Message | CommandCall
    settings: Any  # the plugin's resolved PluginSettings instance
    services: Services
    responder: Responder
    replied: bool = False
    extras: dict[str, Any] = field(default_factory=dict)
    # The language decided for this event (bot.core.language); `bot.i18n._` already speaks
    # it while the handler runs, this is for code that must know (a date format, a menu).
    locale: str = DEFAULT_LOCALE

    @property
    def author(self) -> Author:
        return self.event.author

    @property
    def location(self) -> Location:
        return self.event.location

    @property
    def server_id(self) -> int:
        return self.event.location.server_id

    @property
    def conversation(self) -> ConversationKey:
        """The conversation this event belongs to (per user and channel when unspecified)."""
        if self.event.conversation is not None:
            return self.event.conversation
        loc = self.location
        return ConversationKey(
            loc.server_id, f"user:{self.author.id}:chan:{loc.effective_channel_id}"
        )

    async def reply(self, text: str, *, ephemeral: bool = False) -> SentMessage:
        self.replied = True
        return await self.responder.send(Reply(text=text, ephemeral=ephemeral))

    async def send(self, reply: Reply) -> SentMessage:
        self.replied = True
        return await self.responder.send(reply)

    async def stream(
        self, chunks: AsyncIterator[str], *, ephemeral: bool = False, quoted: Sequence[str] = ()
    ) -> str:
        """Show the model's answer as it arrives; returns it as the model wrote it.

        It may use formatting, but can't mention anyone, and formatting it copies from what
        the member typed (this event's text, and `quoted`: documents it was given, say) is
        shown as typed (`bot.shared.markup.ModelText`)."""
        self.replied = True
        shaper = ModelText([*self.typed_texts(), *quoted])
        written: list[str] = []

        async def shaped() -> AsyncIterator[str]:
            async for chunk in chunks:
                written.append(chunk)
                if piece := shaper.feed(chunk):
                    yield piece
            if rest := shaper.end():
                yield rest

        await self.responder.stream(shaped(), ephemeral=ephemeral)
        return "".join(written)

    def typed_texts(self) -> list[str]:
        """What members typed in this event: the message, the command's text options and the
        message it targets."""
        event = self.event
        if isinstance(event, Message):
            return [event.content]
        texts = [value for value in event.options.values() if isinstance(value, str)]
        if event.target is not None:
            texts.append(event.target.content)
        return texts

    @property
    def sent_message_ids(self) -> list[int]:
        """Ids of the messages sent for this event so far (a copy, oldest first).

        Responders written before the protocol had the attribute count as having sent none.
        """
        return list(getattr(self.responder, "sent_message_ids", ()))

    async def defer(self, *, ephemeral: bool = False) -> None:
        """Tell the platform a slow answer is coming (Discord's 3-second window)."""
        await self.responder.defer(ephemeral=ephemeral)

    async def budget_refusal(self) -> str | None:
        """Why a model call here would go over a daily token budget; None when it would not,
        or when no plugin keeps budgets. For handlers that call the model on some paths only
        (the Router already refuses the handlers of `uses_model` plugins)."""
        check = self.services.extras.get(TOKEN_BUDGET)
        if check is None:
            return None
        refusal: str | None = await check(self)
        return refusal

    async def may_remember(self, user_id: int | None = None) -> bool:
        """Whether conversation text of `user_id` (default: the author) may be stored on this
        server: their `/privacy memory` choice, else the server's default (bot.core.consent).
        Always true when no consent service is loaded (the privacy plugin provides it)."""
        from bot.core.consent import MemoryConsent

        consent = self.services.extras.get("memory")
        if not isinstance(consent, MemoryConsent):
            return True
        return await consent.allows(self.author.id if user_id is None else user_id, self.server_id)

    async def remember_turns(
        self, turns: Sequence[tuple[ConversationKey, str, str, int, str, int, int | None]]
    ) -> list[int]:
        """Store conversation turns (see `ConversationRepository.append_many`) if the author
        may be remembered; otherwise store nothing and return []. Plugins store conversation
        text through this (and `remember_summary`), so members' choices hold everywhere."""
        if not await self.may_remember():
            return []
        return await self.services.store.conversations.append_many(turns)

    async def remember_summary(self, key: ConversationKey, summary: str, up_to_id: int) -> bool:
        """Store a conversation's running summary if the author may be remembered."""
        if not await self.may_remember():
            return False
        await self.services.store.conversations.summarize(key, summary, up_to_id)
        return True

    async def channel_history(
        self, limit: int = 50, since: datetime | None = None
    ) -> list[Message]:
        """Recent messages of this channel that both the caller and the bot can read."""
        return await self.responder.fetch_history(limit, since)
