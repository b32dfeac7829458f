"""PDF text, page by page, with pypdf (the library behind LangChain's PyPDFLoader).

pypdf is used directly rather than through LangChain's PyPDFParser so the page count can be
checked before any text is extracted, progress can be reported per page, and passwords and
damage map to our own errors.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable

from pypdf import PasswordType, PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError

from bot.documents.cleanup import clean_text
from bot.documents.errors import CorruptDocument, DocumentTooLarge, EncryptedDocument, TooManyPages
from bot.documents.models import DocumentLimits, Page

__all__ = ["ProgressCallback", "read_pdf"]

log = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int], None]
"""Called with (pages done, total pages)."""


def read_pdf(
    data: bytes, name: str, limits: DocumentLimits, progress: ProgressCallback | None = None
) -> tuple[list[Page], list[str]]:
    """Every page (1-based numbers, "" for pages without text) and the warnings met."""
    reader = _open(data, name)
    try:
        total = len(reader.pages)
    except (FileNotDecryptedError, DependencyError):
        raise EncryptedDocument(name) from None
    except MemoryError:
        raise
    except Exception as exc:  # a damaged page tree
        log.info("%s: no page tree: %r", name, exc)
        raise CorruptDocument(name, "pdf") from None
    if total > limits.max_pages:
        raise TooManyPages(name, total, limits.max_pages)

    pages: list[Page] = []
    warnings: list[str] = []
    chars = 0
    for index in range(total):
        number = index + 1
        try:
            text = clean_text(reader.pages[index].extract_text())
        except (DependencyError, FileNotDecryptedError):
            raise EncryptedDocument(name) from None
        except MemoryError:
            raise
        except Exception as exc:  # pypdf raises many kinds of errors on damaged pages
            log.warning("%s: page %d unreadable: %r", name, number, exc)
            warnings.append(f"Page {number} could not be read and was skipped.")
            text = ""
        chars += len(text)
        if chars > limits.max_chars:
            raise DocumentTooLarge(name, chars, limits.max_chars, unit="characters of text")
        pages.append(Page(number, text))
        if progress is not None:
            progress(number, total)
    if warnings and len(warnings) == total:
        raise CorruptDocument(name, "pdf")
    return pages, warnings


def _open(data: bytes, name: str) -> PdfReader:
    try:
        reader = PdfReader(io.BytesIO(data))
        # An empty user password opens "owner-only" PDFs (printing/copying restrictions).
        locked = reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED
    except (DependencyError, FileNotDecryptedError):
        raise EncryptedDocument(name, "uses an encryption I can't open") from None
    except MemoryError:
        raise
    except Exception as exc:  # pypdf raises many kinds of errors on damaged files
        log.info("%s: not a readable PDF: %r", name, exc)
        raise CorruptDocument(name, "pdf") from None
    if locked:
        raise EncryptedDocument(name)
    return reader
