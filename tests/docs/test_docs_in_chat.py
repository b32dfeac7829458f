"""Documents in chat: mentions answered from the documents when they hold the answer."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import build_app
from plugins.admin import AdminPlugin
from plugins.chat import ChatPlugin
from plugins.docs import DocsPlugin
from tests.docs.conftest import SERVER_A, Member, config_on_disk, kettle_pdf


async def test_mentions_answer_from_documents_when_the_setting_is_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sqlite_template: Path
) -> None:
    config = config_on_disk(
        tmp_path, monkeypatch, sqlite_template, model_provider="fake", model_name="echo"
    )
    app = await build_app(config, plugins=[DocsPlugin(), AdminPlugin(), ChatPlugin()])
    try:
        mod = Member(app, 1, "mod", SERVER_A, 11, True)
        manual = tmp_path / "kettle-manual.pdf"
        manual.write_bytes(kettle_pdf())
        assert "✅ Added" in await mod.say(f"/docs upload file:{manual}")
        question = "How long is the warranty on the Zephyr kettle?"

        off = await mod.say(question)  # default: chat answers as usual
        assert "You said:" in off and "Sources" not in off

        out = await mod.say("/plugins config set plugin:docs key:answer_in_chat value:true")
        assert "is now `true`" in out
        on = await mod.say(question)
        assert "<sources>" in on  # the echo model shows it got the documents, as /ask does
        # The echo's "[1]"s are the prompt's, not claims the source holds: checked and dropped.
        assert "*Consulted, not cited:* kettle-manual.pdf" in on
        unrelated = await mod.say("Who painted the Mona Lisa in the old days?")
        assert unrelated.strip().startswith("sohbet> You said:") and "Sources" not in unrelated
    finally:
        await app.close()
