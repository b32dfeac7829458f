"""Which uploads are alive: document ids, upload leases, and abandoned uploads.

An upload in progress holds a lease per document (bot_state row "ingest:<document id>": host,
pid, time, and the queued job it is an attempt of), written before its row and renewed while
it embeds. A lease whose process is gone on this host, or that was not renewed for
LEASE_EXPIRES, marks an upload that died: it can be sent again at once, not after STALE_AFTER.
Document ids derive from the server and the file's hash, so re-adding a file after a lost
database replaces its chunks instead of duplicating them.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections import Counter
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from bot.store.database import Store
from bot.store.models import Document

__all__ = [
    "ADDING_HERE",
    "LEASE_EXPIRES",
    "STALE_AFTER",
    "Leases",
    "adding",
    "document_id_for",
    "is_abandoned",
    "is_stale",
    "lease_key",
]

log = logging.getLogger(__name__)

# An "ingesting" row older than this was left by a process that died mid-upload: a new upload
# of the same file replaces it, and the reconciler removes it. Generous next to the measured
# ingest speed (about 100 chunks/s: a 20 MB upload takes well under a minute).
STALE_AFTER = timedelta(minutes=15)
LEASE_EXPIRES = timedelta(minutes=2)
# How often a running upload renews its leases: often next to LEASE_EXPIRES; one statement
# for every document of a window however many there are.
RENEW_EVERY_S = 5.0
_HOST = socket.gethostname()
# Documents this process is adding right now. A lease naming this very process is only alive
# while its document is here: an upload that failed (its database went away mid-upload, so
# neither the row nor the lease could be removed) is known dead at once, not after
# LEASE_EXPIRES, so the file can be sent again and the entry deleted.
ADDING_HERE: Counter[str] = Counter()
_DOCUMENT_NAMESPACE = uuid.UUID("0c5e3f52-8d3e-4c8e-9a53-6b1f0b7d2a41")


def document_id_for(server_id: int, sha256: str) -> str:
    """The same file on the same server always gets the same id (and chunk ids)."""
    return str(uuid.uuid5(_DOCUMENT_NAMESPACE, f"{server_id}:{sha256}"))


def is_stale(document: Document, now: datetime | None = None) -> bool:
    """True for an upload that never finished and never will (by age alone)."""
    if document.status == "ready":
        return False
    created = document.created_at
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    return (now or datetime.now(UTC)) - created > STALE_AFTER


def lease_key(document_id: str) -> str:
    return f"ingest:{document_id}"


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


async def is_abandoned(store: Store, document: Document, now: datetime | None = None) -> bool:
    """True for an upload that will never finish: stale by age, or its lease is dead."""
    if document.status == "ready":
        return False
    if is_stale(document, now):
        return True
    lease = await store.state.get(lease_key(document.id))
    if lease is None:
        return False  # the row was just written; its first lease is on its way
    host, pid, at, *_owner = lease.split("|")
    renewed = datetime.fromisoformat(at)
    if (now or datetime.now(UTC)) - renewed > LEASE_EXPIRES:
        return True
    if host == _HOST and int(pid) == os.getpid():
        return document.id not in ADDING_HERE
    return host == _HOST and not _process_alive(int(pid))


class Leases:
    """The leases of one ingestion run; `owner` is the queued job it is an attempt of."""

    def __init__(self, store: Store, owner: str | None = None) -> None:
        self.store = store
        self.owner = owner
        self._renewed = 0.0

    def _value(self) -> str:
        now = datetime.now(UTC).isoformat()
        owner = f"|{self.owner}" if self.owner else ""
        return f"{_HOST}|{os.getpid()}|{now}{owner}"

    async def take(self, document_ids: Collection[str]) -> None:
        """Write (or renew) the leases of these documents, in one transaction."""
        if document_ids:
            value = self._value()
            await self.store.state.set_many({lease_key(d): value for d in document_ids})
            self._renewed = time.monotonic()

    async def renew(self, document_ids: Collection[str]) -> None:
        """`take` again, unless it was done less than RENEW_EVERY_S ago."""
        if time.monotonic() - self._renewed >= RENEW_EVERY_S:
            await self.take(document_ids)

    async def end(self, document_ids: Collection[str]) -> None:
        """Remove the leases; a leftover lease is harmless once its row is ready or gone."""
        try:
            await self.store.state.delete_many([lease_key(d) for d in document_ids])
        except Exception:
            log.warning("could not remove the upload leases of %d documents", len(document_ids))

    async def owner_of(self, document_id: str) -> str | None:
        lease = await self.store.state.get(lease_key(document_id))
        fields = lease.split("|") if lease else []
        return fields[3] if len(fields) > 3 else None


@contextmanager
def adding(document_ids: Collection[str]) -> Iterator[None]:
    """Mark these documents as being added by this process (see ADDING_HERE); counted, since
    the same file may be sent twice at once."""
    for document_id in document_ids:
        ADDING_HERE[document_id] += 1
    try:
        yield
    finally:
        for document_id in document_ids:
            ADDING_HERE[document_id] -= 1
            if ADDING_HERE[document_id] <= 0:
                del ADDING_HERE[document_id]
