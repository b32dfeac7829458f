"""The Discord client: turns gateway events into neutral events for the Router."""

from __future__ import annotations

import contextlib
import logging
from typing import Any

import discord
from discord import app_commands

from bot.core.app import App
from bot.core.errors import SohbetError
from bot.core.events import Attachment, CommandCall, Location, Reply
from bot.core.inflight import InFlight, ShuttingDown
from bot.core.options import OptionSpec
from bot.core.plugin import CommandSpec
from bot.i18n import N_, _, use_locale
from bot.platforms.discord.attachments import to_attachment
from bot.platforms.discord.commands import CommandSync, TreeBuild, build_tree
from bot.platforms.discord.conversations import ConversationResolver, is_bot_thread
from bot.platforms.discord.convert import author_of, location_of, to_message
from bot.platforms.discord.localize import SohbetTranslator
from bot.platforms.discord.messages import NO_MENTIONS
from bot.platforms.discord.permissions import invite_url
from bot.platforms.discord.ratelimit import DISCORD_ERRORS
from bot.platforms.discord.responder import InteractionResponder, MessageResponder
from bot.platforms.discord.settings import DiscordSettings

__all__ = ["SohbetClient", "build_intents"]

log = logging.getLogger(__name__)
THREAD_NAME_LENGTH = 80
_CONVERSATIONAL = (discord.MessageType.default, discord.MessageType.reply)
STALE_COMMANDS = N_(
    "That command changed since Discord last heard from me. I've refreshed my commands; "
    "please try again in a moment."
)
BROKEN = N_("Sorry, something went wrong on my side. The details are logged.")


def build_intents(settings: DiscordSettings) -> discord.Intents:
    """Only what the adapter uses. Without message content, mentions, replies to the bot and
    DMs still carry their text; slash commands never need it."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.dm_messages = True
    intents.message_content = settings.message_content_intent
    return intents


class _CutOffNotice:
    """Tells the member a reply was cut off by a shutdown, once a responder exists."""

    def __init__(self) -> None:
        self.responder: MessageResponder | InteractionResponder | None = None
        self.ephemeral = False

    async def send(self, text: str) -> None:
        if self.responder is not None:
            await self.responder.send(Reply(text, ephemeral=self.ephemeral))


class SohbetClient(discord.Client):
    def __init__(
        self,
        app: App,
        settings: DiscordSettings,
        *,
        inflight: InFlight | None = None,
        **options: Any,
    ) -> None:
        super().__init__(
            intents=build_intents(settings),
            allowed_mentions=NO_MENTIONS,
            max_ratelimit_timeout=30.0,  # longer waits raise RateLimited; streams skip an edit
            **options,
        )
        self.app = app
        self.settings = settings
        self.router = app.router
        self.tree: app_commands.CommandTree[SohbetClient] = _Tree(self)
        self.build: TreeBuild = build_tree(self.tree, app.registry, self)
        self.sync = CommandSync(self.tree, app.store.state, settings.dev_guild_id)
        self.conversations = ConversationResolver(app.router, settings)
        # Every event handler runs inside `inflight.track`, so a shutdown can drain them.
        self.inflight = inflight if inflight is not None else InFlight()

    # ----- lifecycle ---------------------------------------------------------------------

    async def setup_hook(self) -> None:
        # With several processes, the one holding shard 0 syncs the commands.
        # Names and descriptions in every language Sohbet speaks (bot.i18n catalogues).
        await self.tree.set_translator(SohbetTranslator())
        if self.settings.shard_ids is None or 0 in self.settings.shard_ids:
            await self.sync.sync_if_changed(self.application_id)

    async def on_tree_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        """Commands Discord knows but this process doesn't: resync, and say so."""
        stale = isinstance(
            error, app_commands.CommandNotFound | app_commands.CommandSignatureMismatch
        )
        if stale:
            log.warning("Discord's commands are out of date (%s); syncing again", error)
            await self.sync.sync_if_changed(self.application_id, force=True)
        else:
            log.error("application command failed", exc_info=error)
        if not interaction.response.is_done():
            with contextlib.suppress(*DISCORD_ERRORS):
                with use_locale(_locale_of(interaction)):
                    text = _(STALE_COMMANDS if stale else BROKEN)
                await interaction.response.send_message(
                    text, ephemeral=True
                )

    async def on_ready(self) -> None:
        user = self.user
        log.info("connected to Discord as %s in %d servers", user, len(self.guilds))
        if self.application_id:
            log.info("invite link: %s", invite_url(self.application_id))

    @property
    def bot_id(self) -> int | None:
        return self.user.id if self.user is not None else None

    # ----- messages ----------------------------------------------------------------------

    async def on_message(self, message: discord.Message) -> None:
        bot_id = self.bot_id
        if bot_id is None or message.author.id == bot_id or message.author.bot:
            return
        if message.type not in _CONVERSATIONAL:
            return
        notice = _CutOffNotice()
        try:
            async with self.inflight.track(notify=notice.send, name=f"message {message.id}"):
                await self._handle_message(message, bot_id, notice)
        except ShuttingDown as exc:
            if message.guild is None or any(u.id == bot_id for u in message.mentions):
                responder = MessageResponder(message, self.settings, bot_id=bot_id)
                with contextlib.suppress(Exception):
                    await responder.send(Reply(exc.user_message))

    async def _handle_message(
        self, message: discord.Message, bot_id: int, notice: _CutOffNotice
    ) -> None:
        await self._resolve_reference(message)
        event = to_message(
            message, bot_id=bot_id, max_attachment_bytes=self.settings.max_attachment_bytes
        )
        in_bot_thread = is_bot_thread(message.channel, bot_id)
        # In its own threads the bot listens without a mention, but only to what it can read:
        # without the message content intent, unaddressed messages arrive empty.
        readable = bool(message.content or message.attachments)
        addressed = (
            event.mentions_bot
            or event.reply_to_bot
            or event.location.is_dm
            or (in_bot_thread and readable)
        )
        listeners = self.router.registry.listeners
        if not addressed and all(spec.addressed_only for _plugin, spec in listeners):
            return  # nobody wants unaddressed messages
        thread = None
        if addressed and self._wants_thread(message, event.reply_to_bot):
            thread = await self._open_thread(message)
            if thread is not None:
                loc = event.location
                event.location = Location(loc.server_id, loc.channel_id, thread_id=thread.id)
                in_bot_thread = True
        responder = MessageResponder(message, self.settings, bot_id=bot_id, channel=thread)
        if addressed:
            notice.responder = responder
            try:
                event.conversation = await self.conversations.for_message(
                    message, event.location, bot_id, in_bot_thread=in_bot_thread
                )
            except SohbetError as exc:  # e.g. the database is down
                await responder.send(Reply(exc.user_message, ephemeral=True))
                return
        if addressed and listeners:
            await responder.defer()  # "typing…" while plugins work
        await self.router.handle_message(event, responder)

    async def _resolve_reference(self, message: discord.Message) -> None:
        reference = message.reference
        if reference is None or reference.message_id is None or reference.resolved is not None:
            return
        cached = reference.cached_message
        if cached is None:
            with contextlib.suppress(*DISCORD_ERRORS):
                cached = await message.channel.fetch_message(reference.message_id)
        reference.resolved = cached

    def _wants_thread(self, message: discord.Message, reply_to_bot: bool) -> bool:
        return (
            self.settings.auto_thread
            and not reply_to_bot
            and isinstance(message.channel, discord.TextChannel)
        )

    async def _open_thread(self, message: discord.Message) -> discord.Thread | None:
        name = " ".join(message.clean_content.split())[:THREAD_NAME_LENGTH] or "Sohbet"
        try:
            return await message.create_thread(name=name)
        except DISCORD_ERRORS as exc:  # no permission, rate limited: answer in the channel
            log.info("could not open a thread in %s: %s", message.channel.id, exc)
            return None

    # ----- application commands (called by the generated callbacks) ----------------------

    def _location(self, interaction: discord.Interaction) -> Location:
        if interaction.channel is not None:
            return location_of(interaction.channel, interaction.guild_id)
        return Location(
            interaction.guild_id or 0,
            interaction.channel_id or 0,
            is_dm=interaction.guild_id is None,
        )

    async def _call(
        self,
        interaction: discord.Interaction,
        spec: CommandSpec,
        options: dict[str, Any],
        target: discord.Message | None = None,
    ) -> CommandCall:
        location = self._location(interaction)
        permissions = interaction.permissions if interaction.guild_id is not None else None
        neutral_target = None
        if target is not None:
            neutral_target = to_message(
                target,
                bot_id=self.bot_id,
                max_attachment_bytes=self.settings.max_attachment_bytes,
                with_permissions=False,
            )
        return CommandCall(
            name=spec.name,
            options=options,
            author=author_of(interaction.user, permissions, _locale_of(interaction)),
            location=location,
            target=neutral_target,
            conversation=await self.conversations.for_command(
                location, interaction.user.id, interaction.id
            ),
            id=interaction.id,
            raw=interaction,
        )

    def _options(self, values: dict[str, Any]) -> dict[str, Any]:
        limit = self.settings.max_attachment_bytes
        return {
            name: to_attachment(value, limit) if isinstance(value, discord.Attachment) else value
            for name, value in values.items()
            if value is not None
        }

    async def run_command(
        self, interaction: discord.Interaction, spec: CommandSpec, values: dict[str, Any]
    ) -> None:
        await self._invoke(interaction, spec, self._options(values))

    async def run_message_command(
        self, interaction: discord.Interaction, spec: CommandSpec, message: discord.Message
    ) -> None:
        await self._invoke(interaction, spec, {}, target=message)

    async def _invoke(
        self,
        interaction: discord.Interaction,
        spec: CommandSpec,
        options: dict[str, Any],
        target: discord.Message | None = None,
    ) -> None:
        responder = InteractionResponder(
            interaction, self.settings, ephemeral=spec.ephemeral, bot_id=self.bot_id
        )
        notice = _CutOffNotice()
        notice.responder, notice.ephemeral = responder, True
        # What the adapter says before the Router decides (a shutdown, the database down)
        # follows the member's app language too.
        with use_locale(_locale_of(interaction)):
            try:
                async with self.inflight.track(notify=notice.send, name=f"/{spec.name}"):
                    await self._answer(interaction, spec, options, target, responder)
            except ShuttingDown as exc:
                with contextlib.suppress(Exception):
                    await responder.send(Reply(exc.user_message, ephemeral=True))

    async def _answer(
        self,
        interaction: discord.Interaction,
        spec: CommandSpec,
        options: dict[str, Any],
        target: discord.Message | None,
        responder: InteractionResponder,
    ) -> None:
        async with responder.auto_defer(self.settings.auto_defer_after):
            try:
                call = await self._call(interaction, spec, options, target)
                await self.router.handle_command(call, responder)
            except SohbetError as exc:  # before the Router: e.g. the database is down
                await responder.send(Reply(exc.user_message, ephemeral=True))
            except Exception:
                log.exception("handling /%s failed", spec.name)
                with contextlib.suppress(Exception):
                    await responder.send(Reply(_(BROKEN), ephemeral=True))
        await responder.finish()

    async def suggest(
        self, interaction: discord.Interaction, spec: CommandSpec, option: OptionSpec, current: str
    ) -> list[app_commands.Choice[Any]]:
        filled = {
            name: value
            for name, value in interaction.namespace
            if name != option.name and not isinstance(value, discord.Attachment | Attachment)
        }
        call = await self._call(interaction, spec, filled)
        suggestions = await self.router.autocomplete(call, option.name, str(current or ""))
        return [c for s in suggestions if (c := _choice(option, s)) is not None][:25]


def _choice(option: OptionSpec, suggestion: str) -> app_commands.Choice[Any] | None:
    label = str(suggestion)[:100]
    try:
        if option.kind == "int":
            return app_commands.Choice(name=label, value=int(suggestion))
        if option.kind == "float":
            return app_commands.Choice(name=label, value=float(suggestion))
    except (TypeError, ValueError):
        return None
    return app_commands.Choice(name=label, value=str(suggestion)[:100])


class ShardedSohbetClient(SohbetClient, discord.AutoShardedClient):
    """The same bot over several gateway shards (discord.py's AutoShardedClient)."""


def create_client(
    app: App, settings: DiscordSettings, *, inflight: InFlight | None = None
) -> SohbetClient:
    """A plain client, or a sharded one when the settings ask for sharding."""
    if not (settings.sharded or settings.shard_count or settings.shard_ids):
        return SohbetClient(app, settings, inflight=inflight)
    return ShardedSohbetClient(
        app,
        settings,
        inflight=inflight,
        shard_count=settings.shard_count,
        shard_ids=settings.shard_ids,
    )


def _locale_of(interaction: discord.Interaction) -> str | None:
    locale = getattr(interaction, "locale", None)
    return getattr(locale, "value", None) or (str(locale) if locale else None)


class _Tree(app_commands.CommandTree["SohbetClient"]):
    async def on_error(
        self, interaction: discord.Interaction[SohbetClient], error: app_commands.AppCommandError, /
    ) -> None:
        await self.client.on_tree_error(interaction, error)
