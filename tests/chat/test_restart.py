"""Memory survives a restart: two `sohbet chat` processes, one SQLite database.

The model is the deterministic `echo` fake (SOHBET_MODEL_PROVIDER=fake, SOHBET_MODEL_NAME=echo):
its answer lists every message of the person it received, so the second process's answer
shows that the first process's turns came back from the database.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from pathlib import Path

from bot.core.events import ConversationKey
from bot.platforms.console import CONSOLE_SERVER_ID
from bot.store.database import Store


def _sohbet() -> list[str]:
    script = Path(sys.executable).parent / "sohbet"
    if script.exists():
        return [str(script)]
    found = shutil.which("sohbet")
    return [found] if found else [sys.executable, "-m", "bot.cli"]


def chat(home: Path, *lines: str) -> list[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("SOHBET_") and k not in {"DISCORD_TOKEN", "OPENAI_API_KEY"}
    }
    env |= {
        "SOHBET_DATA_DIR": str(home / "data"),
        "SOHBET_CONFIG_FILE": str(home / "absent.toml"),
        "SOHBET_PLUGINS": "ai,chat,help",
        "SOHBET_MODEL_PROVIDER": "fake",
        "SOHBET_MODEL_NAME": "echo",
        "HF_HUB_OFFLINE": "1",
        "PYTHONIOENCODING": "utf-8",
    }
    done = subprocess.run(
        [*_sohbet(), "chat"],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        cwd=home,
        env=env,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_a_new_process_continues_the_conversation(tmp_path: Path) -> None:
    first = chat(tmp_path, "my name is Ada", "I like tea")
    assert first == [
        "sohbet> You said: my name is Ada",
        "sohbet> You said: my name is Ada | I like tea",
    ]
    second = chat(tmp_path, "what do you remember?", "/reset", "fresh start")
    assert second == [
        "sohbet> You said: my name is Ada | I like tea | what do you remember?",
        "sohbet> (only you) Done — I've forgotten our conversation here.",
        "sohbet> You said: fresh start",
    ]

    async def stored() -> list[tuple[str, str]]:
        store = Store(f"sqlite+aiosqlite:///{tmp_path / 'data' / 'sohbet.db'}")
        try:
            key = ConversationKey(CONSOLE_SERVER_ID, "user:1:chan:1")
            _, turns = await store.conversations.history(key)
            return [(t.role, t.content) for t in turns]
        finally:
            await store.close()

    assert asyncio.run(stored()) == [
        ("user", "fresh start"),
        ("assistant", "You said: fresh start"),
    ]
