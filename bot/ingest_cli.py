"""`sohbet ingest PATH... --server ID`: add local files to a server's documents, with progress."""

from __future__ import annotations

import asyncio
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from bot.core.app import App
from bot.core.errors import SohbetError
from bot.documents import DocumentLimits
from bot.documents.budget import UploadBudget
from bot.knowledge import Ingestor
from bot.providers import AIProviders

__all__ = ["ingest_paths"]


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


def _refusal(path: Path, max_bytes: int) -> str | None:
    """Why a path can't be read as a document, checked before opening it; None if it can."""
    try:
        info = path.stat()  # follows links: a broken or looping link fails here
    except FileNotFoundError:
        return "no such file" if not path.is_symlink() else "a broken symbolic link"
    except OSError as error:
        return f"can't be read ({error.strerror or error})"
    if stat.S_ISFIFO(info.st_mode):
        return "a FIFO (named pipe), not a file"
    if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode):
        return "a device, not a file"
    if not stat.S_ISREG(info.st_mode):
        return "not a regular file"
    if info.st_size > max_bytes:
        return f"{info.st_size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit"
    return None


def _read(path: Path, max_bytes: int) -> bytes:
    """At most `max_bytes` + 1 bytes: a file that grew since it was checked can't exhaust memory."""
    with path.open("rb") as handle:
        return handle.read(max_bytes + 1)


async def ingest_paths(app: App, paths: list[Path], server_id: int, channel_id: int | None) -> int:
    """Ingest every file (folders recursively); returns 0 when all succeeded, else 1."""
    ai = app.services.get("ai", AIProviders)
    ceiling = UploadBudget(app.config.upload_max_cpu_s, app.config.upload_max_memory_mb)
    ingestor = Ingestor(app.store, await ai.vectors(), await ai.embedder(), budget=ceiling)
    failures = 0
    skipped: list[tuple[Path, str]] = []
    max_bytes = DocumentLimits().max_bytes
    for entry in _walk(paths, skipped):
        path = entry.path
        reason = await asyncio.to_thread(_refusal, path, max_bytes)
        if reason is not None:
            skipped.append((path, reason))
            continue
        bar = tqdm(total=1, desc=entry.name[-30:], unit="step", leave=False)

        def progress(
            stage: str, done: int, total: int, bar: tqdm = bar, name: str = entry.name[-24:]
        ) -> None:
            bar.set_description(f"{name} {stage}")
            bar.total = max(total, 1)
            bar.n = done
            bar.refresh()

        try:
            data = await asyncio.to_thread(_read, path, max_bytes)
            result = await ingestor.ingest(
                data,
                entry.name,
                server_id=server_id,
                uploader_id=0,
                channel_id=channel_id,
                # No link: the file's place on the operator's machine is not for members.
                progress=progress,
            )
            bar.close()
            pages = f"{result.pages} page{'s' if result.pages != 1 else ''}"
            chunks = f"{result.chunks} chunk{'s' if result.chunks != 1 else ''}"
            print(f"✓ {path}: {pages}, {chunks}, {result.seconds:.1f} s")
        except SohbetError as exc:
            bar.close()
            print(f"✗ {path}: {exc.user_message}")
            failures += 1
        except OSError as error:  # unreadable: say so and go on with the next file
            bar.close()
            skipped.append((path, f"can't be read ({error.strerror or error})"))
    for path, why in skipped:
        print(f"✗ {path}: skipped: {why}")
    return 1 if failures or skipped else 0
