"""Uploaded documents (PDF, DOCX, TXT, Markdown, HTML, CSV) into page-aware text chunks.

    limits = DocumentLimits(max_bytes=10 * 1024 * 1024)
    limits.check_size(attachment.size, attachment.filename)       # before downloading
    doc = await parse_document(data, attachment.filename, limits, attachment.content_type)
    chunks = await split_document_async(doc)                       # TextChunk(text, page, position)

Every failure is a DocumentError (a SohbetError) whose `user_message` can be shown as is.
"""

from bot.documents.errors import (
    CorruptDocument,
    DocumentError,
    DocumentTooLarge,
    EmptyDocument,
    EncryptedDocument,
    MismatchedDocumentType,
    TooManyPages,
    UnsupportedDocumentType,
)
from bot.documents.models import (
    DEFAULT_LIMITS,
    DocumentKind,
    DocumentLimits,
    Page,
    ParsedDocument,
    TextChunk,
)
from bot.documents.parse import parse_document, parse_document_sync, parse_file
from bot.documents.pdf_reader import ProgressCallback
from bot.documents.sniff import sniff_kind
from bot.documents.split import split_document, split_document_async

__all__ = [
    "DEFAULT_LIMITS",
    "CorruptDocument",
    "DocumentError",
    "DocumentKind",
    "DocumentLimits",
    "DocumentTooLarge",
    "EmptyDocument",
    "EncryptedDocument",
    "MismatchedDocumentType",
    "Page",
    "ParsedDocument",
    "ProgressCallback",
    "TextChunk",
    "TooManyPages",
    "UnsupportedDocumentType",
    "parse_document",
    "parse_document_sync",
    "parse_file",
    "sniff_kind",
    "split_document",
    "split_document_async",
]
