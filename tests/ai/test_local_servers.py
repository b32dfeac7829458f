"""With no model configured, a local Ollama / llama.cpp server that answers is used."""

from __future__ import annotations

import asyncio
import io
import logging
import time
from pathlib import Path
from typing import Any

import pytest

from bot.ai.local_servers import detect_local_server, use_local_server
from bot.ai.runner import ChatRunner
from bot.config import Config
from bot.platforms.console import ConsoleAdapter
from bot.providers import AIProviders, ModelChoice
from tests.ai.models_support import fake_openai_server, free_port
from tests.conftest import isolate_environment


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_environment(monkeypatch, tmp_path)


def nobody() -> tuple[str, str]:
    return ("Ollama", f"http://127.0.0.1:{free_port()}/v1")


async def test_an_answering_server_becomes_the_default(caplog: pytest.LogCaptureFixture) -> None:
    with fake_openai_server() as server:
        server.models = ["qwen2.5:0.5b", "llama3.2"]
        candidates = (nobody(), ("llama.cpp server", server.base_url))
        with caplog.at_level(logging.INFO, logger="bot.ai.local_servers"):
            config = await use_local_server(Config(), candidates)
        assert (config.model_provider, config.model_base_url, config.model_name) == (
            "openai",
            server.base_url,
            "qwen2.5:0.5b",
        )
        assert config.model_server == "llama.cpp server"
        assert f"using the llama.cpp server at {server.base_url}" in caplog.text
        # ...and answers go there, through the OpenAI-compatible API.
        cfg = ModelChoice(config).default()
        answer = await ChatRunner().complete("hi", cfg.model_copy(update={"model": "ok"}))
        assert answer.text == "Hello from the server."
        sent = [r["body"] for r in server.requests if r["path"] == "/v1/chat/completions"]
        # The answer's length limit by both names: local servers read only `max_tokens`.
        assert sent[0]["max_tokens"] == sent[0]["max_completion_tokens"] == cfg.max_new_tokens
        # A server on this machine keeps the evaluated prompt for the next request (llama.cpp).
        assert sent[0]["cache_prompt"] is True


async def test_none_running_keeps_the_bundled_model() -> None:
    started = time.perf_counter()
    config = await use_local_server(Config(), (nobody(), nobody()))
    assert time.perf_counter() - started < 1.0  # refused connections fail fast
    assert (config.model_provider, config.model_name, config.model_server) == ("auto", "", "")
    assert ModelChoice(config).default().provider in ("llamacpp", "transformers")


async def test_a_slow_server_is_not_waited_for() -> None:
    with fake_openai_server() as server:
        server.models_delay = 5.0
        started = time.perf_counter()
        found = await detect_local_server((("Ollama", server.base_url),), timeout_s=0.3)
        waited = time.perf_counter() - started
        server.release.set()
    assert found is None
    assert waited < 2.0


async def test_a_server_without_models_or_an_explicit_choice_is_left_alone() -> None:
    with fake_openai_server() as server:
        server.models = []  # Ollama before its first pull
        assert await detect_local_server((("Ollama", server.base_url),)) is None
        server.models = ["ok"]
        candidates = (("Ollama", server.base_url),)
        # The operator chose a model (or provider): no probing, their choice stands.
        chosen = Config(model_provider="transformers")
        assert await use_local_server(chosen, candidates) is chosen
        named = Config(model_name="smollm2")
        assert await use_local_server(named, candidates) is named
        assert not server.requests


async def test_ai_status_names_the_server_and_the_local_queue(
    make_app: Any, config: Config
) -> None:
    from plugins.ai import AIPlugin

    with fake_openai_server() as server:
        found = await use_local_server(config, (("Ollama", server.base_url),))
        app = await make_app(AIPlugin(), config=found)
        out = io.StringIO()
        await ConsoleAdapter(app.router, out=out, user_name="me").run(io.StringIO("/ai status\n"))
    assert f"Served by: the local Ollama at {server.base_url} (found at start)" in out.getvalue()
    # In process instead (nothing found): the local model's queue is shown.
    local = config.model_copy(update={"model_provider": "transformers"})
    app = await make_app(AIPlugin(), config=local)
    ai = app.services.get("ai", AIProviders)
    cfg = ai.models.default()
    await ai.runner.serial_lock(cfg).acquire(("s", "someone"))  # someone is being answered
    out = io.StringIO()
    await ConsoleAdapter(app.router, out=out, user_name="me").run(io.StringIO("/ai status\n"))
    ai.runner.serial_lock(cfg).release()
    assert "Local model queue: 0 waiting (answering one request)" in out.getvalue()
    assert "Served by" not in out.getvalue()


async def test_servers_named_by_the_operator_are_tried_first() -> None:
    """In compose, SOHBET_MODEL_SERVER_URLS points at the `ollama` service."""
    with fake_openai_server() as server, fake_openai_server() as standard:
        server.models = ["qwen2.5:1.5b"]
        config = Config(model_server_urls=f" {server.base_url}/ , http://127.0.0.1:{free_port()}")
        found = await use_local_server(config, (("Ollama", standard.base_url),))
    assert (found.model_base_url, found.model_name) == (server.base_url, "qwen2.5:1.5b")


async def test_sohbet_chat_uses_the_server_and_says_so(tmp_path: Path) -> None:
    """The real command: `sohbet chat` with nothing configured talks to the server it found."""
    from tests.console.test_cli import _run

    with fake_openai_server() as server:
        run = await asyncio.to_thread(
            _run,
            tmp_path,
            ["chat"],
            "hello\n/ai status\n",
            SOHBET_PLUGINS="ai,chat",
            SOHBET_MODEL_SERVER_URLS=server.base_url,
        )
        doctor = await asyncio.to_thread(
            _run, tmp_path, ["doctor"], SOHBET_MODEL_SERVER_URLS=server.base_url
        )
    assert run.code == 0, run.output
    assert f"Using the local model server at {server.base_url} (model ok)." in run.stderr
    assert f"[ok] model: openai / ok from the local model server at {server.base_url}" in (
        doctor.stdout
    )
    assert "Hello from the server." in run.stdout
    assert f"Served by: the local model server at {server.base_url}" in run.stdout
