"""The Telegram adapter: Bot API updates (aiogram 3) -> neutral events for the Router.

- Private chats: every message is for the bot. Groups and supergroups: messages that mention
  the bot, reply to it, or are commands (`/cmd` or `/cmd@ThisBot`).
- Ids are platform-qualified (`bot.core.identity`): a group is a server (its chat id), a
  private chat is a direct message (server 0); forum topics are threads.
- Commands come from the plugin registry and are parsed like the console's
  (`bot.platforms.telegram.parser`); chat administrators (getChatMember) are admins, and so
  is a message the group itself sent (an administrator with "Remain anonymous" on).
- In groups, a command no plugin has is another bot's: silence, unless it names this bot
  (`/cmd@ThisBot`); private chats hear that it doesn't exist.
- A group upgraded to a supergroup gets a new chat id: its settings, documents, conversations
  and budgets move to it (`bot.maintenance.server_move`) when Telegram announces the move.
- Text reaches plugins as typed: only the bot's @mention is removed.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import io
import logging
import re
import time
from collections import deque
from datetime import UTC
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import PRODUCTION, TelegramAPIServer
from aiogram.enums import ChatMemberStatus, ChatType, MessageEntityType, ParseMode
from aiogram.exceptions import TelegramAPIError
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    Document,
)
from aiogram.types import Message as TgMessage

from bot.core.app import App
from bot.core.declared import describe
from bot.core.errors import SohbetError, UnknownCommand
from bot.core.events import (
    ADMIN_PERMISSION,
    Attachment,
    Author,
    CommandCall,
    ConversationKey,
    ConversationMode,
    Location,
    Message,
    Reply,
)
from bot.core.identity import Platform, core_id, native_id
from bot.core.inflight import InFlight, ShuttingDown
from bot.core.plugin import CommandSpec
from bot.i18n import DEFAULT_LOCALE, N_, _, format_size, known_locales, use_locale
from bot.maintenance.server_move import move_server
from bot.platforms.conversation_mode import configured_mode
from bot.platforms.telegram.parser import (
    addressed_elsewhere,
    addressee,
    command_menu_name,
    parse_command,
    usage,
)
from bot.platforms.telegram.responder import ChatPacer, TelegramResponder
from bot.platforms.telegram.settings import TelegramSettings
from bot.platforms.text import as_typed
from bot.shared.markup import command_ref

__all__ = ["TelegramAdapter", "command_menu"]

log = logging.getLogger(__name__)
BROKEN = N_("Sorry, something went wrong on my side. The details are logged.")
WELCOME = N_(
    "Hi, I'm Sohbet. Write to me here, or mention me (or reply to me) in a group. "
    "{help} lists what I can do."
)
ADMIN_PERMISSIONS = frozenset({"administrator", ADMIN_PERMISSION})
_GROUPS = {ChatType.GROUP, ChatType.SUPERGROUP}
# Telegram delivers the files of an album (several documents sent at once) as separate updates,
# within a moment of each other; they are gathered this long, then handled as one message.
ALBUM_WAIT = 1.0


def tg(native: int) -> int:
    """The core's id for a Telegram id."""
    return core_id(Platform.TELEGRAM, native)


def command_menu(specs: list[CommandSpec]) -> tuple[list[BotCommand], list[BotCommand]]:
    """(everyone's commands, administrators' commands): Telegram's menu, 100 at most, with
    descriptions in the current language (names are Latin: Telegram allows a-z, 0-9, _)."""
    everyone: list[BotCommand] = []
    admins: list[BotCommand] = []
    for spec in specs:
        if spec.kind != "slash":
            continue
        description = describe(spec.description)[:256] or spec.name
        entry = BotCommand(command=command_menu_name(spec), description=description)
        admins.append(entry)
        if not spec.admin:
            everyone.append(entry)
    return everyone[:100], admins[:100]


class TelegramAdapter:
    def __init__(
        self,
        app: App,
        settings: TelegramSettings,
        *,
        inflight: InFlight | None = None,
        token: str | None = None,
    ) -> None:
        self.app = app
        self.router = app.router
        self.settings = settings
        secret = token or (settings.token.get_secret_value() if settings.token else None)
        if not secret:
            raise SohbetError("TELEGRAM_TOKEN is not set.")
        api = TelegramAPIServer.from_base(settings.api_base) if settings.api_base else PRODUCTION
        self.bot = Bot(
            secret,
            session=AiohttpSession(api=api),
            default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
        )
        self.dispatcher = Dispatcher()
        self.dispatcher.message.register(self.on_message)
        self.inflight = inflight if inflight is not None else InFlight()
        self.pacer = ChatPacer()
        self.bot_id = 0
        self.username = ""
        self._admins: dict[tuple[int, int], tuple[float, bool]] = {}
        self._history: dict[int, deque[Message]] = {}
        self._names: dict[int, str] = {}
        self._moving = asyncio.Lock()  # one group move at a time
        self._albums: dict[tuple[int, str], list[TgMessage]] = {}

    # ----- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Who am I, and the command menus."""
        me = await self.bot.get_me()
        self.bot_id, self.username = me.id, me.username or ""
        log.info("connected to Telegram as @%s", self.username)
        await self.sync_commands()

    async def sync_commands(self) -> None:
        """The menus in English (the default) and in every other language Sohbet speaks, for
        members whose app is set to it (`language_code`)."""
        for language in known_locales():
            with use_locale(language):
                everyone, admins = command_menu(self.router.registry.all_commands())
            code = None if language == DEFAULT_LOCALE else language
            await self.bot.set_my_commands(
                everyone, scope=BotCommandScopeAllPrivateChats(), language_code=code
            )
            await self.bot.set_my_commands(
                everyone, scope=BotCommandScopeAllGroupChats(), language_code=code
            )
            await self.bot.set_my_commands(
                admins, scope=BotCommandScopeAllChatAdministrators(), language_code=code
            )

    async def run(self) -> None:
        """Long-poll until `stop()`."""
        await self.start()
        await self.dispatcher.start_polling(
            self.bot,
            handle_signals=False,
            close_bot_session=False,
            polling_timeout=self.settings.polling_timeout,
            allowed_updates=["message"],
        )

    async def stop(self) -> None:
        with contextlib.suppress(RuntimeError):  # not polling
            await self.dispatcher.stop_polling()

    async def close(self) -> None:
        await self.stop()
        await self.bot.session.close()

    # ----- updates ---------------------------------------------------------------------------

    async def on_message(self, message: TgMessage) -> None:
        if message.migrate_to_chat_id or message.migrate_from_chat_id:
            await self._migrated(message)
            return
        user = message.from_user
        if user is None or message.chat.type not in {ChatType.PRIVATE, *_GROUPS}:
            return
        if user.is_bot and not is_anonymous_admin(message):
            return  # other bots, and a linked channel's posts
        if not self.bot_id:
            await self.start()
        if message.media_group_id and message.document is not None:
            await self._gather_album(message)
            return
        await self._dispatch(message)

    async def _gather_album(self, message: TgMessage) -> None:
        """An album's documents, handled together: the one whose caption is a command
        (`/docs_upload`) gets the others as its further file options; without a command, each
        is handled on its own as before. Updates run as concurrent tasks, so the first part
        waits for the rest here."""
        key = (message.chat.id, str(message.media_group_id))
        parts = self._albums.setdefault(key, [])
        parts.append(message)
        if len(parts) > 1:
            return  # the first part's task handles the album
        await asyncio.sleep(ALBUM_WAIT)
        parts = self._albums.pop(key, parts)
        lead = next((m for m in parts if (m.caption or "").startswith("/")), None)
        if lead is None:
            for part in parts:
                await self._dispatch(part)
            return
        await self._dispatch(lead, album=[m for m in parts if m is not lead])

    async def _dispatch(self, message: TgMessage, album: list[TgMessage] | None = None) -> None:
        user = message.from_user
        assert user is not None  # checked by on_message
        responder = self._responder(message)
        # What the adapter says itself follows the member's language too (bot.core.language).
        member = Author(tg(user.id), user.full_name, locale=user.language_code)
        with use_locale(await self.router.locale_for(member, self.location_of(message))):
            await self._answer(message, responder, album or [])

    async def _answer(
        self, message: TgMessage, responder: TelegramResponder, album: list[TgMessage]
    ) -> None:
        try:
            async with self.inflight.track(
                notify=lambda text: responder.send(Reply(text)),
                name=f"telegram {message.message_id}",
            ):
                try:
                    await self._handle(message, responder, album)
                finally:
                    await responder.finish()
        except ShuttingDown as exc:
            with contextlib.suppress(Exception):
                await responder.send(Reply(exc.user_message))
        except SohbetError as exc:  # before the Router: e.g. the database is down
            with contextlib.suppress(Exception):
                await responder.send(Reply(exc.user_message))
        except Exception:
            log.exception("handling a Telegram message failed")
            with contextlib.suppress(Exception):
                await responder.send(Reply(_(BROKEN)))

    async def _handle(
        self, message: TgMessage, responder: TelegramResponder, album: list[TgMessage]
    ) -> None:
        text = message.text or message.caption or ""
        event = self.to_message(message)
        if text.startswith("/"):
            await self._command(message, event, text, responder, album)
            return
        self._remember(message.chat.id, event)  # for channel summaries: not the commands
        addressed = event.location.is_dm or event.mentions_bot or event.reply_to_bot
        if not addressed:
            return
        event.conversation = await self._conversation(message, event.location)
        if self.router.registry.listeners:
            await responder.defer()
        await self.router.handle_message(event, responder)

    async def _command(
        self,
        message: TgMessage,
        event: Message,
        text: str,
        responder: TelegramResponder,
        album: list[TgMessage],
    ) -> None:
        if addressed_elsewhere(text, self.username):
            return
        named_us = addressee(text) is not None  # `/cmd@ThisBot`
        registry = self.router.registry
        if text.split(maxsplit=1)[0].split("@")[0].lower() == "/start" and (
            "start" not in registry.slash
        ):
            # the Start button of a new private chat
            await responder.send(Reply(_(WELCOME, help=command_ref("help"))))
            return
        slash = {name: c.spec for name, c in registry.slash.items()}
        menus = {name: c.spec for name, c in registry.message_commands.items()}
        replied = message.reply_to_message
        try:
            parsed = parse_command(
                text,
                slash,
                menus,
                replying=replied is not None and not self._is_topic_root(message),
                replied_text=(replied.text or replied.caption) if replied is not None else None,
            )
        except UnknownCommand as exc:
            if event.location.is_dm or named_us:
                await responder.send(Reply(exc.user_message))
            return  # another bot's command in a group
        except SohbetError as exc:
            await responder.send(Reply(exc.user_message))
            return
        options = dict(parsed.options)
        target: Message | None = None
        if parsed.on_reply and replied is not None:
            target = self.to_message(replied)
        elif parsed.file_option is not None:
            document = message.document or (replied.document if replied is not None else None)
            if document is not None:
                options[parsed.file_option] = self.attachment(document)
            # An album's other documents fill the command's further file options, in order.
            further = [
                option.name
                for option in parsed.spec.options
                if option.kind == "attachment" and option.name != parsed.file_option
            ]
            for name, part in zip(further, album, strict=False):
                assert part.document is not None
                options[name] = self.attachment(part.document)
        location = event.location
        author = event.author
        if not location.is_dm and not author.is_admin:
            author = await self._with_admin(message.chat.id, author)
        options = self._native_members(options, parsed.spec)
        if (
            any(o.name == "member" for o in parsed.spec.options)
            and "member" not in options
            and replied is not None
            and replied.from_user is not None
            and not self._is_topic_root(message)
        ):
            options["member"] = str(sender(replied).id)  # reply + command: that member
        call = CommandCall(
            name=parsed.spec.name,
            options=options,
            author=author,
            location=location,
            target=target,
            conversation=await self._command_conversation(location, author.id, message),
            id=message.message_id,
            raw=message,
        )
        missing = [
            o.name
            for o in parsed.spec.options
            if o.required and o.name not in options and o.kind != "attachment"
        ]
        if missing:
            await responder.send(
                Reply(_("`{option}` is missing.", option=missing[0]) + " " + usage(parsed.spec))
            )
            return
        if parsed.file_option is not None and parsed.file_option not in options:
            option = next(o for o in parsed.spec.options if o.name == parsed.file_option)
            if option.required:
                command = command_ref(parsed.spec.name)
                await responder.send(
                    Reply(
                        _(
                            "Send the file with {command} as its caption, or reply to it "
                            "with it.",
                            command=command,
                        )
                    )
                )
                return
        await self.router.handle_command(call, responder)

    @staticmethod
    def _native_members(options: dict[str, Any], spec: CommandSpec) -> dict[str, Any]:
        """A `member` given as a Telegram user id is that user's platform-qualified id."""
        value = options.get("member")
        if not isinstance(value, str) or not any(o.name == "member" for o in spec.options):
            return options
        digits = value.strip().lstrip("@")
        if digits.isdigit():
            return options | {"member": str(tg(int(digits)))}
        return options

    @staticmethod
    def _is_topic_root(message: TgMessage) -> bool:
        """In forum topics every message "replies" to the topic's first message."""
        replied = message.reply_to_message
        return bool(
            message.is_topic_message
            and replied is not None
            and replied.message_id == message.message_thread_id
        )

    # ----- conversion ------------------------------------------------------------------------

    def location_of(self, message: TgMessage) -> Location:
        chat = message.chat
        if chat.type == ChatType.PRIVATE:
            return Location(0, tg(chat.id), is_dm=True)
        thread = message.message_thread_id if message.is_topic_message else None
        return Location(tg(chat.id), tg(chat.id), thread_id=thread)

    def to_message(self, message: TgMessage) -> Message:
        """The neutral Message (bot's own messages too: a replied-to answer)."""
        text = message.text or message.caption or ""
        mentioned = self._mentions_bot(message)
        if mentioned and self.username:
            text = re.sub(rf"@{re.escape(self.username)}\b[ \t]*", "", text, flags=re.IGNORECASE)
        replied = message.reply_to_message
        reply_to_bot = (
            replied is not None
            and not self._is_topic_root(message)
            and replied.from_user is not None
            and replied.from_user.id == self.bot_id
        )
        author = sender(message)
        if message.from_user is not None:
            self._names[author.id] = author.name
        attachments = [self.attachment(message.document)] if message.document else []
        created = message.date
        if created.tzinfo is None:
            created = created.replace(tzinfo=UTC)
        return Message(
            id=message.message_id,
            content=as_typed(text),
            author=author,
            location=self.location_of(message),
            created_at=created,
            attachments=attachments,
            mentions_bot=mentioned,
            reply_to_id=replied.message_id if replied is not None else None,
            reply_to_bot=reply_to_bot,
            link=self._link(message),
            raw=message,
        )

    def _mentions_bot(self, message: TgMessage) -> bool:
        text = message.text or message.caption or ""
        for entity in message.entities or message.caption_entities or []:
            user = entity.user
            if entity.type == MessageEntityType.TEXT_MENTION and user and user.id == self.bot_id:
                return True
            if entity.type == MessageEntityType.MENTION and self.username:
                mention = entity.extract_from(text)
                if mention.lower() == f"@{self.username.lower()}":
                    return True
        return False

    def attachment(self, document: Document) -> Attachment:
        """A document, downloaded (getFile, then the file URL) only when a plugin reads it."""
        limit = self.settings.max_download_bytes
        size = document.file_size or 0
        name = document.file_name or "file"

        async def fetch() -> bytes:
            if size > limit:
                raise SohbetError(
                    _(
                        "`{name}` is too large: bots can download files up to {limit} on "
                        "Telegram.",
                        name=name,
                        limit=format_size(limit),
                    )
                )
            try:
                file = await self.bot.get_file(document.file_id)
                if file.file_path is None:
                    raise SohbetError(
                        _("Telegram didn't give me `{name}`; please send it again.", name=name)
                    )
                buffer = io.BytesIO()
                await self.bot.download_file(file.file_path, destination=buffer)
            except TelegramAPIError as exc:
                raise SohbetError(
                    _("I couldn't download `{name}` from Telegram: {error}.", name=name, error=exc)
                ) from exc
            return buffer.getvalue()

        return Attachment(name, document.mime_type, size, url=None, fetch=fetch)

    def _link(self, message: TgMessage) -> str | None:
        chat = message.chat
        if chat.username:
            return f"https://t.me/{chat.username}/{message.message_id}"
        if chat.type == ChatType.SUPERGROUP:
            return f"https://t.me/c/{str(chat.id).removeprefix('-100')}/{message.message_id}"
        return None

    def _responder(self, message: TgMessage) -> TelegramResponder:
        chat = message.chat
        private = chat.type == ChatType.PRIVATE
        link = self._link(message)
        return TelegramResponder(
            self.bot,
            chat.id,
            pacer=self.pacer,
            interval=(
                self.settings.private_edit_interval
                if private
                else self.settings.group_edit_interval
            ),
            thread_id=message.message_thread_id if message.is_topic_message else None,
            reply_to=message.message_id,
            history=lambda: list(self._history.get(chat.id, ())),
            name_of=self._names.get,
            link_base=link.rsplit("/", 1)[0] if link else None,
            # an anonymous admin has no private chat with the bot: no one to send files to
            private_to=(
                None
                if private or message.from_user is None or is_anonymous_admin(message)
                else message.from_user.id
            ),
            in_group=not private,
            bot_username=self.username,
        )

    def _remember(self, chat_id: int, event: Message) -> None:
        if self.settings.history_size <= 0:
            return
        seen = self._history.setdefault(chat_id, deque(maxlen=self.settings.history_size))
        seen.append(event)

    async def _migrated(self, message: TgMessage) -> None:
        """The group became a supergroup (Telegram says so in both chats: the second time
        finishes whatever the first left undone)."""
        if message.migrate_to_chat_id:
            old, new = message.chat.id, message.migrate_to_chat_id
        else:
            old, new = int(message.migrate_from_chat_id or 0), message.chat.id
        async with self._moving:
            try:
                await move_server(self.router.services, tg(old), tg(new))
            except Exception:
                log.exception("moving group %s to its supergroup %s failed", old, new)
                return
        seen = self._history.pop(old, None)
        if seen is not None:
            here = self._history.setdefault(new, deque(maxlen=seen.maxlen))
            here.extendleft(reversed(seen))

    # ----- admins ----------------------------------------------------------------------------

    async def is_admin(self, chat_id: int, user_id: int) -> bool:
        """The chat's creator and administrators (getChatMember, cached briefly)."""
        key = (chat_id, user_id)
        cached = self._admins.get(key)
        now = time.monotonic()
        if cached is not None and now - cached[0] < self.settings.admin_cache_seconds:
            return cached[1]
        try:
            member = await self.bot.get_chat_member(chat_id, user_id)
        except TelegramAPIError as exc:
            log.info("getChatMember failed in %s: %s", chat_id, exc)
            return False
        admin = member.status in {ChatMemberStatus.CREATOR, ChatMemberStatus.ADMINISTRATOR}
        self._admins[key] = (now, admin)
        return admin

    async def _with_admin(self, chat_id: int, author: Author) -> Author:
        _platform, native_user = native_id(author.id)
        if await self.is_admin(chat_id, native_user):
            return dataclasses.replace(author, permissions=ADMIN_PERMISSIONS)
        return author

    # ----- conversations ---------------------------------------------------------------------

    async def mode(self, location: Location) -> ConversationMode:
        """The chat plugin's `conversation_mode` here (topic, chat), else the adapter's."""
        return await configured_mode(self.router, location, self.settings.conversation_mode)

    async def _conversation(self, message: TgMessage, location: Location) -> ConversationKey:
        mode = await self.mode(location)
        user = sender(message).id
        replied = message.reply_to_message
        if replied is not None and not self._is_topic_root(message):
            stored = await self.router.services.store.conversations.find_by_platform_message(
                location.server_id, replied.message_id
            )
            if stored is not None and _may_join(stored, user, location):
                return stored
        root = None
        if mode is ConversationMode.REPLY_CHAIN:
            root = replied.message_id if replied is not None else message.message_id
        return conversation_key(mode, location, user, root)

    async def _command_conversation(
        self, location: Location, user_id: int, message: TgMessage
    ) -> ConversationKey:
        mode = await self.mode(location)
        return conversation_key(mode, location, user_id, message.message_id)


def is_anonymous_admin(message: TgMessage) -> bool:
    """Sent by the group itself: an administrator with "Remain anonymous" on (Telegram names
    GroupAnonymousBot as the sender). Only administrators can post as the group; a linked
    channel's posts carry the channel as `sender_chat`, not the group."""
    chat = message.sender_chat
    return chat is not None and chat.id == message.chat.id and message.chat.type in _GROUPS


def sender(message: TgMessage) -> Author:
    """Who wrote `message`: a member, the bot, or the group's anonymous administrator (one
    author per group: the group's id, the admin's signature or the group's title)."""
    if is_anonymous_admin(message):
        name = message.author_signature or message.chat.title or "Group admin"
        locale = message.from_user.language_code if message.from_user else None
        return Author(tg(message.chat.id), name, ADMIN_PERMISSIONS, locale=locale)
    user = message.from_user
    if user is None:
        return Author(0, "someone")
    return Author(
        tg(user.id), user.full_name or "someone", is_bot=user.is_bot, locale=user.language_code
    )


def conversation_key(
    mode: ConversationMode, location: Location, user_id: int, root_id: int | None
) -> ConversationKey:
    """Like Discord's; message ids are per chat on Telegram, so in private chats (all under
    server 0) a reply chain's key names the chat too."""
    server, channel = location.server_id, location.effective_channel_id
    if mode is ConversationMode.REPLY_CHAIN and root_id is not None:
        prefix = f"reply:{channel}:" if location.is_dm else "reply:"
        return ConversationKey(server, f"{prefix}{root_id}")
    if mode is ConversationMode.COLLABORATIVE and not location.is_dm:
        if location.thread_id is not None:
            return ConversationKey(server, f"thread:{location.thread_id}")
        return ConversationKey(server, f"channel:{channel}")
    return ConversationKey(server, f"user:{user_id}:chan:{channel}")


def _may_join(key: ConversationKey, user_id: int, location: Location) -> bool:
    """Private conversations belong to their member; in private chats (server 0, where
    message ids repeat across chats) only this chat's conversations count."""
    if key.scope.startswith("user:") and not key.scope.startswith(f"user:{user_id}:"):
        return False
    if location.is_dm:
        channel = location.effective_channel_id
        return key.scope.endswith(f":chan:{channel}") or key.scope.startswith(f"reply:{channel}:")
    return True
