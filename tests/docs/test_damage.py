"""A damaged vector-store file: one clear sentence for members, a diagnosis for operators."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot import commands
from bot.app import build_app
from bot.knowledge.reconcile import reconcile
from bot.providers import AIProviders
from plugins.admin import AdminPlugin
from plugins.docs import DocsPlugin
from plugins.privacy import PrivacyPlugin
from tests.docs.conftest import SERVER_A, Member, config_on_disk, kettle_pdf

WARRANTY = "How long is the warranty?"


async def test_a_damaged_store_is_explained_found_by_doctor_and_reset(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    sqlite_template: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = config_on_disk(
        tmp_path, monkeypatch, sqlite_template, model_provider="fake", model_name="Two years [1]."
    )
    data = config.data_dir
    plugins = [DocsPlugin(), AdminPlugin(), PrivacyPlugin()]
    manual = tmp_path / "kettle-manual.pdf"
    manual.write_bytes(kettle_pdf())

    app = await build_app(config, plugins=plugins)
    try:
        alice = Member(app, 1, "alice", SERVER_A, 11, False)
        assert "✅ Added" in await alice.say(f"/docs upload file:{manual}")
        store = await app.services.get("ai", AIProviders).vectors()
        await store.optimize()  # the text now lives in segment files, not only in the log
    finally:
        await app.close()
    pages = list((data / "vectors").rglob("payload_storage/page_0.dat"))
    assert pages
    for page in pages:  # garbage where the chunks' text was
        page.write_bytes(os.urandom(page.stat().st_size))

    app = await build_app(config, plugins=plugins)
    try:
        alice = Member(app, 1, "alice", SERVER_A, 11, False)
        out = await alice.say(f"/ask {WARRANTY}")
        assert "The document index is damaged" in out
        assert str(tmp_path) not in out and "/" not in out.split("damaged")[1].split("(")[0]
    finally:
        await app.close()

    capsys.readouterr()
    assert await commands.doctor(config) == 1
    report = capsys.readouterr().out
    assert "[FAIL] vector store: damaged" in report and "sohbet vectors reset" in report

    assert await commands.vectors(config, "reset") == 0
    app = await build_app(config, plugins=plugins)
    try:
        await reconcile(app.store, await app.services.get("ai", AIProviders).vectors())
        alice = Member(app, 1, "alice", SERVER_A, 11, False)
        assert "No documents yet" in await alice.say("/docs list")  # nothing listed unusable
        assert "✅ Added" in await alice.say(f"/docs upload file:{manual}")
        assert "kettle-manual.pdf" in await alice.say(f"/ask {WARRANTY}")
    finally:
        await app.close()
