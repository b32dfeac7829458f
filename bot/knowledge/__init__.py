"""The knowledge base pipeline: documents in (parse, chunk, embed, store), documents out."""

from bot.knowledge.ingest import (
    DuplicateDocument,
    Ingestor,
    IngestResult,
    Progress,
    document_id_for,
    is_abandoned,
    is_stale,
)

__all__ = [
    "DuplicateDocument",
    "IngestResult",
    "Ingestor",
    "Progress",
    "document_id_for",
    "is_abandoned",
    "is_stale",
]
