"""Servers, plugins on/off, settings forms (server and per channel) and role allow lists."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.core.errors import SohbetError
from bot.core.plugin import Plugin, PluginSettings
from bot.core.settings import ALWAYS_ENABLED
from bot.i18n import _, ngettext
from bot.shared.markup import plain
from bot.web.base import (
    admin_server,
    channel_of,
    checked_form,
    dashboard,
    flash,
    parse_id,
    render,
    require_session,
    state,
)
from bot.web.commands import setting_context
from bot.web.discord_api import GuildDetails
from bot.web.forms import form_fields, submitted_value

__all__ = ["routes"]

routes = web.RouteTableDef()


@routes.get("/servers")
async def servers(request: web.Request) -> web.StreamResponse:
    session = require_session(request)
    found = await dashboard(request).access.servers(session)
    return render(request, "servers.html", servers=found, title="Servers")


def _plugin(request: web.Request) -> Plugin:
    plugin = dashboard(request).core.registry.plugins.get(request.match_info["plugin"])
    if plugin is None:
        raise web.HTTPNotFound(text=_("No such plugin."))
    return plugin


@routes.get("/servers/{server}/plugins")
async def plugins(request: web.Request) -> web.StreamResponse:
    _session, details = await admin_server(request)
    core = dashboard(request).core
    rows = []
    for name, plugin in sorted(core.registry.plugins.items()):
        enabled = await core.services.settings.is_enabled(details.id, type(plugin))
        rows.append(
            {
                "name": name,
                "description": type(plugin).description,
                "enabled": enabled,
                "locked": name in ALWAYS_ENABLED,
                "settings": len(type(plugin).Settings.model_fields),
            }
        )
    return render(request, "plugins.html", server=details, plugins=rows, title="Plugins")


@routes.post("/servers/{server}/plugins/{plugin}/enabled")
async def toggle(request: web.Request) -> web.StreamResponse:
    session, details = await admin_server(request)
    form = await checked_form(request, session)
    plugin = _plugin(request)
    enabled = form.get("enabled") == "true"
    try:
        await dashboard(request).core.services.settings.set_enabled(
            type(plugin), enabled, server_id=details.id, actor_id=session.user_id
        )
        message = _("{plugin} is now on.") if enabled else _("{plugin} is now off.")
        flash(request, message.format(plugin=type(plugin).name))
    except SohbetError as exc:
        flash(request, exc.user_message)
    raise web.HTTPSeeOther(f"/servers/{details.id}/plugins")


async def _settings_page(
    request: web.Request,
    details: GuildDetails,
    plugin: Plugin,
    channel_id: int,
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
) -> web.Response:
    services = dashboard(request).core.services
    model: type[PluginSettings] = type(plugin).Settings
    values = await services.settings.values(type(plugin), details.id, channel_id)
    snapshot = await services.settings.snapshot(details.id)
    overridden = set(snapshot.overrides.get((channel_id, type(plugin).name), {}))
    roles = await services.settings.allowed_roles(details.id, type(plugin).name)
    return render(
        request,
        "settings.html",
        400 if errors else 200,
        server=details,
        plugin=type(plugin),
        channel_id=channel_id,
        fields=form_fields(model, values, overridden, errors, typed, _choices(request)),
        roles=[(rid, name, rid in roles) for rid, name in details.roles.items()],
        unknown_roles=sorted(roles - set(details.roles)),
        title=f"{type(plugin).name} settings",
    )


def _choices(request: web.Request) -> dict[str, list[str]]:
    """What settings marked `ChoiceOf(...)` may be: the operator's allowed models."""
    return {"models": list(dashboard(request).core.config.allowed_models)}


@routes.get("/servers/{server}/plugins/{plugin}")
async def settings_page(request: web.Request) -> web.StreamResponse:
    _session, details = await admin_server(request)
    plugin = _plugin(request)
    return await _settings_page(
        request, details, plugin, channel_of(details, request.query.get("channel"))
    )


def _back(details: GuildDetails, plugin: Plugin, channel_id: int) -> str:
    suffix = f"?channel={channel_id}" if channel_id else ""
    return f"/servers/{details.id}/plugins/{type(plugin).name}{suffix}"


@routes.post("/servers/{server}/plugins/{plugin}")
async def save_settings(request: web.Request) -> web.StreamResponse:
    """Each changed field goes through `SettingsService.set` with the plugin's `check_setting`,
    exactly as `/plugins config set` does; refusals come back next to their field."""
    session, details = await admin_server(request)
    form = await checked_form(request, session)
    plugin = _plugin(request)
    channel_id = channel_of(details, form.get("channel"))
    services = dashboard(request).core.services
    values = await services.settings.values(type(plugin), details.id, channel_id)
    texts = {k: v for k, v in form.items() if isinstance(v, str)}
    errors: dict[str, str] = {}
    typed: dict[str, str] = {}
    changed = 0
    shown_fields = str(form.get("fields", "")).split(",")
    for field in form_fields(type(plugin).Settings, values, choices=_choices(request)):
        if field.name not in texts and not (
            field.kind == "checkbox" and field.name in shown_fields
        ):
            continue  # not part of this form (an unticked checkbox is, and means false)
        shown, raw = submitted_value(field, texts)
        if shown == field.value:
            continue
        ctx = await setting_context(
            services, plugin, session, details.id, channel_id, {"key": field.name, "value": shown}
        )

        async def check(candidate: PluginSettings, key: str = field.name, ctx: Any = ctx) -> None:
            await plugin.check_setting(ctx, key, candidate)

        try:
            await services.settings.set(
                type(plugin),
                field.name,
                raw,
                server_id=details.id,
                actor_id=session.user_id,
                channel_id=channel_id,
                check=check,
            )
            changed += 1
        except SohbetError as exc:
            errors[field.name] = plain(exc.user_message)
            typed[field.name] = shown
    if errors:
        if changed:
            note = ngettext(
                "Saved {n} setting; the others need fixing.",
                "Saved {n} settings; the others need fixing.",
                changed,
            )
            state(request).flash.append(note)
        return await _settings_page(request, details, plugin, channel_id, errors, typed)
    flash(
        request,
        ngettext("Saved {n} setting.", "Saved {n} settings.", changed)
        if changed
        else _("Nothing changed."),
    )
    raise web.HTTPSeeOther(_back(details, plugin, channel_id))


@routes.post("/servers/{server}/plugins/{plugin}/reset")
async def reset_setting(request: web.Request) -> web.StreamResponse:
    session, details = await admin_server(request)
    form = await checked_form(request, session)
    plugin = _plugin(request)
    channel_id = channel_of(details, form.get("channel"))
    key = form.get("key")
    try:
        removed = await dashboard(request).core.services.settings.reset(
            type(plugin),
            key if isinstance(key, str) and key else None,
            server_id=details.id,
            actor_id=session.user_id,
            channel_id=channel_id,
        )
        flash(
            request,
            ngettext(
                "Restored the default ({n} value removed).",
                "Restored the default ({n} values removed).",
                removed,
            ),
        )
    except SohbetError as exc:
        flash(request, exc.user_message)
    raise web.HTTPSeeOther(_back(details, plugin, channel_id))


@routes.post("/servers/{server}/plugins/{plugin}/roles")
async def save_roles(request: web.Request) -> web.StreamResponse:
    session, details = await admin_server(request)
    form = await checked_form(request, session)
    plugin = _plugin(request)
    chosen: set[int] = set()
    for raw in form.getall("role", []):
        role = parse_id(raw)
        if role is None or role not in details.roles:
            raise web.HTTPForbidden(text=_("That role is not in this server."))
        chosen.add(role)
    await dashboard(request).core.services.settings.set_allowed_roles(
        type(plugin), chosen, server_id=details.id, actor_id=session.user_id
    )
    names = ", ".join(details.roles[r] for r in sorted(chosen)) or _("everyone")
    plugin_name = type(plugin).name
    flash(request, _("{plugin} may now be used by: {roles}.", plugin=plugin_name, roles=names))
    raise web.HTTPSeeOther(_back(details, plugin, 0))
