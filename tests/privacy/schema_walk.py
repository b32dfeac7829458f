"""Find every trace of a member in the whole database and vector store.

The tables are reflected from the live database (SQLAlchemy metadata of what the migrations
actually created), so a table added later is searched without editing the tests; every model
of `bot.store.models.Base` must be among them. A trace is a column equal to the member's id,
a text or JSON value containing it, or a value containing one of their words.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, select

from bot.store.database import Store
from bot.store.models import Base
from bot.vectors import VectorStore


@dataclass(frozen=True)
class Trace:
    where: str  # "table audit_log" or "vector store"
    row: dict[str, Any]

    def __str__(self) -> str:
        return f"{self.where}: {self.row}"


def _holds(value: Any, member_id: int, words: tuple[str, ...]) -> bool:
    if value is None or isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value == member_id
    text = str(value)
    return str(member_id) in text or any(word in text for word in words)


async def table_traces(store: Store, member_id: int, words: tuple[str, ...]) -> list[Trace]:
    """Rows of any table holding the member's id or words."""
    metadata = MetaData()
    async with store.engine.connect() as conn:
        await conn.run_sync(lambda sync: metadata.reflect(sync))
        tables = metadata.sorted_tables
        missing = set(Base.metadata.tables) - {t.name for t in tables}
        assert not missing, f"models without a table: {missing}"
        traces: list[Trace] = []
        for table in tables:
            for row in (await conn.execute(select(table))).mappings():
                if any(_holds(value, member_id, words) for value in row.values()):
                    traces.append(Trace(f"table {table.name}", dict(row)))
    return traces


async def vector_traces(
    vectors: VectorStore, member_id: int, words: tuple[str, ...]
) -> list[Trace]:
    """Chunks (published or pending) of any document holding the member's id or words."""
    traces: list[Trace] = []
    for document_id, server_id in (await vectors.document_ids()).items():
        for hit in await vectors.document_chunks(server_id, document_id):
            if hit.uploader_id == member_id or any(word in hit.text for word in words):
                traces.append(Trace("vector store", {"id": hit.id, "text": hit.text[:80]}))
    return traces


def files_holding(folder: Path, words: tuple[str, ...]) -> list[Path]:
    """Files under `folder` (SQLite, its WAL, the embedded vector store) with their words."""
    needles = [word.encode() for word in words]
    return [
        path
        for path in folder.rglob("*")
        if path.is_file() and any(needle in path.read_bytes() for needle in needles)
    ]


def is_kept_audit_record(trace: Trace, member_id: int) -> bool:
    """The one documented exception: the audit log keeps that the member changed a setting
    (who, which, when), never the values."""
    row = trace.row
    return (
        trace.where == "table audit_log"
        and row["actor_id"] == member_id
        and row["old_value"] is None
        and row["new_value"] is None
    )
