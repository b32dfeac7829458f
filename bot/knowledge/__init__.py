"""The knowledge base pipeline: documents in (parse, chunk, embed, store), documents out."""

from bot.knowledge.batch import (
    BatchProgress,
    BatchReport,
    DuplicateDocument,
    FileOutcome,
    IngestResult,
    OnProgress,
    Upload,
)
from bot.knowledge.ingest import Ingestor, Progress
from bot.knowledge.leases import STALE_AFTER, document_id_for, is_abandoned, is_stale

__all__ = [
    "STALE_AFTER",
    "BatchProgress",
    "BatchReport",
    "DuplicateDocument",
    "FileOutcome",
    "IngestResult",
    "Ingestor",
    "OnProgress",
    "Progress",
    "Upload",
    "document_id_for",
    "is_abandoned",
    "is_stale",
]
