"""Errors of the vector store, each with a message that is safe to show to a person."""

from __future__ import annotations

from pathlib import Path

from bot.core.errors import SohbetError
from bot.i18n import _

__all__ = [
    "VectorStoreDamaged",
    "VectorStoreError",
    "VectorStoreLocked",
    "VectorStoreUnavailable",
]


class VectorStoreError(SohbetError):
    """The vector store refused a request: bad input, or an unexpected backend error."""


class VectorStoreUnavailable(VectorStoreError):
    """The vector store cannot be reached right now (server down, store closed)."""


class VectorStoreLocked(VectorStoreUnavailable):
    """Another process already owns the embedded store at this path. Members read no path (the
    operator's file system is not theirs to see); `detail` names it for the operator."""

    def __init__(self, path: Path, owner_pid: int | None = None) -> None:
        owner = f"process {owner_pid}" if owner_pid else "another process"
        shown = _("process {pid}", pid=owner_pid) if owner_pid else _("another process")
        super().__init__(
            _(
                "The document index is already in use by {owner}. Only one Sohbet process can "
                "use an embedded store at a time: the operator can stop the other one, or point "
                "every process at a shared Qdrant server with SOHBET_QDRANT_URL.",
                owner=shown,
            )
        )
        self.detail = f"the vector store in {path} is locked by {owner}"
        self.path = path
        self.owner_pid = owner_pid


class VectorStoreDamaged(VectorStoreUnavailable):
    """A file of the embedded store is damaged. Members get one sentence (no paths); the
    engine's own words, paths included, stay in `detail` for the operator's log."""

    def __init__(self, detail: str) -> None:
        super().__init__(
            _(
                "The document index is damaged, so I can't search documents right now. The "
                "bot's operator can repair it (`sohbet doctor` explains how)."
            )
        )
        self.detail = detail
