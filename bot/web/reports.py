"""Usage (tokens per day against the budgets, top members) and the audit log."""

from __future__ import annotations

from aiohttp import web

from bot.i18n import ngettext
from bot.web.base import admin_server, dashboard, names_of, parse_id, render
from bot.web.chart import bar_chart

__all__ = ["routes"]

routes = web.RouteTableDef()
DAYS = 30


@routes.get("/servers/{server}/usage")
async def usage(request: web.Request) -> web.StreamResponse:
    _session, details = await admin_server(request)
    dash = dashboard(request)
    per_day = await dash.queries.tokens_per_day(details.id, DAYS)
    members = await dash.queries.top_members(details.id, DAYS)
    server_budget = user_budget = 0
    ai = dash.core.registry.plugins.get("ai")
    if ai is not None:
        values = await dash.core.services.settings.values(type(ai), details.id, 0)
        server_budget = int(values.get("daily_server_tokens") or 0)
        user_budget = int(values.get("daily_user_tokens") or 0)
    chart = bar_chart(
        [(day.strftime("%m-%d"), tokens) for day, tokens in per_day],
        budget=server_budget,
        title=ngettext(
            "Model tokens per day, last {n} day", "Model tokens per day, last {n} days", DAYS
        ),
    )
    most = max([m.tokens for m in members] + [1])
    return render(
        request,
        "usage.html",
        server=details,
        chart=chart,
        total=sum(t for _, t in per_day),
        members=[(m, round(100 * m.tokens / most)) for m in members],
        names=await names_of(request, details, [m.user_id for m in members]),
        server_budget=server_budget,
        user_budget=user_budget,
        title="Usage",
    )


@routes.get("/servers/{server}/audit")
async def audit(request: web.Request) -> web.StreamResponse:
    _session, details = await admin_server(request)
    dash = dashboard(request)
    plugin = request.query.get("plugin") or None
    if plugin is not None and plugin not in dash.core.registry.plugins:
        plugin = None
    actor = parse_id(request.query.get("actor"))
    entries = await dash.queries.audit(details.id, plugin=plugin, actor_id=actor)
    actors = await dash.queries.audit_actors(details.id)
    return render(
        request,
        "audit.html",
        server=details,
        entries=entries,
        plugins=sorted(dash.core.registry.plugins),
        actors=actors,
        names=await names_of(request, details, [*actors, *(e.actor_id for e in entries)]),
        plugin=plugin or "",
        actor=actor,
        title="Audit log",
    )
