"""`sohbet ingest PATH... --server ID`: add local files to a server's documents, with progress.

The whole folder goes through one ingestion run (bot.knowledge: many files per parsing
process, chunks embedded across files, one publish per window), under one progress bar
(files, chunks, rate, time left). Files whose contents are stored already are skipped without
being parsed, so running it again over the same folder is quick and changes nothing.
"""

from __future__ import annotations

import asyncio
import os
import stat
import sys
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from tqdm import tqdm

from bot.core.app import App
from bot.documents import DocumentLimits
from bot.documents.budget import UploadBudget
from bot.knowledge import BatchProgress, BatchReport, Ingestor, Upload
from bot.providers import AIProviders

__all__ = ["ingest_paths"]

# Up to this many files, every file gets its own line; above it, only the ones not added.
_LINE_PER_FILE = 100


@dataclass(frozen=True)
class _Entry:
    path: Path
    name: str  # the document's name: the path relative to the folder given, or the file name


def _walk(paths: list[Path], skipped: list[tuple[Path, str]]) -> list[_Entry]:
    """Files to read, named by their path relative to the folder given, so two `index.txt`
    in two folders stay two distinguishable documents. Never follows directory symlinks
    (no loops); everything not taken is reported in `skipped` with the reason."""
    found: list[_Entry] = []
    for path in paths:
        if not path.is_dir():
            found.append(_Entry(path, path.name))
            continue
        for folder, dirs, files in os.walk(path, followlinks=False, onerror=None):
            here = Path(folder)
            for sub in sorted(dirs):
                if (here / sub).is_symlink():
                    skipped.append((here / sub, "a link to a folder (not followed)"))
            dirs.sort()
            for name in sorted(files):
                file = here / name
                found.append(_Entry(file, file.relative_to(path).as_posix()))
    return found


def _checked(path: Path, max_bytes: int) -> tuple[str | None, int]:
    """Why a path can't be read as a document (None if it can), checked before opening it,
    and its size."""
    try:
        info = path.stat()  # follows links: a broken or looping link fails here
    except FileNotFoundError:
        return ("no such file" if not path.is_symlink() else "a broken symbolic link"), 0
    except OSError as error:
        return f"can't be read ({error.strerror or error})", 0
    if stat.S_ISFIFO(info.st_mode):
        return "a FIFO (named pipe), not a file", 0
    if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode):
        return "a device, not a file", 0
    if not stat.S_ISREG(info.st_mode):
        return "not a regular file", 0
    if info.st_size > max_bytes:
        return f"{info.st_size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit", 0
    return None, info.st_size


def _read(path: Path, max_bytes: int) -> bytes:
    """At most `max_bytes` + 1 bytes: a file that grew since it was checked can't exhaust memory."""
    with path.open("rb") as handle:
        return handle.read(max_bytes + 1)


async def ingest_paths(app: App, paths: list[Path], server_id: int, channel_id: int | None) -> int:
    """Ingest every file (folders recursively); returns 0 when every file is stored now
    (added, or already there), else 1."""
    skipped: list[tuple[Path, str]] = []
    max_bytes = DocumentLimits().max_bytes
    entries = _walk(paths, skipped)
    checked = await asyncio.to_thread(lambda: [(e, _checked(e.path, max_bytes)) for e in entries])
    uploads: list[Upload] = []
    taken: list[_Entry] = []
    for entry, (reason, size) in checked:
        if reason is not None:
            skipped.append((entry.path, reason))
            continue
        taken.append(entry)
        # No link: the file's place on the operator's machine is not for members.
        uploads.append(Upload(entry.name, partial(_read, entry.path, max_bytes), size))
    report = await _ingest(app, taken, uploads, server_id, channel_id) if uploads else None
    for path, why in skipped:
        print(f"✗ {path}: skipped: {why}")
    if report is not None:
        print(report.summary())
    failures = report.count("refused") if report is not None else 0
    return 1 if failures or skipped else 0


async def _ingest(
    app: App,
    entries: list[_Entry],
    uploads: list[Upload],
    server_id: int,
    channel_id: int | None,
) -> BatchReport:
    ai = app.services.get("ai", AIProviders)
    ceiling = UploadBudget(app.config.upload_max_cpu_s, app.config.upload_max_memory_mb)
    ingestor = Ingestor(app.store, await ai.vectors(), await ai.embedder(), budget=ceiling)
    bar = tqdm(
        total=len(uploads),
        unit="file",
        bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} files [{elapsed}{postfix}]",
        file=sys.stderr,
        leave=False,
        dynamic_ncols=True,
    )

    def progress(state: BatchProgress) -> None:
        if state.files_done > bar.n:
            line = state.line().split(" · ", 1)[-1]  # the bar shows the files itself
            bar.set_postfix_str(line, refresh=False)
            bar.update(state.files_done - bar.n)

    try:
        report = await ingestor.ingest_many(
            uploads,
            server_id=server_id,
            uploader_id=0,
            channel_id=channel_id,
            progress=progress,
        )
    finally:
        bar.close()
    every_line = len(uploads) <= _LINE_PER_FILE
    for outcome in report.outcomes:
        path = entries[outcome.index].path
        if outcome.status == "refused":
            assert outcome.error is not None
            print(f"✗ {path}: {outcome.error.user_message}")
        elif every_line and outcome.status == "skipped":
            print(f"= {path}: {outcome.sentence}")
        elif every_line and outcome.result is not None:
            result = outcome.result
            pages = f"{result.pages} page{'s' if result.pages != 1 else ''}"
            chunks = f"{result.chunks} chunk{'s' if result.chunks != 1 else ''}"
            again = " (replaced its earlier version)" if outcome.replaced else ""
            print(f"✓ {path}: {pages}, {chunks}, {result.seconds:.1f} s{again}")
    return report
