"""What an ingestion run takes and gives: the files, each file's outcome, the run's progress.

Shared by every way documents arrive (the CLI, a message's attachments, the dashboard, a
worker's job), so each shows the same counts and sentences.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from bot.core.errors import SohbetError
from bot.i18n import _, format_number, ngettext
from bot.shared.markup import command_ref
from bot.store.models import Document

__all__ = [
    "BatchProgress",
    "BatchReport",
    "DuplicateDocument",
    "FileOutcome",
    "IngestResult",
    "OnProgress",
    "SameFileTwice",
    "Upload",
]


@dataclass(frozen=True)
class Upload:
    """One file to add: its bytes, or a function that reads them (called in a worker thread,
    when its turn comes, so a folder is never held in memory whole)."""

    name: str
    data: bytes | Callable[[], bytes]
    size: int = -1  # bytes, for progress; -1: len(data)
    content_type: str | None = None
    source_url: str | None = None

    @property
    def expected_size(self) -> int:
        if self.size >= 0:
            return self.size
        return len(self.data) if isinstance(self.data, bytes) else 0

    def read(self) -> bytes:
        return self.data if isinstance(self.data, bytes) else self.data()


class DuplicateDocument(SohbetError):
    def __init__(self, existing: Document) -> None:
        if existing.status == "ready":
            message = (
                f"`{existing.name}` is already in this server's documents "
                f"(id `{existing.id[:8]}`), so I skipped it."
            )
        else:
            message = f"`{existing.name}` is being added right now; it will be ready shortly."
        super().__init__(message)
        self.existing = existing


class SameFileTwice(SohbetError):
    def __init__(self, name: str, first: str) -> None:
        super().__init__(
            _(
                "`{name}` has the same contents as `{first}`, so I added it once.",
                name=name,
                first=first,
            )
        )


@dataclass(frozen=True)
class IngestResult:
    document_id: str
    name: str
    pages: int
    chunks: int
    seconds: float

    def summary(self) -> str:
        return _(
            "Added **{name}**: {pages}, {chunks}, in {seconds} s (id `{id}`). Ask about it "
            "with {ask}.",
            ask=command_ref("ask"),
            name=self.name,
            pages=ngettext("{n} page", "{n} pages", self.pages),
            chunks=ngettext("{n} chunk", "{n} chunks", self.chunks),
            seconds=format_number(self.seconds, 1),
            id=self.document_id[:8],
        )


FileStatus = Literal["added", "skipped", "refused"]


@dataclass(frozen=True)
class FileOutcome:
    """What became of one file: added (`result`), skipped because its contents are stored
    already (`error` says where), or refused (`error` says why, one sentence)."""

    index: int  # in the uploads given
    name: str
    status: FileStatus
    result: IngestResult | None = None
    error: SohbetError | None = None
    replaced: int = 0  # earlier versions (same name, same uploader) it replaced

    @property
    def sentence(self) -> str:
        if self.error is not None:
            return self.error.user_message
        assert self.result is not None
        earlier = " " + _("It replaced its earlier version.") if self.replaced else ""
        return self.result.summary() + earlier


@dataclass
class BatchProgress:
    """Where a run is: files and bytes done of all, chunks embedded, and the outcomes so far.
    `stage`, `done` and `total` tell about the file at work (pages parsed of a PDF, chunks
    embedded of the run's parsed chunks)."""

    files: int
    bytes: int
    files_done: int = 0
    bytes_done: int = 0
    chunks_done: int = 0
    chunks_known: int = 0  # chunks of the files parsed so far
    added: int = 0
    skipped: int = 0
    refused: int = 0
    stage: str = "reading"  # reading | parsing | embedding | storing | done
    done: int = 0
    total: int = 0
    started: float = field(default_factory=time.monotonic, compare=False)

    @property
    def elapsed(self) -> float:
        return max(time.monotonic() - self.started, 1e-6)

    @property
    def eta_s(self) -> float | None:
        """Seconds left, by the bytes done so far (None until some are)."""
        if not self.bytes_done or not self.bytes:
            return None
        return self.elapsed * max(self.bytes - self.bytes_done, 0) / self.bytes_done

    def line(self) -> str:
        """'1,200/3,650 files · 1,610 chunks · 85 chunks/s · about 30 s left'."""
        parts = [
            _(
                "{done}/{total} files",
                done=format_number(self.files_done),
                total=format_number(self.files),
            ),
            ngettext("{n} chunk", "{n} chunks", self.chunks_done),
        ]
        if self.chunks_done:
            rate = format_number(round(self.chunks_done / self.elapsed))
            parts.append(_("{rate} chunks/s", rate=rate))
        eta = self.eta_s
        if eta is not None and self.files_done < self.files:
            parts.append(_("about {time} left", time=_duration(eta)))
        return " · ".join(parts)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["elapsed"] = self.elapsed
        del data["started"]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BatchProgress:
        values = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        values.pop("started", None)
        progress = cls(**values)
        progress.started = time.monotonic() - float(data.get("elapsed", 0.0))
        return progress


OnProgress = Callable[[BatchProgress], None]


def _duration(seconds: float) -> str:
    if seconds < 90:
        return _("{n} s", n=max(1, round(seconds)))
    return _("{n} min", n=round(seconds / 60))


@dataclass(frozen=True)
class BatchReport:
    """Every file's outcome, in the order given, and the run's totals."""

    outcomes: list[FileOutcome]
    seconds: float

    def count(self, status: FileStatus) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def chunks(self) -> int:
        return sum(o.result.chunks for o in self.outcomes if o.result and o.status == "added")

    @property
    def replaced(self) -> int:
        return sum(o.replaced for o in self.outcomes)

    def summary(self) -> str:
        """One line: what was added, skipped and refused, and how long it took."""
        parts = [
            _(
                "Added {documents} ({chunks}) in {seconds} s",
                documents=ngettext("{n} document", "{n} documents", self.count("added")),
                chunks=ngettext("{n} chunk", "{n} chunks", self.chunks),
                seconds=format_number(self.seconds, 1),
            )
        ]
        if self.replaced:
            parts.append(_("{n} replaced an earlier version", n=self.replaced))
        if skipped := self.count("skipped"):
            parts.append(_("{n} skipped (already stored)", n=format_number(skipped)))
        if refused := self.count("refused"):
            parts.append(_("{n} not added", n=format_number(refused)))
        return "; ".join(parts) + "."
