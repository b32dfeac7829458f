"""`sohbet vectors reindex`: the old collection serves until the new one is complete."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot import commands
from bot.app import build_app
from bot.providers import AIProviders
from plugins.docs import DocsPlugin
from tests.ai.test_embeddings_remote import _Server
from tests.docs.conftest import GARDEN_TEXT, SERVER_A, Member, config_on_disk


async def serving(config: Any) -> tuple[str, int]:
    app = await build_app(config, plugins=[DocsPlugin()])
    try:
        ai = app.services.get("ai", AIProviders)
        embedder = await ai.embedder()
        return embedder.name, await (await ai.vectors()).count()
    finally:
        await app.close()


async def test_reindex_switches_only_when_complete(
    embeddings_server: tuple[_Server, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    sqlite_template: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    state, url = embeddings_server
    state.dimension = 6
    old = config_on_disk(
        tmp_path, monkeypatch, sqlite_template, model_provider="fake", model_name="Seven [1]."
    )
    app = await build_app(old, plugins=[DocsPlugin()])
    try:
        notes = tmp_path / "garden.txt"
        notes.write_text(GARDEN_TEXT)
        alice = Member(app, 1, "alice", SERVER_A, 11, False)
        assert "✅ Added" in await alice.say(f"/docs upload file:{notes}")
    finally:
        await app.close()
    old_name, chunks = await serving(old)
    assert chunks > 0

    new = old.model_copy(
        update={"embedding_model": "openai:nomic-embed-text", "embedding_base_url": url}
    )
    # Configured, not yet reindexed: the documents are still served with the old embedder.
    assert await serving(new) == (old_name, chunks)

    # The server is down: reindex fails with a clear error and nothing switches.
    down = new.model_copy(update={"embedding_base_url": "http://127.0.0.1:9/v1"})
    with pytest.raises(Exception, match=r"(?i)embedding|connect|reach"):
        await commands.vectors(down, "reindex")
    assert await serving(new) == (old_name, chunks)

    assert await commands.vectors(new, "reindex") == 0
    assert "Re-embedded 1 documents" in capsys.readouterr().out
    assert sum(state.batches) >= chunks
    assert await serving(new) == ("openai:nomic-embed-text", chunks)  # switched, all there
    assert (old.data_dir / "vectors" / "sohbet_chunks_openai_nomic_embed_text_6").is_dir()
    assert await commands.vectors(new, "reindex") == 0
    assert "already indexed" in capsys.readouterr().out
