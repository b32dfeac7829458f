"""How a plugin's answer reaches a Telegram chat: HTML messages, split, streamed by edits.

Streaming edits the answer at most once per interval *per chat* (one pacer shared by every
answer in the chat), and a 429 pushes the chat's next edit to Telegram's `retry_after`; the
text received meanwhile goes out with that edit, so nothing is lost. The final text is always
written. Link previews are off (the Bot's defaults).
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter
from aiogram.types import BufferedInputFile, ReplyParameters

from bot.core.errors import SohbetError
from bot.core.events import Message, Reply
from bot.i18n import _
from bot.platforms.telegram.parser import telegram_command
from bot.platforms.telegram.render import render_html, split_for_telegram
from bot.shared.markup import plain

if TYPE_CHECKING:
    from bot.platforms.telegram.render import NameOf

__all__ = ["CURSOR", "ChatPacer", "TelegramResponder", "TelegramSentMessage"]

log = logging.getLogger(__name__)
CURSOR = " ▌"
MAX_RETRY_AFTER = 60.0
SEND_ATTEMPTS = 4
FINAL_ATTEMPTS = 6
TYPING_SECONDS = 4.5  # Telegram shows a chat action for about 5 seconds
TYPING_REPEATS = 40  # at most three minutes of "typing…"
T = TypeVar("T")
NO_PRIVATE_CHAT = (
    "You are posting anonymously, so I can't send you this privately and won't post it in the "
    "group. Ask me in a private chat, or turn off “Remain anonymous” for a moment."
)


class ChatPacer:
    """When the next edit may go out in each chat; Telegram's 429s push it later."""

    def __init__(self, clock: Callable[[], float] | None = None) -> None:
        self._clock = clock or time.monotonic
        self._next: dict[int, float] = {}
        self.rate_limited = 0  # 429s absorbed, for tests and logs

    def wait_time(self, chat_id: int) -> float:
        return max(0.0, self._next.get(chat_id, float("-inf")) - self._clock())

    def due(self, chat_id: int) -> bool:
        return self.wait_time(chat_id) == 0.0

    def sent(self, chat_id: int, interval: float) -> None:
        self._next[chat_id] = max(self._next.get(chat_id, 0.0), self._clock() + interval)
        if len(self._next) > 10_000:
            now = self._clock()
            self._next = {c: t for c, t in self._next.items() if t > now}

    def limited(self, chat_id: int, retry_after: float) -> float:
        self.rate_limited += 1
        delay = min(max(retry_after, 0.0), MAX_RETRY_AFTER)
        self._next[chat_id] = self._clock() + delay
        return delay


class TelegramSentMessage:
    """A message the bot sent, editable (document progress messages)."""

    def __init__(self, responder: TelegramResponder, message_id: int | None) -> None:
        self.responder = responder
        self.id = message_id
        self.link: str | None = responder.link_to(message_id)

    async def edit(self, text: str) -> None:
        if self.id is not None:
            await self.responder.edit(self.id, split_for_telegram(text)[0] if text else "…")


class TelegramResponder:
    """Answers one event in one chat (and forum topic), the first message replying to it."""

    def __init__(
        self,
        bot: Bot,
        chat_id: int,
        *,
        pacer: ChatPacer,
        interval: float,
        thread_id: int | None = None,
        reply_to: int | None = None,
        history: Callable[[], list[Message]] | None = None,
        name_of: NameOf | None = None,
        link_base: str | None = None,
        private_to: int | None = None,
        in_group: bool = False,
        bot_username: str = "",
    ) -> None:
        self.bot = bot
        self.chat_id = chat_id
        self.pacer = pacer
        self.interval = interval
        self.thread_id = thread_id
        self.reply_to = reply_to
        self._history = history
        self.name_of = name_of
        self.link_base = link_base  # https://t.me/c/<id> for supergroups
        # In a group, the member's private chat: where private files (an export) go; None
        # for an anonymous admin, who has none.
        self.private_to = private_to
        self.in_group = in_group
        self.bot_username = bot_username
        self.sent_message_ids: list[int] = []
        self._typing: asyncio.Task[None] | None = None

    def link_to(self, message_id: int | None) -> str | None:
        if self.link_base is None or message_id is None:
            return None
        return f"{self.link_base}/{message_id}"

    # ----- the Responder protocol ---------------------------------------------------------

    async def send(self, reply: Reply) -> TelegramSentMessage:
        if reply.ephemeral and reply.files and self.in_group:
            if self.private_to is None:
                return await self.send(Reply(NO_PRIVATE_CHAT))
            return await self._send_privately(reply)
        first: int | None = None
        for piece in split_for_telegram(reply.text) or ([] if reply.files else ["…"]):
            message_id = await self._post(piece)
            first = message_id if first is None else first
        for name, data in reply.files:
            sent = await self._call(
                lambda name=name, data=data: self.bot.send_document(  # type: ignore[misc]
                    self.chat_id,
                    BufferedInputFile(data, filename=name),
                    message_thread_id=self.thread_id,
                )
            )
            self.sent_message_ids.append(sent.message_id)
            first = sent.message_id if first is None else first
        return TelegramSentMessage(self, first)

    async def _send_privately(self, reply: Reply) -> TelegramSentMessage:
        """Telegram has no "only you can see this": files meant for one member go to their
        private chat, and the group hears only that they did."""
        assert self.private_to is not None
        private = TelegramResponder(
            self.bot,
            self.private_to,
            pacer=self.pacer,
            interval=self.interval,
            name_of=self.name_of,
        )
        try:
            await private.send(Reply(reply.text, files=reply.files))
        except (TelegramForbiddenError, TelegramBadRequest):
            start = f" (https://t.me/{self.bot_username})" if self.bot_username else ""
            return await self.send(
                Reply(
                    _(
                        "I can't message you privately yet: open a private chat with me{link}, "
                        "press Start, and ask again.",
                        link=start,
                    )
                )
            )
        return await self.send(Reply(_("📬 Sent to you in a private chat.")))

    async def stream(self, chunks: AsyncIterator[str], *, ephemeral: bool = False) -> str:
        shown: list[tuple[int, str]] = []  # (message id, its Markdown) of this answer
        text = ""
        async for piece in chunks:
            text += piece
            if text.strip() and self.pacer.due(self.chat_id):
                await self._attempt(shown, text + CURSOR)
        for _attempt in range(FINAL_ATTEMPTS):
            await asyncio.sleep(self.pacer.wait_time(self.chat_id))
            if await self._attempt(shown, text if text.strip() else "…"):
                return text
        raise SohbetError(
            _("Telegram kept rate limiting me, so the end of this answer is missing.")
        )

    async def defer(self, *, ephemeral: bool = False) -> None:
        """ "typing…" until the first message goes out (Telegram shows it for 5 seconds)."""
        if self._typing is None and not self.sent_message_ids:
            self._typing = asyncio.create_task(self._keep_typing())

    async def _keep_typing(self) -> None:
        for _repeat in range(TYPING_REPEATS):
            with contextlib.suppress(Exception):  # a courtesy: never fails an answer
                await self.bot.send_chat_action(
                    self.chat_id, "typing", message_thread_id=self.thread_id
                )
            await asyncio.sleep(TYPING_SECONDS)

    async def finish(self) -> None:
        """The event is handled: stop "typing…"."""
        self._stop_typing()

    def _stop_typing(self) -> None:
        if self._typing is not None:
            self._typing.cancel()

    async def fetch_history(self, limit: int, since: datetime | None = None) -> list[Message]:
        """Messages the bot saw in this chat (bots can't read a chat's history on Telegram)."""
        seen = self._history() if self._history is not None else []
        return [m for m in seen if since is None or m.created_at >= since][-limit:]

    # ----- sending and editing ------------------------------------------------------------

    async def edit(self, message_id: int, markdown: str) -> None:
        try:
            await self._rendered(
                markdown,
                lambda text: self._call(
                    lambda: self.bot.edit_message_text(
                        text=text, chat_id=self.chat_id, message_id=message_id
                    )
                ),
            )
        except TelegramBadRequest as exc:
            if "not modified" not in str(exc):
                raise

    async def _post(self, markdown: str) -> int:
        reply = None
        if self.reply_to is not None and not self.sent_message_ids:
            reply = ReplyParameters(message_id=self.reply_to, allow_sending_without_reply=True)
        sent = await self._rendered(
            markdown,
            lambda text: self._call(
                lambda: self.bot.send_message(
                    self.chat_id, text, message_thread_id=self.thread_id, reply_parameters=reply
                )
            ),
        )
        self.sent_message_ids.append(sent.message_id)
        self._stop_typing()
        return sent.message_id

    async def _rendered(self, markdown: str, request: Callable[[str], Awaitable[T]]) -> T:
        """`request(html)`; should Telegram not parse the HTML (markup the renderer got
        wrong), the same text again, plainly escaped: the answer is never lost."""
        try:
            return await request(render_html(markdown, self.name_of))
        except TelegramBadRequest as exc:
            if "parse entities" not in str(exc).lower():
                raise
            log.warning("Telegram could not parse an answer's HTML (%s); sent as plain text", exc)
            return await request(html.escape(plain(markdown, telegram_command), quote=False))

    async def _call(self, request: Callable[[], Awaitable[T]]) -> T:
        """One Bot API call; on 429 wait what Telegram asked and try again (a few times)."""
        for attempt in range(SEND_ATTEMPTS):
            try:
                return await request()
            except TelegramRetryAfter as exc:
                delay = self.pacer.limited(self.chat_id, float(exc.retry_after))
                if attempt == SEND_ATTEMPTS - 1:
                    raise
                log.info("Telegram asked to wait %.1f s in chat %s", delay, self.chat_id)
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")

    async def _attempt(self, shown: list[tuple[int, str]], text: str) -> bool:
        """Show `text` (split over as many messages as it needs); False on a 429."""
        try:
            for index, piece in enumerate(split_for_telegram(text)):
                if index < len(shown):
                    message_id, before = shown[index]
                    if before != piece:
                        await self._edit_once(message_id, piece)
                        shown[index] = (message_id, piece)
                else:
                    message_id = await self._post(piece)
                    shown.append((message_id, piece))
        except TelegramRetryAfter as exc:
            delay = self.pacer.limited(self.chat_id, float(exc.retry_after))
            log.info(
                "rate limited while streaming in chat %s; next edit in %.1f s", self.chat_id, delay
            )
            return False
        self.pacer.sent(self.chat_id, self.interval)
        return True

    async def _edit_once(self, message_id: int, markdown: str) -> None:
        """An edit without retries: a streamed answer just skips to the next one."""
        try:
            await self._rendered(
                markdown,
                lambda text: self.bot.edit_message_text(
                    text=text, chat_id=self.chat_id, message_id=message_id
                ),
            )
        except TelegramBadRequest as exc:
            if "not modified" not in str(exc):
                raise
