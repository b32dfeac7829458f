"""An exclusive, process-level lock on a store directory (`<path>/.lock`, fcntl.flock).

The lock belongs to the open file, so the kernel frees it when the owner exits or crashes:
there are no stale locks to clean up. The owner's pid is written into the file for the
error message of whoever comes second.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from bot.vectors.errors import VectorStoreError, VectorStoreLocked

try:
    import fcntl
except ImportError:  # Windows: the engine's own WAL lock still refuses a second owner.
    fcntl = None  # type: ignore[assignment]

__all__ = ["StoreLock"]

LOCK_NAME = ".lock"


class StoreLock:
    def __init__(self, directory: Path) -> None:
        self.path = directory / LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise VectorStoreLocked at once (never waits)."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as error:
            raise VectorStoreError(
                f"Cannot create the vector store in {self.path.parent}: {error.strerror}."
            ) from error
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                owner = _read_pid(fd)
                os.close(fd)
                raise VectorStoreLocked(self.path.parent, owner) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        os.close(fd)  # closing the descriptor drops the flock

    @property
    def held(self) -> bool:
        return self._fd is not None


def _read_pid(fd: int) -> int | None:
    try:
        return int(os.pread(fd, 32, 0).decode().strip() or 0) or None
    except (OSError, ValueError):
        return None
