"""The knowledge base pipeline: documents in (parse, chunk, embed, store), documents out."""

from bot.knowledge.ingest import (
    DuplicateDocument,
    Ingestor,
    IngestResult,
    Progress,
    is_stale,
)

__all__ = ["DuplicateDocument", "IngestResult", "Ingestor", "Progress", "is_stale"]
