"""Documents: list, upload (with progress), delete; through the docs plugin's own commands."""

from __future__ import annotations

from aiohttp import web

from bot.core.events import CommandCall, Location
from bot.i18n import _
from bot.store.models import Document
from bot.web.base import (
    admin_server,
    channel_of,
    checked_form,
    dashboard,
    flash,
    names_of,
    render,
)
from bot.web.commands import WebResponder, admin_author
from bot.web.uploads import MAX_FILES

__all__ = ["routes"]

routes = web.RouteTableDef()


def _size(n: int) -> str:
    for unit, scale in (("MB", 1_000_000), ("KB", 1000)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} bytes"


@routes.get("/servers/{server}/documents")
async def documents(request: web.Request) -> web.StreamResponse:
    _session, details = await admin_server(request)
    dash = dashboard(request)
    docs = await dash.core.store.documents.list(details.id)
    rows = [
        {
            "id": d.id,
            "name": d.name,
            "size": _size(d.size),
            "chunks": d.chunks,
            "uploader": d.uploader_id,
            "date": d.created_at.strftime("%Y-%m-%d %H:%M"),
            "status": d.status,
            "channel": details.channels.get(d.channel_id, "") if d.channel_id else "",
        }
        for d in docs
    ]
    return render(
        request,
        "documents.html",
        server=details,
        documents=rows,
        names=await names_of(request, details, [d.uploader_id for d in docs]),
        enabled="docs" in dash.core.registry.plugins,
        title="Documents",
    )


@routes.post("/servers/{server}/documents")
async def upload(request: web.Request) -> web.StreamResponse:
    session, details = await admin_server(request)
    form = await checked_form(request, session)
    chosen = [f for f in form.getall("file", []) if isinstance(f, web.FileField) and f.filename]
    if not chosen:
        flash(request, _("Choose a file to upload."))
        raise web.HTTPSeeOther(f"/servers/{details.id}/documents")
    if len(chosen) > MAX_FILES:
        flash(request, _("Choose at most {n} files at a time.", n=MAX_FILES))
        raise web.HTTPSeeOther(f"/servers/{details.id}/documents")
    channel_id = channel_of(details, form.get("channel"))
    files = [(f.filename, f.content_type, f.file.read()) for f in chosen]
    job = dashboard(request).jobs.start(session, details.id, channel_id, files)
    target = f"/servers/{details.id}/documents/jobs/{job.id}"
    if request.headers.get("Accept", "").startswith("application/json"):
        return web.json_response({**job.as_dict(), "url": target})
    raise web.HTTPSeeOther(target)


@routes.get("/servers/{server}/documents/jobs/{job}")
async def job_page(request: web.Request) -> web.StreamResponse:
    session, details = await admin_server(request)
    job = dashboard(request).jobs.get(request.match_info["job"], session.user_id, details.id)
    if job is None:
        raise web.HTTPNotFound(text=_("No such upload."))
    if request.query.get("format") == "json":
        return web.json_response(job.as_dict())
    return render(request, "job.html", server=details, job=job, title="Upload")


async def _document(request: web.Request, server_id: int) -> Document:
    doc = await dashboard(request).core.store.documents.get(
        server_id, request.match_info["document"]
    )
    if doc is None:
        raise web.HTTPForbidden(text=_("That document is not in this server."))
    return doc


@routes.get("/servers/{server}/documents/{document}/delete")
async def confirm_delete(request: web.Request) -> web.StreamResponse:
    """Deleting can't be undone and takes the answers away from everyone: asked first."""
    _session, details = await admin_server(request)
    doc = await _document(request, details.id)
    return render(
        request,
        "delete_document.html",
        server=details,
        document=doc,
        names=await names_of(request, details, [doc.uploader_id]),
        title=f"Delete {doc.name}",
    )


@routes.post("/servers/{server}/documents/{document}/delete")
async def delete(request: web.Request) -> web.StreamResponse:
    session, details = await admin_server(request)
    form = await checked_form(request, session)
    dash = dashboard(request)
    doc = await _document(request, details.id)
    if form.get("confirm") != "yes":  # a form without the confirmation asks it first
        raise web.HTTPSeeOther(f"/servers/{details.id}/documents/{doc.id}/delete")
    responder = WebResponder()
    call = CommandCall(
        name="docs delete",
        options={"document": doc.id},
        author=admin_author(session),
        location=Location(details.id, 0),
    )
    await dash.core.router.handle_command(call, responder)
    for message in responder.messages:
        flash(request, message.replace("**", ""))
    raise web.HTTPSeeOther(f"/servers/{details.id}/documents")
