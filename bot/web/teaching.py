"""Teaching: what a server taught Sohbet, on one page; every change runs the teach plugin's
own `/teach` command through the Router (the same permission checks and audit as in chat)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.core.events import Attachment, CommandCall, Location
from bot.i18n import _
from bot.teaching import TeachingService
from bot.teaching.service import head_state
from bot.web.base import admin_server, checked_form, dashboard, flash, render
from bot.web.commands import WebResponder, admin_author

__all__ = ["routes"]

routes = web.RouteTableDef()

# form action -> (command, the form fields it takes)
_ACTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "example": ("teach sentiment", ("label", "text")),
    "train": ("teach train", ()),
    "rollback": ("teach rollback", ()),
    "confirm": ("teach confirm", ()),
    "glossary": ("teach glossary", ("source", "target", "from", "to")),
    "answer": ("teach answer", ("question", "answer")),
    "edit-answer": ("teach edit-answer", ("item", "question", "answer")),
    "persona": ("teach persona", ("member_says", "bot_says")),
    "remove": ("teach remove", ("what", "item")),
    "import": ("teach import", ("task", "from", "to")),
}
_INTS = {"item"}


def _teaching(request: web.Request) -> TeachingService | None:
    found = dashboard(request).core.services.extras.get("teaching")
    return found if isinstance(found, TeachingService) else None


@routes.get("/servers/{server}/teaching")
async def teaching_page(request: web.Request) -> web.StreamResponse:
    _session, details = await admin_server(request)
    teaching = _teaching(request)
    enabled = teaching is not None and "teach" in dashboard(request).core.registry.plugins
    context: dict[str, Any] = {"enabled": enabled}
    if teaching is not None:
        repo = teaching.repo
        status = await teaching.status(details.id)
        context.update(
            counts=status.counts,
            heads=[
                {
                    "version": h.version,
                    "date": h.created_at.strftime("%Y-%m-%d %H:%M"),
                    "examples": h.examples,
                    "cv": f"{100 * h.cv_accuracy:.0f} %",
                    "default": f"{100 * h.default_accuracy:.0f} %",
                    "flip": f"{100 * h.flip_rate:.1f} %",
                    "default_flip": f"{100 * h.default_flip_rate:.1f} %",
                    "flips": h.flips,
                    "state": head_state(h),
                    "current": h.current,
                    "confirmed": h.confirmed,
                }
                for h in status.heads
            ],
            examples=await repo.examples(details.id, "sentiment"),
            terms=await repo.terms(details.id),
            answers=await repo.answers(details.id),
            persona=await repo.persona(details.id),
        )
    return render(request, "teaching.html", server=details, title="Teaching", **context)


@routes.post("/servers/{server}/teaching/{action}")
async def act(request: web.Request) -> web.StreamResponse:
    session, details = await admin_server(request)
    form = await checked_form(request, session)
    action = request.match_info["action"]
    if action not in _ACTIONS:
        raise web.HTTPNotFound(text="No such teaching action.")
    name, fields = _ACTIONS[action]
    options: dict[str, Any] = {}
    for key in fields:
        value = form.get(key)
        if isinstance(value, str) and value.strip():
            options[key] = int(value) if key in _INTS and value.isdigit() else value.strip()
    if action == "import":
        file = form.get("file")
        if not isinstance(file, web.FileField) or not file.filename:
            flash(request, _("Choose a CSV file to import."))
            raise web.HTTPSeeOther(f"/servers/{details.id}/teaching")
        data = file.file.read()

        async def fetch() -> bytes:
            return data

        options["file"] = Attachment(file.filename, file.content_type, len(data), fetch=fetch)
    if action == "persona" and form.get("this_channel"):
        options["this_channel"] = False  # the dashboard teaches server-wide examples
    responder = WebResponder()
    call = CommandCall(
        name=name, options=options, author=admin_author(session), location=Location(details.id, 0)
    )
    await dashboard(request).core.router.handle_command(call, responder)
    for message in responder.messages:
        flash(request, message.replace("**", "").replace("`", ""))
    raise web.HTTPSeeOther(f"/servers/{details.id}/teaching")
