"""The `docs` plugin on (simulated) Discord: "Add to documents" on a real message, /ask cites
that message's link, and another guild sees nothing. Real discord.py client, Router, SQLite,
embedded Qdrant and embedder; SimCord plays Discord."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from simcord import Env

from bot.app import build_app
from bot.config import Config
from bot.knowledge import answers
from bot.platforms.discord import DiscordSettings, SohbetClient
from bot.shared.markup import command_ref, plain
from plugins.docs import DocsPlugin
from tests.conftest import isolate_environment, migrated_sqlite
from tests.docs.conftest import ANSWER, kettle_pdf

NOT_FOUND = plain(answers.NOT_FOUND.format(command=command_ref("docs upload")))  # as read


@pytest.fixture
async def env(
    fast_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sqlite_template: Path
) -> AsyncIterator[Env]:
    isolate_environment(monkeypatch, tmp_path)
    migrated_sqlite(sqlite_template, fast_dir / "sohbet.db")
    config = Config(data_dir=fast_dir, model_provider="fake", model_name=ANSWER)
    app = await build_app(config, plugins=[DocsPlugin()])
    client = SohbetClient(app, DiscordSettings(stream_edit_interval=1.0))
    env = Env(client, settle_timeout=30.0)
    await env.start()
    try:
        yield env
    finally:
        await env.shutdown()
        await app.close()
    assert not env.errors_since(0), env.errors_since(0)


async def test_add_to_documents_then_ask_on_discord(env: Env) -> None:
    guild = env.create_guild("Kitchen")
    general = guild.create_text_channel("general")
    alice = guild.add_member(env.create_user("alice"))
    bob = guild.add_member(env.create_user("bob"))
    other = env.create_guild("Elsewhere")
    stranger = other.add_member(env.create_user("carol"))
    elsewhere = other.create_text_channel("general")

    posted = await alice.send(
        general, "our kettle manual", attachments=[("kettle-manual.pdf", kettle_pdf())]
    )
    added = await bob.context_menu(general, "Add to documents", posted)
    texts = [m.content for m in [added.response, *added.followups] if m is not None]
    assert any("✅ Added **kettle-manual.pdf**: 3 pages, 3 chunks" in t for t in texts), texts

    asked = await alice.slash(general, "ask", question="How long is the warranty?")
    texts = [m.content for m in [asked.response, *asked.followups] if m is not None]
    assert ANSWER in texts[0]
    assert f"[1] kettle-manual.pdf, pages 1, 2, 3 — <{posted.jump_url}>" in "\n".join(texts)

    asked = await stranger.slash(elsewhere, "ask", question="How long is the warranty?")
    texts = [m.content for m in [asked.response, *asked.followups] if m is not None]
    assert texts == [NOT_FOUND]


async def test_a_slash_upload_is_cited_by_a_permanent_link(env: Env) -> None:
    guild = env.create_guild("Kitchen")
    general = guild.create_text_channel("general")
    alice = guild.add_member(env.create_user("alice"))

    uploaded = await alice.slash(general, "docs upload", file=("kettle-manual.pdf", kettle_pdf()))
    status = [m for m in [uploaded.response, *uploaded.followups] if m is not None]
    assert any("✅ Added **kettle-manual.pdf**" in m.content for m in status)

    asked = await alice.slash(general, "ask", question="How long is the warranty?")
    texts = "\n".join(m.content for m in [asked.response, *asked.followups] if m is not None)
    # The bot's own upload message, not the attachment's expiring CDN address.
    link = f"https://discord.com/channels/{guild.id}/{general.id}/{status[0].id}"
    assert f"[1] kettle-manual.pdf, pages 1, 2, 3 — <{link}>" in texts
    assert "cdn" not in texts.lower()
