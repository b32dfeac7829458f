"""Retention deletes only conversations older than each server's limit (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from bot.core.events import ConversationKey
from bot.maintenance import PeriodicJob, run_retention, start_retention
from bot.store.database import Store, StoreUnavailable
from bot.store.models import Conversation, ConversationMessage


async def conversation(store: Store, server_id: int, scope: str, age_days: float) -> None:
    key = ConversationKey(server_id, scope)
    await store.conversations.append(key, "user", "hello", author_id=7, author_name="member")
    await store.conversations.append(key, "assistant", "hi!")
    when = datetime.now(UTC) - timedelta(days=age_days)
    async with store.session() as s:
        await s.execute(
            update(Conversation)
            .where(Conversation.server_id == server_id, Conversation.scope == scope)
            .values(updated_at=when)
        )


async def remaining(store: Store) -> set[tuple[int, str]]:
    async with store.session() as s:
        rows = await s.execute(select(Conversation.server_id, Conversation.scope))
        return {(int(r[0]), r[1]) for r in rows}


async def message_count(store: Store) -> int:
    async with store.session() as s:
        return int(await s.scalar(select(func.count()).select_from(ConversationMessage)) or 0)


async def test_deletes_only_conversations_older_than_each_servers_limit(store: Store) -> None:
    await conversation(store, 1, "user:7:chan:1", age_days=45)  # server 1 keeps 30 days: old
    await conversation(store, 1, "user:8:chan:1", age_days=10)  # recent
    await conversation(store, 2, "channel:2", age_days=400)  # server 2 keeps forever
    await conversation(store, 3, "thread:3", age_days=8)  # server 3 keeps 7 days: old
    await conversation(store, 3, "thread:4", age_days=6.5)  # just inside the limit
    await conversation(store, 0, "user:7:chan:99", age_days=100)  # DMs: 0 means keep

    async def days_for_server(server_id: int) -> int | None:
        return {1: 30, 2: None, 0: 0}.get(server_id)

    def sync_days(server_id: int) -> int | None:  # sync callables work too
        return 7 if server_id == 3 else None

    report = await run_retention(store, days_for_server)
    assert report.deleted == {1: 1}
    assert sorted(report.kept) == [0, 2, 3]
    report = await run_retention(store, sync_days)
    assert report.deleted == {3: 1}

    assert await remaining(store) == {
        (1, "user:8:chan:1"),
        (2, "channel:2"),
        (3, "thread:4"),
        (0, "user:7:chan:99"),
    }
    assert await message_count(store) == 8  # the deleted conversations took their messages


async def test_one_failing_server_does_not_stop_the_others(store: Store) -> None:
    await conversation(store, 1, "channel:1", age_days=90)
    await conversation(store, 2, "channel:2", age_days=90)

    def days(server_id: int) -> int:
        if server_id == 1:
            raise ValueError("settings for server 1 are corrupt")
        return 30

    report = await run_retention(store, days)
    assert report.deleted == {2: 1}
    assert "corrupt" in report.failed[1]
    assert await remaining(store) == {(1, "channel:1")}


async def test_an_unreachable_database_raises_store_unavailable() -> None:
    store = Store("postgresql+asyncpg://sohbet@127.0.0.1:1/sohbet")
    try:
        with pytest.raises(StoreUnavailable):
            await run_retention(store, lambda _server: 30)
    finally:
        await store.close()


async def test_periodic_job_survives_failures_and_stops_cleanly() -> None:
    calls: list[int] = []

    async def job() -> None:
        calls.append(len(calls))
        if len(calls) == 2:
            raise RuntimeError("one bad run")

    periodic = PeriodicJob("test", job, interval=0.01).start()
    for _ in range(200):
        if len(calls) >= 4:
            break
        await asyncio.sleep(0.01)
    await periodic.stop()
    assert len(calls) >= 4 and periodic.failures == 1
    assert not periodic.running
    count = len(calls)
    await asyncio.sleep(0.05)
    assert len(calls) == count  # nothing runs after stop
    await periodic.stop()  # idempotent


async def test_stop_interrupts_a_run_in_progress() -> None:
    started = asyncio.Event()
    cancelled = asyncio.Event()

    async def job() -> None:
        started.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    periodic = PeriodicJob("long", job, interval=3600).start()
    await asyncio.wait_for(started.wait(), 1)
    await asyncio.wait_for(periodic.stop(), 1)
    assert cancelled.is_set()


async def test_start_retention_runs_on_schedule(store: Store) -> None:
    await conversation(store, 5, "channel:5", age_days=31)
    job = start_retention(store, lambda _server: 30, interval=3600, first_delay=0)
    try:
        for _ in range(100):
            if job.runs:
                break
            await asyncio.sleep(0.02)
        assert job.runs == 1
        assert await remaining(store) == set()
    finally:
        await job.stop()
