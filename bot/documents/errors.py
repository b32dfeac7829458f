"""Why a document could not be read, each with a message that is safe to show to its uploader."""

from __future__ import annotations

from typing import Any

from bot.core.errors import SohbetError
from bot.i18n import N_, _, format_number, ngettext

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

SUPPORTED_FORMATS = N_("PDF, Word (.docx), plain text, Markdown, HTML or CSV")

KIND_LABELS = {
    "pdf": N_("a PDF"),
    "docx": N_("a Word document (.docx)"),
    "txt": N_("plain text"),
    "markdown": N_("Markdown text"),
    "html": N_("a web page (HTML)"),
    "csv": N_("a CSV table"),
}


# The units of DocumentTooLarge other than bytes.
UNITS = {
    "pages": N_("pages"),
    "characters of text": N_("characters of text"),
    "characters in one value": N_("characters in one value"),
}


def _kind(kind: str) -> str:
    label = KIND_LABELS.get(kind)
    return _(label) if label is not None else kind


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
        return _("{size} MB", size=format_number(n / (1024 * 1024), 1))
    if n >= 1024:
        return _("{size} KB", size=format_number(n / 1024, 0))
    return ngettext("{n} byte", "{n} bytes", n)


class DocumentError(SohbetError):
    """A document could not be parsed; `name` is the file's display name.

    The sentence is kept as its English template and values and written in the reader's
    language when it is shown: documents are read in a budgeted child process (and on Redis
    workers), whose language is not the uploader's. Values given as `LazyText` (a
    `(template, values)` pair) are translated the same way."""

    def __init__(self, user_message: str, name: str = "document", **values: Any) -> None:
        self.template = user_message
        self.values = values
        Exception.__init__(self, self.user_message)
        self.name = name

    @property
    def user_message(self) -> str:
        return _render(self.template, self.values)

    @user_message.setter
    def user_message(self, text: str) -> None:
        self.template, self.values = text, {}

    def __reduce__(self) -> tuple[object, ...]:
        # Pickled as they are (a budgeted upload's child process sends them to the bot);
        # the default would call __init__ again with the message as its only argument.
        return (_restore, (type(self), self.args, self.__dict__))


def _render(template: str, values: dict[str, Any]) -> str:
    """`template` translated, filled with `values`; a `(template, values)` value is rendered
    the same way first (nested texts are translated too)."""
    filled = {
        key: _render(value[0], value[1]) if isinstance(value, tuple) else value
        for key, value in values.items()
    }
    return _(template, **filled)


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
        self,
        name: str,
        size: int,
        limit: int,
        *,
        unit: str = "bytes",
        detail: tuple[str, dict[str, Any]] | str = "",
    ) -> None:
        split = N_("Split it into smaller files and upload those.")
        lazy_detail = (detail, {}) if isinstance(detail, str) else detail
        if unit == "bytes":
            super().__init__(
                N_("`{file}` is {size}{detail}; the limit is {limit}. {split}"),
                name,
                file=name,
                size=_size(size),
                detail=lazy_detail,
                limit=_size(limit),
                split=(split, {}),
            )
        else:
            super().__init__(
                N_("`{file}` has more than {limit} {unit}{detail}. {split}"),
                name,
                file=name,
                limit=format_number(limit),
                unit=(UNITS.get(unit, unit), {}),
                detail=lazy_detail,
                split=(split, {}),
            )
        self.size = size
        self.limit = limit


class TooManyPages(DocumentTooLarge):
    def __init__(self, name: str, pages: int, limit: int) -> None:
        super().__init__(
            name, pages, limit, unit="pages", detail=(N_(" (it has {pages})"), {"pages": pages})
        )
        self.pages = pages


class UnsupportedDocumentType(DocumentError):
    """Not a format we read: `found` describes what the bytes look like."""

    def __init__(self, name: str, found: str) -> None:
        super().__init__(
            N_("`{file}` looks like {found}, which I can't read. Please upload a {formats} file."),
            name,
            file=name,
            found=(found, {}),
            formats=(SUPPORTED_FORMATS, {}),
        )
        self.found = found


class MismatchedDocumentType(UnsupportedDocumentType):
    """The name or declared content type promises one format, the bytes are another.

    `detected` is a supported kind ("pdf", ...) or a description of an unsupported format.
    """

    def __init__(self, name: str, declared: str, detected: str) -> None:
        found = KIND_LABELS.get(detected, detected)
        advice: tuple[str, dict[str, Any]]
        if detected in KIND_LABELS:
            advice = (N_("Rename it with the right extension and upload it again."), {})
        else:
            advice = (
                N_("I can't read that: please upload a {formats} file."),
                {"formats": (SUPPORTED_FORMATS, {})},
            )
        DocumentError.__init__(
            self,
            N_("`{file}` is named like {declared}, but its contents are {found}. {advice}"),
            name,
            file=name,
            declared=(KIND_LABELS.get(declared, declared), {}),
            found=(found, {}),
            advice=advice,
        )
        self.found = found
        self.declared = declared
        self.detected = detected


class EncryptedDocument(DocumentError):
    def __init__(self, name: str, reason: str = "") -> None:
        super().__init__(
            N_(
                "`{file}` {reason}, so I can't read it. Remove the protection (e.g. print or "
                "export it to a new PDF) and upload it again."
            ),
            name,
            file=name,
            reason=(reason or N_("is protected with a password"), {}),
        )


class CorruptDocument(DocumentError):
    def __init__(self, name: str, kind: str) -> None:
        super().__init__(
            N_(
                "`{file}` seems to be damaged or incomplete: I couldn't read it as {kind}. Try "
                "exporting or downloading it again."
            ),
            name,
            file=name,
            kind=(KIND_LABELS.get(kind, kind), {}),
        )
        self.kind = kind


class EmptyDocument(DocumentError):
    def __init__(self, name: str, kind: str | None = None) -> None:
        if kind == "pdf":
            template = N_(
                "`{file}` has no text I could extract. It may be a scan (pictures of pages): "
                "run it through OCR, or upload the text itself."
            )
        else:
            template = N_("`{file}` has no text I could extract.")
        super().__init__(template, name, file=name)
        self.kind = kind
