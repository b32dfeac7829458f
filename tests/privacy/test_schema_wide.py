"""Forget and memory consent, checked over the whole schema on SQLite and PostgreSQL.

A member chats, uploads, asks, changes settings and uses every /privacy command; then every
table the migrations created (reflected, so a new table is covered without editing this test)
and the vector store are searched for their id and their words. After `/privacy forget`
nothing may remain but the audit log's record that they changed a setting (values erased),
the exception `/privacy info` lists. With memory off (their choice, or a server where memory
is opt-in) a conversation leaves none of their words anywhere, and the bot still answers.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App, build_app
from bot.config import Config
from bot.core.registry import PluginRegistry
from bot.providers import AIProviders
from plugins.admin import AdminPlugin
from plugins.ai import AIPlugin
from plugins.chat import ChatPlugin
from plugins.docs import DocsPlugin
from plugins.help import HelpPlugin
from plugins.privacy import AUDIT_EXCEPTION, PrivacyPlugin, export_everything
from plugins.summarize import SummarizePlugin
from tests.conftest import isolate_environment
from tests.docs.conftest import GARDEN_TEXT, Member
from tests.privacy.schema_walk import (
    files_holding,
    is_kept_audit_record,
    table_traces,
    vector_traces,
)

SERVER, OTHER_SERVER, CHANNEL = 7001, 7002, 71
MEMBER = 7_340_519_927  # an id that appears nowhere else
NEIGHBOUR = 55
WORD = "Zq7Kumquat-Lantern"  # a word only the member writes
DOC_WORD = "Zq7Marmalade-Harbour"  # a word only in the member's document


@pytest.fixture
async def app(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[App]:
    isolate_environment(monkeypatch, tmp_path)
    config = Config(
        data_dir=tmp_path / "data",
        database_url=database_url,
        model_provider="fake",
        model_name="echo",
    )
    plugins = [
        AIPlugin(),
        ChatPlugin(),
        DocsPlugin(),
        PrivacyPlugin(),
        AdminPlugin(),
        SummarizePlugin(),
        HelpPlugin(),
    ]
    app = await build_app(config, plugins=plugins)
    yield app
    await app.close()


async def traces(app: App, member_id: int, words: tuple[str, ...]) -> list[str]:
    vectors = await app.services.get("ai", AIProviders).vectors()
    found = await table_traces(app.store, member_id, words)
    found += await vector_traces(vectors, member_id, words)
    return [str(t) for t in found if not is_kept_audit_record(t, member_id)]


async def use_everything(app: App, tmp_path: Path) -> Member:
    """The member (an admin of SERVER) uses every command that stores something."""
    me = Member(app, MEMBER, "Kumquat", SERVER, CHANNEL, True)
    neighbour = Member(app, NEIGHBOUR, "neighbour", SERVER, CHANNEL, False)
    await neighbour.say("/chat message:the garden opens at seven")
    assert f"You said: my word is {WORD}" in await me.say(f"/chat message:my word is {WORD}")
    await me.say(f"and again {WORD}")  # a plain message to the assistant
    elsewhere = Member(app, MEMBER, "Kumquat", OTHER_SERVER, CHANNEL, False)
    await elsewhere.say(f"/chat message:on the other server {WORD}")
    notes = tmp_path / "notes.txt"
    notes.write_text(f"{GARDEN_TEXT}\n\nPrivate note: {DOC_WORD} lives here.\n")
    assert "✅ Added" in await me.say(f"/docs upload file:{notes}")
    await me.say(f"/ask question:where does {DOC_WORD} live?")
    await me.say(f"/summarize text text:{WORD} is a word. It is mine. Nobody else writes it.")
    await me.say("/ai status")
    await me.say("/help")
    await me.say(f"/plugins config set plugin:chat key:persona value:Say {WORD} often")
    await me.say("/plugins config reset plugin:chat key:persona")
    await me.say("/plugins config set plugin:privacy key:retention_days value:400")
    await me.say("/privacy memory state:off")
    await me.say("/privacy memory state:on everywhere:true")
    assert "[file sohbet-data-" in await me.say("/privacy export everywhere:true")
    return me


async def test_forget_leaves_only_the_audit_record(app: App, tmp_path: Path) -> None:
    me = await use_everything(app, tmp_path)
    info = await me.say("/privacy info")
    assert "**Stored about you on this server**: 4 conversation turns" in info
    assert "1 document (" in info and "1 day of token usage, 3 audit log entries." in info
    assert AUDIT_EXCEPTION in info
    registry = app.services.get("registry", PluginRegistry)
    exported = json.dumps(await export_everything(app.services, registry, MEMBER, None))
    assert WORD in exported and DOC_WORD in exported and "Say " + WORD in exported
    before = await traces(app, MEMBER, (WORD, DOC_WORD))
    kinds = {trace.split(":", 1)[0] for trace in before}
    assert {"table conversation_messages", "table usage_daily", "table documents"} <= kinds
    assert {"table audit_log", "table bot_state", "vector store"} <= kinds

    out = await me.say("/privacy forget confirm:true everywhere:true")

    assert "Deleted your data everywhere" in out
    assert await traces(app, MEMBER, (WORD, DOC_WORD)) == []
    assert files_holding(app.services.config.data_dir, (WORD, DOC_WORD)) == []
    kept = await table_traces(app.store, MEMBER, (WORD, DOC_WORD))
    assert len(kept) == 3 and all(is_kept_audit_record(t, MEMBER) for t in kept)
    # The neighbour's data is untouched.
    assert await traces(app, NEIGHBOUR, ("garden opens at seven",))


async def test_with_memory_off_no_text_of_theirs_is_stored(app: App, tmp_path: Path) -> None:
    me = Member(app, MEMBER, "Kumquat", SERVER, CHANNEL, False)
    assert "Memory is off everywhere" in await me.say("/privacy memory state:off everywhere:true")

    assert f"You said: {WORD} one" in await me.say(f"/chat message:{WORD} one")
    assert f"You said: {WORD} two" in await me.say(f"{WORD} two")  # only this message
    await me.say(f"/ask question:is {WORD} in the documents?")

    left = await traces(app, MEMBER, (WORD,))
    # Only the token counts budgets need, and their choice itself; none of their words.
    assert {trace.split(":", 1)[0] for trace in left} == {"table usage_daily", "table bot_state"}
    assert not any(WORD in trace for trace in left)
    assert files_holding(app.services.config.data_dir, (WORD,)) == []
    assert "Memory: off (your choice everywhere)" in await me.say("/privacy info")


async def test_a_server_can_make_memory_opt_in(app: App) -> None:
    admin = Member(app, 1, "admin", SERVER, CHANNEL, True)
    await admin.say("/plugins config set plugin:privacy key:memory_opt_in value:true")
    me = Member(app, MEMBER, "Kumquat", SERVER, CHANNEL, False)

    assert f"You said: {WORD}" in await me.say(f"/chat message:{WORD}")
    assert {t.split(":", 1)[0] for t in await traces(app, MEMBER, (WORD,))} == {
        "table usage_daily"
    }
    assert "Memory: off (this server's default)" in await me.say("/privacy info")

    await me.say("/privacy memory state:on")  # they opt in here
    await me.say(f"/chat message:{WORD} remembered")
    second = await me.say("/chat message:and now?")
    assert f"You said: {WORD} remembered | and now?" in second
