"""A broker that does not answer: uploads are refused in one sentence, and commands keep
working on this process's own cooldowns meanwhile (nothing needs a running Redis here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import build_app
from bot.config import Config
from bot.jobs.cooldowns import RedisCooldowns
from plugins.admin import AdminPlugin
from plugins.docs import DocsPlugin
from tests.conftest import isolate_environment, migrated_sqlite
from tests.docs.conftest import SERVER_A, Member, kettle_pdf

NOWHERE = "redis://127.0.0.1:1/0"  # nothing listens on port 1


async def test_uploads_are_refused_and_cooldowns_fall_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sqlite_template: Path
) -> None:
    isolate_environment(monkeypatch, tmp_path)
    migrated_sqlite(sqlite_template, tmp_path / "data" / "sohbet.db")
    config = Config(data_dir=tmp_path / "data", broker_url=NOWHERE, model_provider="fake")
    app = await build_app(config, plugins=[DocsPlugin(), AdminPlugin()])
    try:
        assert isinstance(app.router.cooldowns, RedisCooldowns)
        alice = Member(app, 100, "alice", SERVER_A, 11, admin=False)
        path = tmp_path / "manual.pdf"
        path.write_bytes(kettle_pdf())
        start = alice.out.tell()
        await alice.adapter.handle_line(f"/docs upload file:{path}")  # the shared cooldowns
        out = alice.out.getvalue()[start:]
        assert "The job queue is unreachable right now" in out
        assert "❌ **manual.pdf** was not added." in out
        assert "something went wrong" not in out
        start = alice.out.tell()
        await alice.adapter.handle_line(f"/docs upload file:{path}")  # within its 5 s
        assert "Slow down a little" in alice.out.getvalue()[start:]  # this process's own
        assert await app.store.documents.list(SERVER_A) == []
    finally:
        await app.close()
