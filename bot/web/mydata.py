"""My data: what Sohbet stores about the logged-in member, as JSON, and deleting it through
the same code as `/privacy forget`."""

from __future__ import annotations

import json

from aiohttp import web

from bot.i18n import N_, _
from bot.web.base import checked_form, dashboard, flash, parse_id, render, require_session

__all__ = ["routes"]

routes = web.RouteTableDef()
DOCUMENTS_UNDECIDED = N_(
    "Nothing was deleted: you uploaded documents that others can ask about. Choose whether "
    "to delete them too or to leave them for the others."
)


@routes.get("/me")
async def my_data(request: web.Request) -> web.StreamResponse:
    session = require_session(request)
    dash = dashboard(request)
    names = await dash.access.member_of(session)
    counts = await dash.queries.member_counts(session.user_id)
    places = [
        {
            "id": server_id,
            "name": "Direct messages"
            if server_id == 0
            else names.get(server_id, _("Server {id}", id=server_id)),
            "counts": kinds,
            "total": sum(kinds.values()),
        }
        for server_id, kinds in counts.items()
    ]
    shared = sum(kinds.get("documents", 0) for kinds in counts.values())
    return render(request, "mydata.html", places=places, shared=shared, title="My data")


@routes.get("/me/export.json")
async def export(request: web.Request) -> web.StreamResponse:
    from plugins.privacy import export_everything  # the code path of /privacy export

    session = require_session(request)
    dash = dashboard(request)
    data = await export_everything(dash.core.services, dash.core.registry, session.user_id, None)
    return web.Response(
        body=json.dumps(data, ensure_ascii=False, indent=2).encode(),
        content_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="sohbet-{session.user_id}.json"'},
    )


@routes.post("/me/delete")
async def delete(request: web.Request) -> web.StreamResponse:
    from plugins.privacy import PartlyForgotten, forget_everywhere, forget_summary

    session = require_session(request)
    form = await checked_form(request, session)
    dash = dashboard(request)
    scope = form.get("scope", "")
    server_id: int | None
    if scope == "all":
        server_id = None
    elif (server_id := parse_id(scope)) is not None:
        known = set(await dash.queries.member_counts(session.user_id))
        if server_id not in known | set(await dash.access.member_of(session)) | {0}:
            raise web.HTTPForbidden(text=_("You have no data on that server."))
    else:
        raise web.HTTPForbidden(text=_("Say where to delete your data."))
    if form.get("confirm") != "yes":
        flash(request, _("Nothing was deleted: tick the box to confirm."))
        raise web.HTTPSeeOther("/me")
    shared = await dash.core.store.documents.count_by_uploader(session.user_id, server_id)
    choice = form.get("documents")
    if shared and choice not in ("keep", "delete"):
        flash(request, _(DOCUMENTS_UNDECIDED))
        raise web.HTTPSeeOther("/me")
    try:
        counts = await forget_everywhere(
            dash.core.services,
            dash.core.registry,
            session.user_id,
            server_id,
            keep_shared=choice == "keep",
        )
    except PartlyForgotten as partly:  # what was deleted, what is left, when it goes
        flash(request, partly.user_message)
        raise web.HTTPSeeOther("/me") from None
    flash(request, forget_summary(counts))
    raise web.HTTPSeeOther("/me")
