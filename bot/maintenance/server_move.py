"""A server that got a new id keeps everything: a Telegram group upgraded to a supergroup.

The database moves in one transaction (`bot.store.rekey`), then the document chunks in the
vector store (`VectorStore.move_server`), then cached settings are dropped. Each step is
idempotent, so a second call (Telegram announces the move in both chats) finishes what a
failure left undone; until the chunks have moved, search serves none of them (a chunk is
only served with its document's ready row, under the same server).
"""

from __future__ import annotations

import logging
from typing import Any

from bot.core.services import Services
from bot.store.rekey import ServerMove
from bot.store.rekey import move_server as move_rows

__all__ = ["move_server"]

log = logging.getLogger(__name__)


async def move_server(services: Services, old: int, new: int) -> ServerMove:
    """Move what is stored under server `old` to `new`; returns what the database moved."""
    moved = await move_rows(services.store, old, new)
    services.settings.invalidate(old)
    services.settings.invalidate(new)
    if await services.store.documents.list(new):
        vectors = await _vectors(services)
        if vectors is not None:
            chunks = await vectors.move_server(old, new)
            for document_id in moved.dropped_documents:  # the new id had the same file
                await vectors.delete_document(new, document_id)
            moved.rows["chunks"] = chunks
    log.info("server %s is now %s: moved %s", old, new, moved.rows or "nothing")
    return moved


async def _vectors(services: Services) -> Any:
    """The vector store, when this process has one (opening it loads the embedder: only
    done for a server with documents)."""
    ai = services.extras.get("ai")
    opener = getattr(ai, "vectors", None)
    return await opener() if opener is not None else None
