"""Typed per-plugin settings: defaults, per-server values, per-channel overrides; audited."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Collection
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from bot.core.errors import SettingsError, SohbetError
from bot.core.plugin_types import PluginInfo, PluginSettings
from bot.i18n import _, format_number
from bot.shared.records import AuditChange, ServerSettingsSnapshot

if TYPE_CHECKING:
    from bot.store.database import Store

__all__ = ["AuditChange", "SettingsService", "parse_setting_value", "quoted"]

# Plugins that can never be turned off (otherwise nobody could turn anything back on).
ALWAYS_ENABLED = frozenset({"admin", "core", "help"})


def parse_setting_value(raw: Any) -> Any:
    """Values typed in chat arrive as text: accept JSON (numbers, true, lists) or plain text."""
    if not isinstance(raw, str):
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


# The widest integer both databases store (BIGINT / SQLite INTEGER): a larger number would be
# reported as set but read back wrong (a token budget turning into "no limit").
INT64 = (-(2**63), 2**63 - 1)


def quoted(text: object, limit: int = 60) -> str:
    """A value someone typed, in inline code, shortened: a refusal never echoes 100 KB back."""
    shown = str(text).replace("`", "'").replace("\n", " ")
    return f"`{shown}`" if len(shown) <= limit else f"`{shown[: limit - 1]}…`"


def _check_kinds(plugin: type[PluginInfo], key: str, value: Any) -> None:
    """What pydantic's lax mode lets through but a setting must not mean."""
    annotation = plugin.Settings.model_fields[key].annotation
    wants_bool = annotation is bool
    if isinstance(value, bool) and not wants_bool and annotation in (int, float, int | None):
        raise SettingsError(
            _("{key} needs a number, not `{value}`.", key=quoted(key), value=str(value).lower())
        )
    if isinstance(value, int) and not isinstance(value, bool) and not INT64[0] <= value <= INT64[1]:
        raise SettingsError(
            _(
                "{key}: {value} is out of range (at most {limit}).",
                key=quoted(key),
                value=quoted(value, 24),
                limit=format_number(INT64[1]),
            )
        )


def _describe_error(plugin: str, error: ValidationError) -> str:
    parts = []
    for err in error.errors():
        key = ".".join(str(p) for p in err["loc"]) or "value"
        if err["type"] == "extra_forbidden":
            parts.append(_("{key} is not a setting of `{plugin}`", key=quoted(key), plugin=plugin))
        else:
            parts.append(_in_plain_words(quoted(key), err))
    return "; ".join(parts).rstrip(".") + "."


# Pydantic's error types, said as a sentence ends: "`history_turns` must be at most 200."
_PLAIN = {
    "less_than_equal": "must be at most {le}",
    "less_than": "must be less than {lt}",
    "greater_than_equal": "must be at least {ge}",
    "greater_than": "must be more than {gt}",
    "int_parsing": "needs a whole number",
    "int_type": "needs a whole number",
    "int_from_float": "needs a whole number",
    "float_parsing": "needs a number",
    "float_type": "needs a number",
    "bool_parsing": "must be true or false",
    "bool_type": "must be true or false",
    "string_type": "needs text",
    "string_too_long": "can be at most {max_length} characters long",
    "string_too_short": "needs at least {min_length} characters",
    "literal_error": "must be one of {expected}",
    "enum": "must be one of {expected}",
    "list_type": 'needs a list, written in JSON: ["first", "second"]',
    "dict_type": 'needs a JSON object: {{"key": "value"}}',
    "json_invalid": "isn't valid JSON",
    "missing": "is required",
}


def _in_plain_words(key: str, err: Any) -> str:
    """A validation error as plain words, not pydantic's ("Input should be ..."); a plugin's
    own validator already speaks plainly."""
    template = _PLAIN.get(str(err["type"]))
    if template is not None:
        try:
            return f"{key} {template.format(**err.get('ctx', {}))}"
        except (KeyError, IndexError):
            pass
    return f"{key}: {str(err['msg']).removeprefix('Value error, ')[:200]}"


class SettingsService:
    """Resolves settings server -> channel with a short-lived cache; writes are audited."""

    STALE_RETRY_S = 5.0  # while the database is down, the last snapshot is reused this long

    def __init__(self, store: Store, ttl_seconds: float = 30.0) -> None:
        self.store = store
        self.ttl = ttl_seconds
        self._cache: dict[int, tuple[float, ServerSettingsSnapshot]] = {}
        # Bumped by every write, so a load that started before the write is never cached.
        self._generation: dict[int, int] = {}

    async def snapshot(self, server_id: int) -> ServerSettingsSnapshot:
        cached = self._cache.get(server_id)
        now = time.monotonic()
        if cached is not None and now - cached[0] < self.ttl:
            return cached[1]
        generation = self._generation.get(server_id, 0)
        try:
            snap = await self.store.settings.snapshot(server_id)
        except SohbetError as exc:
            from bot.store.database import StoreUnavailable

            if cached is None or not isinstance(exc, StoreUnavailable):
                raise
            # The database is down: the last known settings keep the plugins that don't
            # need it working (and disabled ones disabled) until it is back. Asked again in a
            # few seconds, so an unreachable host's connect timeout isn't paid by every event.
            self._cache[server_id] = (now - self.ttl + self.STALE_RETRY_S, cached[1])
            return cached[1]
        if self._generation.get(server_id, 0) == generation:
            self._cache[server_id] = (now, snap)
        return snap

    def invalidate(self, server_id: int) -> None:
        self._generation[server_id] = self._generation.get(server_id, 0) + 1
        self._cache.pop(server_id, None)

    async def is_enabled(self, server_id: int, plugin: type[PluginInfo]) -> bool:
        if plugin.name in ALWAYS_ENABLED:
            return True
        snap = await self.snapshot(server_id)
        return snap.enabled.get(plugin.name, plugin.enabled_by_default)

    async def allowed_roles(self, server_id: int, plugin: str) -> set[int]:
        return (await self.snapshot(server_id)).allowed_roles.get(plugin, set())

    async def resolve(self, plugin: type[PluginInfo], server_id: int, channel_id: int) -> Any:
        """Defaults <- server values <- channel overrides, as the plugin's Settings model."""
        snap = await self.snapshot(server_id)
        values: dict[str, Any] = {}
        values.update(snap.overrides.get((0, plugin.name), {}))
        values.update(snap.overrides.get((channel_id, plugin.name), {}))
        if not values:
            return plugin.Settings()
        try:
            return plugin.Settings.model_validate(values)
        except ValidationError:
            # A stored value no longer fits (the plugin changed): fall back key by key.
            return _best_effort(plugin.Settings, values)

    async def values(
        self, plugin: type[PluginInfo], server_id: int, channel_id: int = 0
    ) -> dict[str, Any]:
        settings = await self.resolve(plugin, server_id, channel_id)
        dumped: dict[str, Any] = settings.model_dump(mode="json")
        return dumped

    async def set(
        self,
        plugin: type[PluginInfo],
        key: str,
        raw_value: Any,
        *,
        server_id: int,
        actor_id: int,
        channel_id: int = 0,
        check: Callable[[PluginSettings], Awaitable[None]] | None = None,
    ) -> Any:
        """Validate and store one setting; returns the new (typed) value.

        `check` sees the settings as they would become and may refuse them before anything
        is written."""
        fields = plugin.Settings.model_fields
        if key not in fields:
            known = ", ".join(sorted(fields)) or _("none")
            raise SettingsError(
                _(
                    "{key} is not a setting of `{plugin}`. Settings: {settings}.",
                    key=quoted(key),
                    plugin=plugin.name,
                    settings=known,
                )
            )
        current = await self.resolve(plugin, server_id, channel_id)
        value = parse_setting_value(raw_value)
        _check_kinds(plugin, key, value)
        candidate = current.model_dump() | {key: value}
        try:
            validated = plugin.Settings.model_validate(candidate)
        except ValidationError as exc:
            if isinstance(raw_value, str) and value is not raw_value:
                try:  # a text field given something that looked like JSON ("123")
                    validated = plugin.Settings.model_validate(candidate | {key: raw_value})
                except ValidationError:
                    raise SettingsError(_describe_error(plugin.name, exc)) from None
            else:
                raise SettingsError(_describe_error(plugin.name, exc)) from None
        if check is not None:
            await check(validated)
        new_value = validated.model_dump(mode="json")[key]
        old_value = current.model_dump(mode="json")[key]
        change = _change(
            actor_id, "setting.set", _target(plugin.name, key, channel_id), old_value, new_value
        )
        try:
            await self.store.settings.set_value(
                server_id, channel_id, plugin.name, key, new_value, audit=change
            )
        finally:
            self.invalidate(server_id)
        return getattr(validated, key)

    async def reset(
        self,
        plugin: type[PluginInfo],
        key: str | None,
        *,
        server_id: int,
        actor_id: int,
        channel_id: int = 0,
    ) -> int:
        if key is not None and key not in plugin.Settings.model_fields:
            raise SettingsError(
                _("{key} is not a setting of `{plugin}`.", key=quoted(key), plugin=plugin.name)
            )
        old = await self.values(plugin, server_id, channel_id)
        change = _change(
            actor_id,
            "setting.reset",
            _target(plugin.name, key or "*", channel_id),
            old.get(key) if key else old,
            None,
        )
        try:
            return await self.store.settings.reset_value(
                server_id, channel_id, plugin.name, key, audit=change
            )
        finally:
            self.invalidate(server_id)

    async def set_enabled(
        self, plugin: type[PluginInfo], enabled: bool, *, server_id: int, actor_id: int
    ) -> bool:
        """Returns whether anything changed."""
        if plugin.name in ALWAYS_ENABLED and not enabled:
            raise SettingsError(_("`{plugin}` can't be disabled.", plugin=plugin.name))
        before = await self.is_enabled(server_id, plugin)
        action = "plugin.enable" if enabled else "plugin.disable"
        change = _change(actor_id, action, plugin.name, before, enabled)
        try:
            await self.store.settings.set_enabled(server_id, plugin.name, enabled, audit=change)
        finally:
            self.invalidate(server_id)
        return before != enabled

    async def set_allowed_roles(
        self, plugin: type[PluginInfo], role_ids: Collection[int], *, server_id: int, actor_id: int
    ) -> None:
        before = sorted(await self.allowed_roles(server_id, plugin.name))
        change = _change(actor_id, "plugin.roles", plugin.name, before, sorted(set(role_ids)))
        try:
            await self.store.settings.set_allowed_roles(
                server_id, plugin.name, role_ids, audit=change
            )
        finally:
            self.invalidate(server_id)


def _change(actor_id: int, action: str, target: str, old: Any, new: Any) -> AuditChange:
    return AuditChange(actor_id, action, target, old, new)


def _target(plugin: str, key: str, channel_id: int) -> str:
    return f"{plugin}.{key}" + (f"@channel:{channel_id}" if channel_id else "")


def _best_effort(model: type[PluginSettings], values: dict[str, Any]) -> PluginSettings:
    good: dict[str, Any] = {}
    for key, value in values.items():
        try:
            model.model_validate(good | {key: value})
            good[key] = value
        except ValidationError:
            continue
    return model.model_validate(good)
