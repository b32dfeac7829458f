"""What servers taught Sohbet: examples, classifier heads, glossary terms, fixed answers and
persona examples. Every query takes the server id; every change is audited in its own
transaction."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from sqlalchemy import delete, func, or_, select, update

from bot.shared.records import AuditChange
from bot.store.models import (
    TaughtAnswer,
    TaughtExample,
    TaughtHead,
    TaughtPersona,
    TaughtTerm,
    utcnow,
)
from bot.store.repositories import Sessions, _audit, _Repository, _rowcount

__all__ = ["ExampleRow", "TeachingRepository", "TermRow"]


@dataclass(frozen=True)
class ExampleRow:
    text: str
    label: str
    text_key: str
    writer_id: int | None
    source: str


@dataclass(frozen=True)
class TermRow:
    source_lang: str
    target_lang: str
    source_term: str
    target_term: str


class TeachingRepository(_Repository):
    def __init__(self, session: Sessions) -> None:
        super().__init__(session)

    # ----- labelled examples ----------------------------------------------------------------

    async def put_examples(
        self,
        server_id: int,
        task: str,
        rows: Sequence[ExampleRow],
        teacher_id: int,
        audit: AuditChange,
    ) -> tuple[int, int]:
        """Insert or relabel (the latest label of a text wins), all in one transaction.
        Returns (added, relabelled)."""
        added = relabelled = 0
        async with self.session() as s:
            keys = [r.text_key for r in rows]
            existing: dict[str, TaughtExample] = {}
            for start in range(0, len(keys), 500):
                found = await s.scalars(
                    select(TaughtExample).where(
                        TaughtExample.server_id == server_id,
                        TaughtExample.task == task,
                        TaughtExample.text_key.in_(keys[start : start + 500]),
                    )
                )
                existing.update({e.text_key: e for e in found})
            for row in rows:
                old = existing.get(row.text_key)
                if old is None:
                    example = TaughtExample(
                        server_id=server_id,
                        task=task,
                        text=row.text,
                        text_key=row.text_key,
                        label=row.label,
                        writer_id=row.writer_id,
                        teacher_id=teacher_id,
                        source=row.source,
                    )
                    s.add(example)
                    existing[row.text_key] = example  # the same text again in this batch
                    added += 1
                elif old.label != row.label:
                    old.label = row.label
                    old.teacher_id = teacher_id
                    relabelled += 1
            _audit(s, server_id, audit)
        return added, relabelled

    async def examples(self, server_id: int, task: str) -> builtins.list[TaughtExample]:
        async with self.session() as s:
            rows = await s.scalars(
                select(TaughtExample)
                .where(TaughtExample.server_id == server_id, TaughtExample.task == task)
                .order_by(TaughtExample.id)
            )
            return builtins.list(rows)

    async def example_counts(self, server_id: int, task: str) -> dict[str, int]:
        async with self.session() as s:
            rows = await s.execute(
                select(TaughtExample.label, func.count())
                .where(TaughtExample.server_id == server_id, TaughtExample.task == task)
                .group_by(TaughtExample.label)
            )
            return {label: int(n) for label, n in rows}

    async def delete_example(
        self, server_id: int, task: str, example_id: int, audit: AuditChange
    ) -> bool:
        async with self.session() as s:
            done = _rowcount(
                await s.execute(
                    delete(TaughtExample).where(
                        TaughtExample.server_id == server_id,
                        TaughtExample.task == task,
                        TaughtExample.id == example_id,
                    )
                )
            )
            if done:
                _audit(s, server_id, audit)
            return bool(done)

    # ----- classifier heads -------------------------------------------------------------------

    async def add_head(self, head: TaughtHead, audit: AuditChange) -> int:
        """Store a new version and make it the current one."""
        async with self.session() as s:
            latest = await s.scalar(
                select(func.max(TaughtHead.version)).where(
                    TaughtHead.server_id == head.server_id, TaughtHead.task == head.task
                )
            )
            head.version = int(latest or 0) + 1
            await s.execute(
                update(TaughtHead)
                .where(TaughtHead.server_id == head.server_id, TaughtHead.task == head.task)
                .values(current=False)
            )
            s.add(head)
            _audit(s, head.server_id, audit)
        return head.version

    async def current_head(self, server_id: int, task: str) -> TaughtHead | None:
        async with self.session() as s:
            found: TaughtHead | None = await s.scalar(
                select(TaughtHead).where(
                    TaughtHead.server_id == server_id,
                    TaughtHead.task == task,
                    TaughtHead.current.is_(True),
                )
            )
            return found

    async def heads(self, server_id: int, task: str) -> builtins.list[TaughtHead]:
        async with self.session() as s:
            rows = await s.scalars(
                select(TaughtHead)
                .where(TaughtHead.server_id == server_id, TaughtHead.task == task)
                .order_by(TaughtHead.version.desc())
            )
            return builtins.list(rows)

    async def rollback_head(
        self, server_id: int, task: str, audit: AuditChange
    ) -> tuple[int | None, int | None]:
        """The current version is rolled back; the newest earlier one not rolled back becomes
        current. Returns (rolled back version, now current version)."""
        async with self.session() as s:
            rows = builtins.list(
                await s.scalars(
                    select(TaughtHead)
                    .where(TaughtHead.server_id == server_id, TaughtHead.task == task)
                    .order_by(TaughtHead.version.desc())
                    .with_for_update()
                )
            )
            current = next((h for h in rows if h.current), None)
            if current is None:
                return None, None
            current.current = False
            current.rolled_back = True
            earlier = next(
                (h for h in rows if h.version < current.version and not h.rolled_back), None
            )
            if earlier is not None:
                earlier.current = True
            _audit(s, server_id, audit)
            return current.version, earlier.version if earlier else None

    async def confirm_head(self, server_id: int, task: str, audit: AuditChange) -> int | None:
        async with self.session() as s:
            head = await s.scalar(
                select(TaughtHead).where(
                    TaughtHead.server_id == server_id,
                    TaughtHead.task == task,
                    TaughtHead.current.is_(True),
                )
            )
            if head is None:
                return None
            head.confirmed = True
            _audit(s, server_id, audit)
            return head.version

    async def retire_heads(self, server_id: int, task: str) -> int:
        """No version is current any more (its examples changed under it: forget)."""
        async with self.session() as s:
            return _rowcount(
                await s.execute(
                    update(TaughtHead)
                    .where(
                        TaughtHead.server_id == server_id,
                        TaughtHead.task == task,
                        TaughtHead.current.is_(True),
                    )
                    .values(current=False)
                )
            )

    # ----- glossary -----------------------------------------------------------------------------

    async def put_terms(
        self, server_id: int, rows: Sequence[TermRow], teacher_id: int, audit: AuditChange
    ) -> tuple[int, int]:
        added = changed = 0
        async with self.session() as s:
            for row in rows:
                key = row.source_term.casefold()
                old = await s.scalar(
                    select(TaughtTerm).where(
                        TaughtTerm.server_id == server_id,
                        TaughtTerm.source_lang == row.source_lang,
                        TaughtTerm.target_lang == row.target_lang,
                        TaughtTerm.term_key == key,
                    )
                )
                if old is None:
                    s.add(
                        TaughtTerm(
                            server_id=server_id,
                            source_lang=row.source_lang,
                            target_lang=row.target_lang,
                            source_term=row.source_term,
                            term_key=key,
                            target_term=row.target_term,
                            teacher_id=teacher_id,
                        )
                    )
                    added += 1
                elif old.target_term != row.target_term or old.source_term != row.source_term:
                    old.target_term, old.source_term = row.target_term, row.source_term
                    old.teacher_id = teacher_id
                    changed += 1
            _audit(s, server_id, audit)
        return added, changed

    async def terms(
        self, server_id: int, source_lang: str | None = None, target_lang: str | None = None
    ) -> builtins.list[TaughtTerm]:
        stmt = select(TaughtTerm).where(TaughtTerm.server_id == server_id)
        if source_lang is not None:
            stmt = stmt.where(TaughtTerm.source_lang == source_lang)
        if target_lang is not None:
            stmt = stmt.where(TaughtTerm.target_lang == target_lang)
        async with self.session() as s:
            return builtins.list(await s.scalars(stmt.order_by(TaughtTerm.id)))

    # ----- fixed answers ------------------------------------------------------------------------

    async def add_answer(self, answer: TaughtAnswer, audit: AuditChange) -> int:
        async with self.session() as s:
            s.add(answer)
            _audit(s, answer.server_id, audit)
            await s.flush()
            return answer.id

    async def answers(self, server_id: int) -> builtins.list[TaughtAnswer]:
        async with self.session() as s:
            rows = await s.scalars(
                select(TaughtAnswer)
                .where(TaughtAnswer.server_id == server_id)
                .order_by(TaughtAnswer.id)
            )
            return builtins.list(rows)

    async def edit_answer(
        self,
        server_id: int,
        answer_id: int,
        values: dict[str, Any],
        audit: AuditChange,
    ) -> bool:
        async with self.session() as s:
            done = _rowcount(
                await s.execute(
                    update(TaughtAnswer)
                    .where(TaughtAnswer.server_id == server_id, TaughtAnswer.id == answer_id)
                    .values(**values, updated_at=utcnow())
                )
            )
            if done:
                _audit(s, server_id, audit)
            return bool(done)

    # ----- persona examples ---------------------------------------------------------------------

    async def add_persona(self, persona: TaughtPersona, audit: AuditChange) -> int:
        async with self.session() as s:
            s.add(persona)
            _audit(s, persona.server_id, audit)
            await s.flush()
            return persona.id

    async def persona(
        self, server_id: int, channel_id: int | None = None
    ) -> builtins.list[TaughtPersona]:
        """Server-wide examples, then (given a channel) that channel's."""
        stmt = select(TaughtPersona).where(TaughtPersona.server_id == server_id)
        if channel_id is not None:
            stmt = stmt.where(TaughtPersona.channel_id.in_((0, channel_id)))
        async with self.session() as s:
            return builtins.list(
                await s.scalars(stmt.order_by(TaughtPersona.channel_id, TaughtPersona.id))
            )

    # ----- removal, by kind ---------------------------------------------------------------------

    _KINDS: ClassVar[dict[str, Any]] = {
        "term": TaughtTerm,
        "answer": TaughtAnswer,
        "persona": TaughtPersona,
        "example": TaughtExample,
    }

    async def remove(self, kind: str, server_id: int, item_id: int, audit: AuditChange) -> bool:
        model = self._KINDS[kind]
        async with self.session() as s:
            done = _rowcount(
                await s.execute(
                    delete(model).where(model.server_id == server_id, model.id == item_id)
                )
            )
            if done:
                _audit(s, server_id, audit)
            return bool(done)

    # ----- a member's data ----------------------------------------------------------------------

    async def member_rows(
        self, user_id: int, server_id: int | None
    ) -> dict[str, builtins.list[Any]]:
        """Rows holding `user_id`'s words (written, taught or asked) or naming them."""
        found: dict[str, builtins.list[Any]] = {}
        async with self.session() as s:
            for name, model, columns in _MEMBER_COLUMNS:
                stmt = select(model).where(or_(*(c == user_id for c in columns)))
                if server_id is not None:
                    stmt = stmt.where(model.server_id == server_id)
                found[name] = builtins.list(await s.scalars(stmt.order_by(model.id)))
        return found

    async def forget_member(self, user_id: int, server_id: int | None) -> dict[str, Any]:
        """Delete what they wrote, taught or asked; an example of someone else's message they
        only labelled keeps its label without their id. Returns counts and touched servers."""
        counts: dict[str, int] = {}
        servers: set[int] = set()
        async with self.session() as s:
            where_server = (lambda m: m.server_id == server_id) if server_id is not None else None
            for name, model, columns in _MEMBER_COLUMNS:
                owned = or_(*(c == user_id for c in columns))
                stmt = select(model.server_id).where(owned)
                if where_server is not None:
                    stmt = stmt.where(where_server(model))
                servers.update(int(x) for x in await s.scalars(stmt))
                removal = delete(model).where(owned)
                if where_server is not None:
                    removal = removal.where(where_server(model))
                counts[name] = _rowcount(await s.execute(removal))
            relabel = update(TaughtExample).where(TaughtExample.teacher_id == user_id)
            heads = update(TaughtHead).where(TaughtHead.trained_by == user_id)
            if server_id is not None:
                relabel = relabel.where(TaughtExample.server_id == server_id)
                heads = heads.where(TaughtHead.server_id == server_id)
            counts["examples they labelled (kept, without their id)"] = _rowcount(
                await s.execute(relabel.values(teacher_id=0))
            )
            await s.execute(heads.values(trained_by=0))
        return {"counts": counts, "servers": servers}


# (export name, model, columns naming the member whose words a row holds)
_MEMBER_COLUMNS: tuple[tuple[str, Any, tuple[Any, ...]], ...] = (
    ("sentiment examples", TaughtExample, (TaughtExample.writer_id,)),
    ("glossary terms", TaughtTerm, (TaughtTerm.teacher_id,)),
    ("fixed answers", TaughtAnswer, (TaughtAnswer.teacher_id, TaughtAnswer.asker_id)),
    ("persona examples", TaughtPersona, (TaughtPersona.teacher_id,)),
)
