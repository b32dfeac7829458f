"""Document uploads from the dashboard: `/docs upload` run through the Router in the
background, its status message turned into a progress bar the browser polls."""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.core.events import Attachment, CommandCall, Location
from bot.core.router import Router
from bot.web.commands import WebResponder, admin_author
from bot.web.security import Session

__all__ = ["MAX_FILES", "UploadJob", "UploadJobs"]

_COUNT = re.compile(r"(\d+)/(\d+)\s*$")
MAX_FILES = 10  # what `/docs upload` takes in one command (file, file2 ... file10)
_KEEP_S = 3600.0  # finished jobs are forgotten after an hour


@dataclass
class UploadJob:
    id: str
    server_id: int
    user_id: int
    name: str
    status: str = "running"  # running | done | failed
    message: str = "Uploaded; waiting to read it…"
    done: int = 0
    total: int = 0
    finished_at: float | None = None
    task: asyncio.Task[None] | None = field(default=None, repr=False)

    def update(self, text: str) -> None:
        self.message = text.replace("**", "")
        found = _COUNT.search(self.message)
        if found:
            self.done, self.total = int(found.group(1)), int(found.group(2))

    @property
    def percent(self) -> int:
        if self.status == "done":
            return 100
        return int(100 * self.done / self.total) if self.total else 0

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "name": self.name,
            "status": self.status,
            "message": self.message,
            "done": self.done,
            "total": self.total,
            "percent": self.percent,
        }


def _attachment(name: str, content_type: str | None, data: bytes) -> Attachment:
    async def fetch() -> bytes:
        return data

    return Attachment(name, content_type, len(data), None, fetch)


class UploadJobs:
    def __init__(self, router: Router) -> None:
        self.router = router
        self._jobs: dict[str, UploadJob] = {}

    def start(
        self,
        session: Session,
        server_id: int,
        channel_id: int,
        files: Sequence[tuple[str, str | None, bytes]],
    ) -> UploadJob:
        """One `/docs upload` for up to MAX_FILES files (name, content type, bytes): one run,
        one progress bar, one use of the command's cooldown."""
        self._forget_old()
        name = files[0][0] if len(files) == 1 else f"{len(files)} files"
        job = UploadJob(secrets.token_urlsafe(12), server_id, session.user_id, name)
        options: dict[str, object] = {"channel_only": bool(channel_id)}
        for number, (filename, content_type, data) in enumerate(files[:MAX_FILES], start=1):
            options["file" if number == 1 else f"file{number}"] = _attachment(
                filename, content_type, data
            )
        call = CommandCall(
            name="docs upload",
            options=options,
            author=admin_author(session),
            location=Location(server_id, channel_id),
        )
        responder = WebResponder(on_text=job.update)

        async def run() -> None:
            try:
                await self.router.handle_command(call, responder)
            finally:
                messages = responder.messages
                final = messages[-1] if messages else ""
                added = [i for i, m in enumerate(messages) if m.startswith("✅")]
                job.status = "done" if added else "failed"
                if added:  # the status message, then what was said about the files not added
                    said = messages[added[-1] :]
                    job.message = "\n".join(said).replace("**", "")
                elif len(messages) > 1:
                    job.message = final.replace("**", "")
                elif not final:
                    job.message = "The upload stopped before it started."
                job.finished_at = time.monotonic()

        job.task = asyncio.create_task(run())
        self._jobs[job.id] = job
        return job

    def get(self, job_id: str, user_id: int, server_id: int) -> UploadJob | None:
        """Only the member who started it sees a job, and only on its own server."""
        job = self._jobs.get(job_id)
        if job is None or job.user_id != user_id or job.server_id != server_id:
            return None
        return job

    def _forget_old(self) -> None:
        now = time.monotonic()
        for key, job in list(self._jobs.items()):
            if job.finished_at is not None and now - job.finished_at > _KEEP_S:
                del self._jobs[key]

    async def close(self) -> None:
        running = [j.task for j in self._jobs.values() if j.task and not j.task.done()]
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
