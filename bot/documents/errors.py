"""Why a document could not be read, each with a message that is safe to show to its uploader."""

from __future__ import annotations

from bot.core.errors import SohbetError

__all__ = [
    "CorruptDocument",
    "DocumentError",
    "DocumentTooLarge",
    "EmptyDocument",
    "EncryptedDocument",
    "MismatchedDocumentType",
    "TooManyPages",
    "UnsupportedDocumentType",
    "display_name",
]

SUPPORTED_FORMATS = "PDF, Word (.docx), plain text, Markdown, HTML or CSV"

KIND_LABELS = {
    "pdf": "a PDF",
    "docx": "a Word document (.docx)",
    "txt": "plain text",
    "markdown": "Markdown text",
    "html": "a web page (HTML)",
    "csv": "a CSV table",
}


def display_name(filename: str) -> str:
    """The file's name, made safe to put inside Discord inline code.

    A plain relative path (`sohbet ingest FOLDER` names files by their path inside the
    folder, so two `index.txt` stay apart) is kept; an absolute path or one that climbs with
    `..` is cut to its base name, so no server path is ever shown. A long name keeps its end.
    """
    path = filename.replace("\\", "/").strip()
    parts = [p.strip() for p in path.split("/")]
    if path.startswith("/") or ".." in parts or ":" in parts[0]:
        parts = parts[-1:]
    base = "/".join(p for p in parts if p not in ("", ".")) or "document"
    base = base.replace("`", "'").replace("\n", " ")
    return base if len(base) <= 80 else "..." + base[-77:]


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n} bytes"


class DocumentError(SohbetError):
    """A document could not be parsed; `name` is the file's display name."""

    def __init__(self, user_message: str, name: str = "document") -> None:
        super().__init__(user_message)
        self.name = name

    def __reduce__(self) -> tuple[object, ...]:
        # Pickled as they are (a budgeted upload's child process sends them to the bot);
        # the default would call __init__ again with the message as its only argument.
        return (_restore, (type(self), self.args, self.__dict__))


def _restore(
    cls: type[DocumentError], args: tuple[object, ...], state: dict[str, object]
) -> DocumentError:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class DocumentTooLarge(DocumentError):
    """Too many bytes (or, with another `unit`, too much of something else, e.g. text)."""

    def __init__(
        self, name: str, size: int, limit: int, *, unit: str = "bytes", detail: str = ""
    ) -> None:
        if unit == "bytes":
            amount = f"is {_size(size)}{detail}; the limit is {_size(limit)}"
        else:
            amount = f"has more than {limit:,} {unit}{detail}"
        super().__init__(f"`{name}` {amount}. Split it into smaller files and upload those.", name)
        self.size = size
        self.limit = limit


class TooManyPages(DocumentTooLarge):
    def __init__(self, name: str, pages: int, limit: int) -> None:
        super().__init__(name, pages, limit, unit="pages", detail=f" (it has {pages:,})")
        self.pages = pages


class UnsupportedDocumentType(DocumentError):
    """Not a format we read: `found` describes what the bytes look like."""

    def __init__(self, name: str, found: str) -> None:
        super().__init__(
            f"`{name}` looks like {found}, which I can't read. "
            f"Please upload a {SUPPORTED_FORMATS} file.",
            name,
        )
        self.found = found


class MismatchedDocumentType(UnsupportedDocumentType):
    """The name or declared content type promises one format, the bytes are another.

    `detected` is a supported kind ("pdf", ...) or a description of an unsupported format.
    """

    def __init__(self, name: str, declared: str, detected: str) -> None:
        found = KIND_LABELS.get(detected, detected)
        if detected in KIND_LABELS:
            advice = "Rename it with the right extension and upload it again."
        else:
            advice = f"I can't read that: please upload a {SUPPORTED_FORMATS} file."
        DocumentError.__init__(
            self,
            f"`{name}` is named like {KIND_LABELS.get(declared, declared)}, but its contents "
            f"are {found}. {advice}",
            name,
        )
        self.found = found
        self.declared = declared
        self.detected = detected


class EncryptedDocument(DocumentError):
    def __init__(self, name: str, reason: str = "is protected with a password") -> None:
        super().__init__(
            f"`{name}` {reason}, so I can't read it. Remove the protection "
            "(e.g. print or export it to a new PDF) and upload it again.",
            name,
        )


class CorruptDocument(DocumentError):
    def __init__(self, name: str, kind: str) -> None:
        super().__init__(
            f"`{name}` seems to be damaged or incomplete: I couldn't read it as "
            f"{KIND_LABELS.get(kind, kind)}. Try exporting or downloading it again.",
            name,
        )
        self.kind = kind


class EmptyDocument(DocumentError):
    def __init__(self, name: str, kind: str | None = None) -> None:
        if kind == "pdf":
            hint = (
                " It may be a scan (pictures of pages): run it through OCR, "
                "or upload the text itself."
            )
        else:
            hint = ""
        super().__init__(f"`{name}` has no text I could extract.{hint}", name)
        self.kind = kind
