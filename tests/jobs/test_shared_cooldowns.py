"""Two bot processes share a member's cooldown through Redis; without a broker each process
keeps its own (the old behaviour, which gave N processes N times the allowance)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.jobs.conftest import SOHBET, process_env

COMMAND = "/summarize channel\n"  # a 10 s cooldown, answered without a model


def console(data_dir: Path, broker: str | None) -> str:
    """One `sohbet chat` process: the console member runs the command once, then it exits."""
    data_dir.mkdir(parents=True, exist_ok=True)
    env = process_env(data_dir, broker, SOHBET_PLUGINS="summarize")
    done = subprocess.run(
        [SOHBET, "chat"], input=COMMAND, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_two_processes_share_a_cooldown(redis_url: str, tmp_path: Path) -> None:
    first = console(tmp_path / "bot1", redis_url)
    second = console(tmp_path / "bot2", redis_url)  # another process, its own database
    assert "no messages to summarize" in first
    assert "Slow down a little — try again in" in second


def test_without_a_broker_each_process_has_its_own(redis_url: str, tmp_path: Path) -> None:
    first = console(tmp_path / "bot1", None)
    second = console(tmp_path / "bot2", None)
    assert "no messages to summarize" in first
    assert "no messages to summarize" in second
