"""After `/privacy forget`, the member's words are gone from the files, not just the tables."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import build_app
from plugins.admin import AdminPlugin
from plugins.chat import ChatPlugin
from plugins.docs import DocsPlugin
from plugins.privacy import PrivacyPlugin
from tests.docs.conftest import GARDEN_TEXT, Member, config_on_disk

MARKER = "Zq7Marker-Kumquat"  # appears nowhere else
SERVER, CHANNEL, ADMIN_ID = 7001, 71, 4242


def _files_holding(folder: Path, needle: bytes) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and needle in p.read_bytes()]


async def test_forget_leaves_no_trace_of_the_members_text_on_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sqlite_template: Path
) -> None:
    config = config_on_disk(
        tmp_path, monkeypatch, sqlite_template, model_provider="fake", model_name="echo"
    )
    data = config.data_dir
    plugins = [DocsPlugin(), AdminPlugin(), PrivacyPlugin(), ChatPlugin()]
    app = await build_app(config, plugins=plugins)
    try:
        me = Member(app, ADMIN_ID, "mod", SERVER, CHANNEL, True)
        other = Member(app, 99, "other", SERVER, CHANNEL, False)
        await other.say("/chat message:the garden opens at seven")
        await me.say(f"/chat message:my secret word is {MARKER}")
        notes = tmp_path / "notes.txt"
        notes.write_text(f"{GARDEN_TEXT}\n\nPrivate note: {MARKER} lives here.\n")
        assert "✅ Added" in await me.say(f"/docs upload file:{notes}")
        await me.say(f"/plugins config set plugin:chat key:persona value:Say {MARKER} often")
        await me.say("/plugins config reset plugin:chat key:persona")
        assert _files_holding(data, MARKER.encode())  # it is on disk before

        out = await me.say("/privacy forget confirm:true")
        assert "Deleted your data on this server" in out
    finally:
        await app.close()

    assert _files_holding(data, MARKER.encode()) == []  # SQLite, its WAL, the vector store
    app = await build_app(config, plugins=plugins)  # and everything else still works
    try:
        other = Member(app, 99, "other", SERVER, CHANNEL, False)
        assert "garden opens at seven" in await other.say("/chat message:still there?")
    finally:
        await app.close()
