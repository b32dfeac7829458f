"""A server admin switches the chat model with /plugins config set, within the allow list."""

from __future__ import annotations

import io
from typing import Any

from bot.config import Config
from bot.platforms.console import ConsoleAdapter
from plugins.admin import AdminPlugin
from plugins.ai import AIPlugin
from plugins.chat import ChatPlugin
from tests.chat.helpers import echo_config


async def test_switching_models_in_the_console(make_app: Any, config: Config) -> None:
    # The fake provider answers with the model's name (except `echo`, the default here).
    allowed = ["Reply from model B", "openai:gpt-4o-mini"]
    config = echo_config(config).model_copy(update={"allowed_models": allowed})
    app = await make_app(AdminPlugin(), AIPlugin(), ChatPlugin(), config=config)
    out = io.StringIO()
    console = ConsoleAdapter(app.router, out=out, user_name="admin")
    lines = [
        "hello",
        "/plugins config set plugin:ai key:model value:Reply from model B",
        "hello again",
        "/ai status",
        "/plugins config set plugin:ai key:model value:Some other model",
        "are you there?",
        "/plugins config set plugin:ai key:provider value:openai",
        "still?",
        "/plugins config reset plugin:ai",
        "back to the default",
    ]
    await console.run(io.StringIO("\n".join(lines) + "\n"))
    said = [line for line in out.getvalue().splitlines() if line.startswith("sohbet>")]
    assert said[0] == "sohbet> You said: hello"
    assert said[2] == "sohbet> Reply from model B"
    assert said[3] == "sohbet> (only you) Model: `fake` / `Reply from model B`"
    # Not on the allow list: the admin is told when setting it, and nothing is stored.
    assert said[4] == (
        "sohbet> (only you) The model `Some other model` isn't allowed here. Allowed besides "
        "the default: `Reply from model B`, `openai:gpt-4o-mini`."
    )
    assert said[5] == "sohbet> Reply from model B"
    # Another provider needs an entry naming it (the operator's key stays the operator's).
    assert "The model `openai:Reply from model B` isn't allowed here." in said[6]
    assert said[7] == "sohbet> Reply from model B"
    history = "hello | hello again | are you there? | still? | back to the default"
    assert said[-1] == f"sohbet> You said: {history}"
