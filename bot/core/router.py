"""The Router: for every event, decide whether and how a plugin handles it."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from bot.core.context import Context, Responder
from bot.core.errors import (
    BadOption,
    CooldownActive,
    NotAllowed,
    PluginDisabled,
    SohbetError,
    UnknownCommand,
)
from bot.core.events import Author, CommandCall, Location, Message
from bot.core.language import LanguageDecider
from bot.core.options import convert_option
from bot.core.plugin import CommandSpec, Plugin
from bot.core.plugin_types import PluginInfo
from bot.core.registry import PluginRegistry
from bot.core.services import Services
from bot.i18n import _, current_locale, use_locale
from bot.shared.markup import command_ref

__all__ = ["Guard", "Router", "RouterObserver"]

log = logging.getLogger(__name__)

# A guard runs before a handler and raises a SohbetError to refuse (e.g. token budgets).
Guard = Callable[[Context], Awaitable[None]]


class RouterObserver(Protocol):
    def observe(self, plugin: str, handler: str, seconds: float, outcome: str) -> None: ...


class Cooldowns:
    """Per member, per command: at most one use every `seconds`."""

    def __init__(self) -> None:
        self._last: dict[tuple[str, int], float] = {}

    def remaining(self, command: str, user_id: int, seconds: float) -> float:
        """Seconds until `check` would let this member use `command` again (0: now)."""
        last = self._last.get((command, user_id))
        return 0.0 if last is None else max(0.0, seconds - (time.monotonic() - last))

    def check(self, command: str, user_id: int, seconds: float) -> None:
        if seconds <= 0:
            return
        now = time.monotonic()
        key = (command, user_id)
        last = self._last.get(key)
        if last is not None and now - last < seconds:
            raise CooldownActive(seconds - (now - last))
        self._last[key] = now
        if len(self._last) > 50_000:  # forget stale entries
            self._last = {k: v for k, v in self._last.items() if now - v < 3600}

    async def acheck(self, command: str, user_id: int, seconds: float) -> None:
        """`check`, awaited by the Router: a shared store (bot.jobs.cooldowns) needs I/O."""
        self.check(command, user_id, seconds)


class Router:
    def __init__(
        self,
        registry: PluginRegistry,
        services: Services,
        guards: list[Guard] | None = None,
        observers: list[RouterObserver] | None = None,
    ) -> None:
        self.registry = registry
        self.services = services
        self.guards = guards or []
        self.observers = observers or []
        self.cooldowns = Cooldowns()  # bot.jobs.cooldowns shares them across processes
        self.language = LanguageDecider(services.settings)

    async def locale_for(self, author: Author, location: Location) -> str:
        """The language to speak to `author` here (bot.core.language). Adapters use it for
        what they say themselves, with `bot.i18n.use_locale`."""
        return await self.language.decide(author, location)

    # ----- entry points used by adapters -------------------------------------------------

    async def handle_command(self, call: CommandCall, responder: Responder) -> None:
        with use_locale(await self.locale_for(call.author, call.location)):
            await self._handle_command(call, responder)

    async def _handle_command(self, call: CommandCall, responder: Responder) -> None:
        table = self.registry.message_commands if call.target else self.registry.slash
        registered = table.get(call.name)
        if registered is None:
            await self._refuse(responder, UnknownCommand(call.name))
            return
        plugin, spec = registered.plugin, registered.spec
        ctx: Context | None = None
        started = time.perf_counter()
        try:
            ctx = await self._context(plugin, call, responder)
            await self._authorize(ctx, spec)
            kwargs = self._arguments(spec, call)
            await self.cooldowns.acheck(spec.name, call.author.id, spec.cooldown)
            for guard in self.guards:
                await guard(ctx)
        except SohbetError as exc:
            # Disabled plugin, missing permission, cooldown, budget, database down: refused
            # before the handler ran, and counted like a refusal from inside it.
            self._observe(plugin, spec.handler_name, started, "refused")
            await self._refuse(responder, exc)
            return
        await self._run(ctx, plugin, spec.handler_name, kwargs)

    async def handle_message(self, message: Message, responder: Responder) -> None:
        """Offer a plain message to every listener that wants it."""
        if message.author.is_bot:
            return
        with use_locale(await self.locale_for(message.author, message.location)):
            await self._handle_message(message, responder)

    async def _handle_message(self, message: Message, responder: Responder) -> None:
        addressed = message.mentions_bot or message.reply_to_bot or message.location.is_dm
        addressed = addressed or message.conversation is not None
        for plugin, spec in self.registry.listeners:
            if spec.addressed_only and not addressed:
                continue
            started = time.perf_counter()
            try:
                if not await self.services.settings.is_enabled(
                    message.location.server_id, type(plugin)
                ):
                    continue
                ctx = await self._context(plugin, message, responder)
                await self._check_roles(ctx, plugin)
                for guard in self.guards:
                    await guard(ctx)
            except SohbetError as exc:
                if addressed:
                    self._observe(plugin, spec.handler_name, started, "refused")
                    await self._refuse(responder, exc)
                continue
            await self._run(ctx, plugin, spec.handler_name, {"message": message})

    async def autocomplete(self, call: CommandCall, option: str, partial: str) -> list[str]:
        with use_locale(await self.locale_for(call.author, call.location)):
            return await self._autocomplete(call, option, partial)

    async def _autocomplete(self, call: CommandCall, option: str, partial: str) -> list[str]:
        registered = self.registry.slash.get(call.name)
        if registered is None:
            return []
        spec = next((o for o in registered.spec.options if o.name == option), None)
        if spec is None or spec.autocomplete is None:
            return []
        try:
            ctx = await self._context(registered.plugin, call, _NullResponder())
            # No suggestions (e.g. document names) where the command itself would be refused.
            await self._authorize(ctx, registered.spec)
        except SohbetError:
            return []
        try:
            method = getattr(registered.plugin, spec.autocomplete)
            suggestions: list[str] = await method(ctx, partial)
            return suggestions[:25]
        except Exception:
            log.exception("autocomplete failed for /%s %s", call.name, option)
            return []

    # ----- decisions ---------------------------------------------------------------------

    async def _context(
        self, plugin: Plugin, event: Message | CommandCall, responder: Responder
    ) -> Context:
        loc = event.location
        settings = await self.services.settings.resolve(
            type(plugin), loc.server_id, loc.effective_channel_id
        )
        ctx = Context(plugin, event, settings, self.services, responder)
        ctx.locale = current_locale()
        return ctx

    async def _authorize(self, ctx: Context, spec: CommandSpec) -> None:
        plugin = ctx.plugin
        if spec.admin:
            if ctx.location.is_dm:
                raise NotAllowed(_("Admin commands only work inside a server."))
            if not ctx.author.is_admin:
                raise NotAllowed(
                    _(
                        "{command} needs the **Manage Server** permission, which you don't "
                        "have.",
                        command=command_ref(spec.name),
                    )
                )
        if not await self.services.settings.is_enabled(ctx.server_id, type(plugin)):
            raise PluginDisabled(type(plugin).name)
        await self._check_roles(ctx, plugin)

    async def _check_roles(self, ctx: Context, plugin: PluginInfo) -> None:
        if ctx.author.is_admin or ctx.location.is_dm:
            return
        allowed = await self.services.settings.allowed_roles(ctx.server_id, type(plugin).name)
        if allowed and not allowed.intersection(ctx.author.role_ids):
            raise NotAllowed(
                _(
                    "On this server, `{plugin}` is limited to certain roles, and you have none "
                    "of them.",
                    plugin=type(plugin).name,
                )
            )

    @staticmethod
    def _arguments(spec: CommandSpec, call: CommandCall) -> dict[str, Any]:
        if spec.kind == "message":
            if call.target is None:
                raise BadOption(_("`{command}` needs a message to work on.", command=spec.name))
            return {"message": call.target}
        known = {o.name for o in spec.options}
        unknown = sorted(set(call.options) - known)
        if unknown:
            listing = ", ".join(f"`{o}`" for o in sorted(known)) or _("none")
            raise BadOption(
                _(
                    "{command} has no option `{option}`. Options: {options}.",
                    command=command_ref(spec.name),
                    option=unknown[0],
                    options=listing,
                )
            )
        return {o.parameter: convert_option(o, call.options.get(o.name)) for o in spec.options}

    # ----- running handlers --------------------------------------------------------------

    async def _run(
        self, ctx: Context, plugin: Plugin, handler: str, kwargs: dict[str, Any]
    ) -> None:
        started = time.perf_counter()
        outcome = "ok"
        try:
            await plugin.handler(handler)(ctx, **kwargs)
        except SohbetError as exc:
            outcome = "refused"
            await self._refuse(ctx.responder, exc)
        except asyncio.CancelledError:
            outcome = "cancelled"  # e.g. cut off by a shutdown: not the plugin's fault
            raise
        except Exception:
            outcome = "error"
            error_id = secrets.token_hex(3)
            log.exception(
                "plugin %s failed in %s (error id %s)", type(plugin).name, handler, error_id
            )
            await self._refuse(
                ctx.responder,
                SohbetError(
                    _(
                        "Sorry, something went wrong in `{plugin}`. The details are logged "
                        "(error id `{error_id}`).",
                        plugin=type(plugin).name,
                        error_id=error_id,
                    )
                ),
            )
        finally:
            self._observe(plugin, handler, started, outcome)

    def _observe(self, plugin: Plugin, handler: str, started: float, outcome: str) -> None:
        elapsed = time.perf_counter() - started
        for observer in self.observers:
            try:
                observer.observe(type(plugin).name, handler, elapsed, outcome)
            except Exception:  # metrics must never break a reply
                log.exception("router observer %r failed", observer)

    @staticmethod
    async def _refuse(responder: Responder, error: SohbetError) -> None:
        from bot.core.events import Reply

        try:
            await responder.send(Reply(text=error.user_message, ephemeral=True))
        except Exception:
            log.exception("could not deliver an error message")


class _NullResponder:
    """Autocomplete has no way to answer; handlers only compute suggestions."""

    def __init__(self) -> None:
        self.sent_message_ids: list[int] = []  # never sends

    async def send(self, reply: Any) -> Any:
        raise RuntimeError("autocomplete cannot reply")

    async def stream(self, chunks: Any, *, ephemeral: bool = False) -> str:
        raise RuntimeError("autocomplete cannot reply")

    async def defer(self, *, ephemeral: bool = False) -> None:
        return None

    async def fetch_history(self, limit: int, since: Any = None) -> list[Message]:
        return []
