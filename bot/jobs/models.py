"""What a job queue takes and gives: an upload to ingest, and the queue's numbers."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from bot.core.errors import SohbetError
from bot.documents import DocumentLimits
from bot.documents.budget import UploadBudget
from bot.i18n import _, current_locale, format_number
from bot.knowledge import BatchReport, FileOutcome, IngestResult
from bot.shared.markup import command_ref

__all__ = [
    "DeadJob",
    "IngestRequest",
    "QueueStats",
    "UploadPending",
    "report_from_json",
    "report_json",
]


class UploadPending(SohbetError):
    """The job queue stopped answering while an upload waited: it is neither added nor refused
    yet, and the member is told which of the two it may still become."""

    def __init__(self, filename: str, *, started: bool) -> None:
        if started:
            message = _(
                "The job queue stopped answering while **{name}** was being added. A "
                "worker is still adding it: {command} shows it once it is ready.",
                name=filename,
                command=command_ref("docs list"),
            )
        else:
            message = _(
                "The job queue stopped answering before **{name}** was picked up, so it "
                "isn't added yet. It will be added if the queue comes back with it: check "
                "{command} later, and send it again if it isn't there.",
                name=filename,
                command=command_ref("docs list"),
            )
        super().__init__(message)


@dataclass(frozen=True)
class IngestRequest:
    """One upload to add to a server's documents, with the server's limits at upload time."""

    filename: str
    server_id: int
    uploader_id: int
    channel_id: int | None = None
    source_url: str | None = None
    content_type: str | None = None
    max_bytes: int = DocumentLimits().max_bytes
    max_pages: int = DocumentLimits().max_pages
    cpu_seconds: float = 60.0
    memory_mb: int = 1024
    # The uploader's language (bot.i18n), so a worker's refusal and summary speak it too.
    locale: str = field(default_factory=current_locale)

    @property
    def limits(self) -> DocumentLimits:
        return DocumentLimits(max_bytes=self.max_bytes, max_pages=self.max_pages)

    @property
    def budget(self) -> UploadBudget:
        return UploadBudget(self.cpu_seconds, self.memory_mb)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> IngestRequest:
        return cls(**data)


@dataclass(frozen=True)
class QueueStats:
    """For /ai status and the metrics: jobs waiting, the oldest one's wait, live workers."""

    backend: str  # "in-process" or "redis"
    queued: int = 0
    running: int = 0
    oldest_queued_s: float = 0.0  # how long the oldest waiting job has waited
    oldest_running_s: float = 0.0
    workers: int = 0
    dead: int = 0

    def line(self) -> str:
        if self.backend == "in-process":
            return _("Jobs: in this process (no broker configured)")
        return _(
            "Jobs: {queued} waiting (oldest {oldest} s), {running} running, {workers} "
            "worker(s), {dead} dead",
            queued=self.queued,
            oldest=format_number(self.oldest_queued_s, 0),
            running=self.running,
            workers=self.workers,
            dead=self.dead,
        )


@dataclass(frozen=True)
class DeadJob:
    """A job that failed every attempt, kept for an operator to inspect and retry."""

    key: str
    function: str
    attempts: int
    error: str
    failed_at: float  # Unix time
    description: str


def report_json(report: BatchReport) -> dict[str, Any]:
    """A batch's outcomes as JSON (a worker's job result): sentences, not exceptions."""
    return {
        "seconds": report.seconds,
        "outcomes": [
            {
                "index": o.index,
                "name": o.name,
                "status": o.status,
                "result": asdict(o.result) if o.result else None,
                "error": o.error.user_message if o.error else None,
                "replaced": o.replaced,
            }
            for o in report.outcomes
        ],
    }


def report_from_json(data: dict[str, Any]) -> BatchReport:
    outcomes = [
        FileOutcome(
            o["index"],
            o["name"],
            o["status"],
            IngestResult(**o["result"]) if o["result"] else None,
            SohbetError(o["error"]) if o["error"] else None,
            o["replaced"],
        )
        for o in data["outcomes"]
    ]
    return BatchReport(outcomes, float(data["seconds"]))
