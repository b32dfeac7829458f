"""Attachments both ways: Discord uploads as neutral Attachments, reply files as discord.Files."""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence

import aiohttp
import discord

from bot.core.errors import SohbetError
from bot.core.events import Attachment
from bot.i18n import _, format_size

__all__ = ["MAX_FILES_PER_MESSAGE", "human_size", "to_attachment", "to_files"]

log = logging.getLogger(__name__)
MAX_FILES_PER_MESSAGE = 10


def to_attachment(attachment: discord.Attachment, max_bytes: int) -> Attachment:
    """A neutral attachment whose bytes are downloaded only when a plugin reads it."""
    name = attachment.filename
    size = attachment.size

    async def fetch() -> bytes:
        if size > max_bytes:
            raise SohbetError(
                _(
                    "`{name}` is {size}; I accept files up to {limit}.",
                    name=name,
                    size=format_size(size),
                    limit=format_size(max_bytes),
                )
            )
        try:
            return await attachment.read()
        except (discord.HTTPException, aiohttp.ClientError, TimeoutError) as exc:
            log.warning("download of attachment %s failed: %s", attachment.id, exc)
            raise SohbetError(
                _("I couldn't download `{name}` from Discord. Try again.", name=name)
            ) from exc

    return Attachment(
        name=name,
        content_type=attachment.content_type,
        size=size,
        url=attachment.url,
        fetch=fetch,
    )


def human_size(size: int) -> str:
    if size >= 1_000_000:
        return f"{size / 1e6:.1f} MB"
    if size >= 1_000:
        return f"{size / 1e3:.0f} KB"
    return f"{size} bytes"


def to_files(files: Sequence[tuple[str, bytes]]) -> list[discord.File]:
    return [discord.File(io.BytesIO(data), filename=name) for name, data in files]
