"""Texts to summarize: a document of this server's knowledge base, or an attached file."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.context import Context
from bot.core.errors import SohbetError
from bot.core.events import Attachment
from bot.documents import DocumentLimits
from bot.documents.budget import OPERATOR_LIMIT, UploadBudget, parse_and_split
from bot.i18n import _
from bot.nlp.runtime import in_thread
from bot.shared.markup import command_ref
from bot.store.database import Store
from bot.store.models import Document
from bot.vectors import SearchHit, VectorStore

__all__ = [
    "attachment_text",
    "clip",
    "document_text",
    "find_document",
    "join_chunks",
    "operator_budget",
    "visible_documents",
]

_MAX_OVERLAP = 400  # characters; ingestion overlaps neighbouring chunks by about 150


async def visible_documents(store: Store, server_id: int, channel_id: int) -> list[Document]:
    """Ready documents of this server usable here (channel-only ones in their channel)."""
    return [
        d
        for d in await store.documents.list(server_id)
        if d.status == "ready" and d.channel_id in (None, channel_id)
    ]


async def find_document(store: Store, server_id: int, channel_id: int, wanted: str) -> Document:
    """One document of this server by id (or its start), name, or a unique part of its name."""
    docs = await visible_documents(store, server_id, channel_id)
    key = wanted.strip().casefold()
    if not key:
        raise SohbetError(
            _(
                "Name the document to summarize. {command} shows them.",
                command=command_ref("docs list"),
            )
        )
    for rule in (
        lambda d: d.id == key or d.name.casefold() == key,
        lambda d: len(key) >= 4 and d.id.startswith(key),
        lambda d: key in d.name.casefold(),
    ):
        found = [d for d in docs if rule(d)]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            listing = ", ".join(f"**{d.name}** (`{d.id[:8]}`)" for d in found[:5])
            raise SohbetError(
                _(
                    "Several documents match `{wanted}`: {listing}. Use the id.",
                    wanted=wanted,
                    listing=listing,
                )
            )
    raise SohbetError(
        _(
            "There is no document `{wanted}` on this server. See {command}.",
            wanted=wanted,
            command=command_ref("docs list"),
        )
    )


def join_chunks(chunks: Sequence[SearchHit]) -> str:
    """The document's text again: chunks in order, each one's overlap with the previous removed.

    A chunk starts with the end of the previous chunk of its page (cut at a word start); that
    repeated part is dropped. Pages are separated by a blank line.
    """
    parts: list[str] = []
    previous: SearchHit | None = None
    for chunk in chunks:
        text = chunk.text
        if previous is None:
            parts.append(text)
        elif previous.page != chunk.page:
            parts.append("\n\n" + text)
        else:
            size = _overlap(previous.text, text)
            parts.append(text[size:] if size else " " + text)
        previous = chunk
    return "".join(parts).strip()


def _overlap(before: str, after: str) -> int:
    """Length of the longest end of `before` (from a word start) that `after` starts with."""
    for size in range(min(len(before), len(after), _MAX_OVERLAP), 0, -1):
        at_word_start = size == len(before) or before[-size - 1].isspace()
        ends_at_boundary = size == len(after) or after[size].isspace() or size >= 40
        if at_word_start and ends_at_boundary and after.startswith(before[-size:]):
            return size
    return 0


async def document_text(vectors: VectorStore, document: Document, server_id: int) -> str:
    """The stored text of one document, read only within the caller's server `server_id`."""
    chunks = await vectors.document_chunks(server_id, document.id)
    chunks = [c for c in chunks if c.server_id == server_id == document.server_id]
    if not chunks:
        raise SohbetError(
            _("I couldn't find the text of **{name}**. Try uploading it again.", name=document.name)
        )
    return await in_thread(join_chunks, chunks)


def operator_budget(ctx: Context) -> UploadBudget:
    """The operator's ceiling per upload (SOHBET_UPLOAD_MAX_CPU_S, ..._MEMORY_MB)."""
    config = ctx.services.config
    return UploadBudget(config.upload_max_cpu_s, config.upload_max_memory_mb)


async def attachment_text(
    file: Attachment, max_bytes: int, budget: UploadBudget = OPERATOR_LIMIT
) -> str:
    """Download and parse an attached document (PDF, DOCX, TXT, Markdown, HTML, CSV)."""
    data = await file.read(max_bytes=max_bytes)
    limits = DocumentLimits(max_bytes=max_bytes)
    # Read in a child process held to the upload budget (bot.documents.budget).
    prepared = await parse_and_split(
        data, file.name, limits, file.content_type, budget=budget, split=False
    )
    return prepared.document.text  # a DocumentError (a SohbetError) explains bad files


def clip(text: str, max_chars: int) -> tuple[str, bool]:
    """At most `max_chars` characters, cut at a paragraph, line or word end; (text, was_cut)."""
    if len(text) <= max_chars:
        return text, False
    head = text[:max_chars]
    for separator in ("\n\n", "\n", ". ", " "):
        cut = head.rfind(separator)
        if cut > max_chars // 2:
            return head[: cut + len(separator)].rstrip(), True
    return head, True
