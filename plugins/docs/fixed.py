"""Answers a server's admins fixed (`/teach answer`, bot.teaching): found before any search,
for the same question or one that means the same, and shown as theirs with its date."""

from __future__ import annotations

from bot.core import Context
from bot.i18n import _, format_when
from bot.teaching import TeachingService

__all__ = ["note_answered", "reply_fixed_answer"]


def _teaching(ctx: Context) -> TeachingService | None:
    found = ctx.services.extras.get("teaching")
    return found if isinstance(found, TeachingService) and ctx.server_id else None


async def reply_fixed_answer(ctx: Context, question: str) -> bool:
    """Answer with the admins' answer when there is one; False otherwise."""
    teaching = _teaching(ctx)
    if teaching is None:
        return False
    found = await teaching.find_answer(ctx.server_id, question)
    if found is None:
        return False
    await ctx.reply(
        found.answer
        + "\n\n*"
        + _("Answer set by the server's admins on {date}.", date=format_when(found.updated_at))
        + "*"
    )
    return True


def note_answered(ctx: Context, question: str) -> None:
    """Which question the messages just sent answered, so an admin can correct them with the
    "Teach Sohbet" message command."""
    teaching = _teaching(ctx)
    if teaching is not None and ctx.sent_message_ids:
        teaching.note_answer(ctx.server_id, ctx.sent_message_ids, question, ctx.author.id)
