"""Keep the vector store and the SQL documents table in agreement.

Runs at start-up and then periodically (bot.operations). What it repairs:

- chunks whose document has no row (a crash before the row, a database restored or deleted
  while the vector folder was kept): removed, so `/ask` never cites what `/docs list` doesn't show;
- rows of uploads that will never finish (the uploading process died: its lease is dead, or the
  row is older than STALE_AFTER): their chunks and the row are removed, so the file can be
  uploaded again and nothing half-written stays;
- ready rows whose chunks are still pending (a crash between marking the row ready and
  publishing the chunks): published;
- ready rows with no chunks at all (the index was reset or restored from an older backup):
  removed, so `/docs list` shows only what `/ask` can find, and the file can be sent again.

Vectors are read before rows: a row is always written before its document's first chunk, so any
chunk seen here has its row visible to the later read, and an upload in progress is never
mistaken for an orphan.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bot.knowledge.leases import is_abandoned
from bot.maintenance.retention import PeriodicJob
from bot.store.database import Store
from bot.vectors import VectorStore

if TYPE_CHECKING:
    from bot.core.app import App

__all__ = ["RECONCILE_INTERVAL", "ReconcileReport", "reconcile", "start_reconciler"]

RECONCILE_INTERVAL = 15 * 60.0

log = logging.getLogger(__name__)


@dataclass
class ReconcileReport:
    orphans_removed: list[str] = field(default_factory=list)  # document ids
    stale_removed: list[str] = field(default_factory=list)
    published: list[str] = field(default_factory=list)
    unindexed_removed: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(
            self.orphans_removed or self.stale_removed or self.published or self.unindexed_removed
        )


async def reconcile(
    store: Store, vectors: VectorStore, now: datetime | None = None
) -> ReconcileReport:
    report = ReconcileReport()
    in_vectors = await vectors.document_ids()
    pending = await vectors.document_ids(pending_only=True)
    rows = {doc_id: (server, status) for doc_id, server, status in await store.documents.states()}
    now = now or datetime.now(UTC)
    for doc_id, server in in_vectors.items():
        if doc_id not in rows:
            await vectors.delete_document(server, doc_id)
            report.orphans_removed.append(doc_id)
    for doc_id, (server, status) in rows.items():
        if status != "ready":
            document = await store.documents.get(server, doc_id)
            if document is None or not await is_abandoned(store, document, now):
                continue
            await vectors.delete_document(server, doc_id)  # vectors first: see Ingestor.delete
            await store.documents.delete(server, doc_id)
            await store.state.delete(f"ingest:{doc_id}")
            report.stale_removed.append(doc_id)
        elif status == "ready" and doc_id in pending:
            await vectors.publish_document(server, doc_id)
            report.published.append(doc_id)
        elif status == "ready" and doc_id not in in_vectors:
            # Listed but unsearchable (the index was reset or restored from an older backup):
            # drop the entry, so /docs list shows what /ask can use and it can be re-uploaded.
            await store.documents.delete(server, doc_id)
            report.unindexed_removed.append(doc_id)
    if report.changed:
        log.warning(
            "documents reconciled: %d orphaned, %d abandoned uploads removed, %d published, "
            "%d listed without an index entry removed",
            len(report.orphans_removed),
            len(report.stale_removed),
            len(report.published),
            len(report.unindexed_removed),
        )
    return report


def start_reconciler(app: App, interval: float = RECONCILE_INTERVAL) -> PeriodicJob | None:
    """Reconcile now (in the background) and every `interval` seconds, when documents are on.

    Skips a run while no vector store exists yet, so a fresh `sohbet chat` doesn't load the
    embedder just to find nothing.
    """
    if "docs" not in app.registry.plugins:
        return None
    from bot.providers import AIProviders

    ai = app.services.get("ai", AIProviders)
    config = app.config

    async def job() -> None:
        folder = config.data_dir / "vectors"
        stored = folder.exists() and any(folder.iterdir())
        if not config.qdrant_url and not stored and not await app.store.documents.states():
            return  # nothing on either side: don't load the embedder for nothing
        await reconcile(app.store, await ai.vectors())

    return PeriodicJob("documents-reconcile", job, interval).start()
