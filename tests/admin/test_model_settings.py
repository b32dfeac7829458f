"""Model settings are checked against the operator's allow list when an admin sets them,
not later when members talk: a refused change stores nothing and audits nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.config import Config
from plugins.admin import AdminPlugin
from plugins.ai import AIPlugin
from plugins.chat import ChatPlugin
from plugins.sentiment import SentimentPlugin
from plugins.summarize import SummarizePlugin
from plugins.translate import TranslatePlugin
from tests.admin.test_admin import Console


@pytest.fixture
async def console(make_app: Any, config: Config) -> Console:
    allowed = config.model_copy(update={"allowed_models": ["bigger-model", "openai:gpt-4o-mini"]})
    plugins = [AdminPlugin(), AIPlugin(), ChatPlugin(), TranslatePlugin()]
    plugins += [SummarizePlugin(), SentimentPlugin()]
    app: App = await make_app(*plugins, config=allowed)
    return Console(app)


async def test_a_model_off_the_allow_list_is_refused_when_set(console: Console) -> None:
    out = await console.say("/plugins config set plugin:ai key:model value:gpt-5")
    assert "The model `gpt-5` isn't allowed here." in out
    assert "`bigger-model`" in out and "`openai:gpt-4o-mini`" in out
    out = await console.say("/plugins config set plugin:chat key:model value:gpt-5 channel:true")
    assert "isn't allowed here" in out
    out = await console.say("/plugins config set plugin:summarize key:model value:gpt-5")
    assert "isn't allowed here" in out
    assert await console.audit() == []
    assert '`model` = `""`' in await console.say("/plugins config get plugin:chat")


async def test_allowed_models_and_providers_are_accepted(console: Console) -> None:
    out = await console.say("/plugins config set plugin:chat key:model value:bigger-model")
    assert '`chat.model` is now `"bigger-model"`' in out
    # Another provider needs its provider:model entry: the key is the operator's.
    out = await console.say("/plugins config set plugin:ai key:provider value:openai")
    assert "isn't allowed here" in out
    assert "set the model as `provider:model`" in out  # how to switch both at once
    out = await console.say("/plugins config set plugin:ai key:model value:gpt-4o-mini")
    assert "isn't allowed here" in out  # gpt-4o-mini is allowed for openai only
    out = await console.say("/plugins config set plugin:ai key:model value:openai:gpt-4o-mini")
    assert '`ai.model` is now `"openai:gpt-4o-mini"`' in out
    entries = [entry[2:] for entry in await console.audit()]
    assert entries == [("chat.model", "", "bigger-model"), ("ai.model", "", "openai:gpt-4o-mini")]


async def test_task_model_paths_need_the_allow_list(
    console: Console, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "model"
    folder.mkdir()
    for plugin, key in [
        ("translate", "seq2seq_model"),
        ("summarize", "seq2seq_model"),
        ("sentiment", "transformers_model"),
    ]:
        out = await console.say(f"/plugins config set plugin:{plugin} key:{key} value:{folder}")
        assert f"`{folder}` isn't allowed here" in out, out
        hub = f"/plugins config set plugin:{plugin} key:{key} value:Helsinki-NLP/opus-mt-tr-en"
        out = await console.say(hub)  # offline, and not downloaded: it could never load
        assert "isn't on this machine, and Sohbet runs offline" in out, out
        monkeypatch.setenv("HF_HUB_OFFLINE", "0")  # online, the first use downloads it
        out = await console.say(hub)
        assert 'is now `"Helsinki-NLP/opus-mt-tr-en"`' in out, out
        monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.mark.parametrize(
    "setting",
    [
        "plugin:ai key:model",
        "plugin:chat key:model",
        "plugin:summarize key:model",
        "plugin:translate key:seq2seq_model",
    ],
)
async def test_a_huge_model_value_is_not_echoed_back(console: Console, setting: str) -> None:
    out = await console.say(f"/plugins config set {setting} value:{'m' * 100_000}")
    assert "at most 300" in out  # the chat model check, or the task fields' max_length
    assert len(out) < 300, len(out)
    out = await console.say(f"/plugins config set {setting} value:{'m' * 250}")
    assert "isn't allowed here" in out and "m" * 119 + "…`" in out
    assert len(out) < 600, len(out)
    assert await console.audit() == []
