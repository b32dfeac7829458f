"""The plugin API: a base class, typed settings and decorators for commands and listeners."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from bot.core.options import OptionSpec, options_from_signature
from bot.core.plugin_types import PluginInfo, PluginSettings

if TYPE_CHECKING:
    from bot.core.context import Context
    from bot.core.services import Services

# The kinds `Plugin.keep_shared` counts start with this: kept, not deleted.
KEPT = "kept:"

__all__ = [
    "KEPT",
    "CommandSpec",
    "ListenerSpec",
    "Plugin",
    "PluginSettings",
    "command",
    "listener",
    "message_command",
]

Handler = Callable[..., Awaitable[None]]
F = TypeVar("F", bound=Handler)


@dataclass(frozen=True)
class CommandSpec:
    """A slash command (kind "slash") or a context-menu message command (kind "message")."""

    name: str
    description: str
    handler_name: str
    kind: str = "slash"
    options: tuple[OptionSpec, ...] = ()
    admin: bool = False
    cooldown: float = 0.0  # seconds between uses per member
    ephemeral: bool = False  # replies only visible to the caller (where supported)
    plugin: str = ""

    @property
    def qualified(self) -> str:
        return self.name


@dataclass(frozen=True)
class ListenerSpec:
    handler_name: str
    addressed_only: bool = True  # only messages that mention, reply to or DM the bot
    plugin: str = ""


def command(
    name: str | None = None,
    *,
    description: str = "",
    admin: bool = False,
    cooldown: float = 0.0,
    ephemeral: bool = False,
) -> Callable[[F], F]:
    """Mark `async def handler(self, ctx, **options)` as a command. Options come from the
    signature: str, int, float, bool, Literal/Enum choices, `X | None`, Attachment."""

    def mark(func: F) -> F:
        spec = CommandSpec(
            name=name or func.__name__.replace("_", "-"),
            description=description or (func.__doc__ or "").strip().split("\n")[0] or "-",
            handler_name=func.__name__,
            options=tuple(options_from_signature(func)),
            admin=admin,
            cooldown=cooldown,
            ephemeral=ephemeral,
        )
        func.__sohbet_command__ = spec  # type: ignore[attr-defined]
        return func

    return mark


def message_command(
    name: str, *, admin: bool = False, cooldown: float = 0.0, ephemeral: bool = False
) -> Callable[[F], F]:
    """Mark `async def handler(self, ctx, message: Message)` as a context-menu command."""

    def mark(func: F) -> F:
        spec = CommandSpec(
            name=name,
            description=name,
            handler_name=func.__name__,
            kind="message",
            admin=admin,
            cooldown=cooldown,
            ephemeral=ephemeral,
        )
        func.__sohbet_command__ = spec  # type: ignore[attr-defined]
        return func

    return mark


def listener(*, addressed_only: bool = True) -> Callable[[F], F]:
    """Mark `async def handler(self, ctx, message: Message)` to receive plain messages."""

    def mark(func: F) -> F:
        func.__sohbet_listener__ = ListenerSpec(  # type: ignore[attr-defined]
            handler_name=func.__name__, addressed_only=addressed_only
        )
        return func

    return mark


class Plugin(PluginInfo):
    """Base class of every plugin. Subclasses set `name` (and the other PluginInfo class
    attributes) and decorate handlers."""

    def __init__(self) -> None:
        self.services: Services | None = None

    async def setup(self, services: Services) -> None:
        """Called once at start-up with the shared services."""
        self.services = services

    async def close(self) -> None:
        """Called at shutdown."""

    async def check_setting(self, ctx: Context, key: str, settings: PluginSettings) -> None:
        """Checks beyond the settings' types, run before an admin's change of `key` is stored
        (e.g. a model the operator allows). Raise `SohbetError` to refuse it."""

    async def forget_user(self, user_id: int, server_id: int | None) -> dict[str, int]:
        """Delete what this plugin stores about a user; return counts by kind."""
        return {}

    async def keep_shared(self, user_id: int, server_id: int | None) -> dict[str, int]:
        """The member deletes their data but leaves what they shared with everyone (documents
        others ask about): keep it, no longer theirs, so `forget_user` then leaves it alone.
        Returns counts by kind, each kind prefixed with `KEPT` ("kept:documents"); {} when
        this plugin keeps nothing shared."""
        return {}

    async def export_user(self, user_id: int, server_id: int | None) -> dict[str, Any]:
        """Everything this plugin stores about a user (on `server_id`, or everywhere: None)
        as JSON-ready data, for `/privacy export`; {} when it stores nothing. Whatever
        `forget_user` deletes, this returns."""
        return {}

    @classmethod
    def commands(cls) -> list[CommandSpec]:
        specs = []
        for attr in dir(cls):
            spec = getattr(getattr(cls, attr, None), "__sohbet_command__", None)
            if isinstance(spec, CommandSpec):
                specs.append(_with_plugin(spec, cls.name))
        return sorted(specs, key=lambda s: (s.kind, s.name))

    @classmethod
    def listeners(cls) -> list[ListenerSpec]:
        specs = []
        for attr in dir(cls):
            spec = getattr(getattr(cls, attr, None), "__sohbet_listener__", None)
            if isinstance(spec, ListenerSpec):
                specs.append(ListenerSpec(spec.handler_name, spec.addressed_only, cls.name))
        return specs

    def handler(self, name: str) -> Callable[..., Awaitable[None]]:
        method: Callable[..., Awaitable[None]] = getattr(self, name)
        return method


def _with_plugin(spec: CommandSpec, plugin: str) -> CommandSpec:
    from dataclasses import replace

    return replace(spec, plugin=plugin)
