"""Jobs and shared limits against the real Redis on 127.0.0.1:6379 (skipped, with the reason,
where none answers). Each test gets one of databases 8-15, emptied first; worker and bot processes are
real `sohbet` processes started with SOHBET_BROKER_URL pointing at it."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from redis import asyncio as aioredis

from bot.jobs.reply import reply
from tests.docs.conftest import start_world, world  # noqa: F401  (fixtures)

# A database of 8-15 picked by process id: two test runs on one machine rarely share one.
REDIS_URL = os.environ.get("SOHBET_TEST_REDIS", f"redis://127.0.0.1:6379/{8 + os.getpid() % 8}")
SOHBET = str(Path(sys.executable).with_name("sohbet"))


@pytest.fixture
async def redis_url() -> AsyncIterator[str]:
    client = aioredis.from_url(REDIS_URL)
    try:
        await asyncio.wait_for(reply(client.ping()), 2)
    except Exception as exc:  # no server: say so instead of failing
        await client.aclose()
        pytest.skip(f"no Redis at {REDIS_URL} ({type(exc).__name__}); start redis-server")
    await client.flushdb()
    yield REDIS_URL
    await client.flushdb()
    await client.aclose()


def process_env(data_dir: Path, broker: str | None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOHBET_")}
    env.pop("DISCORD_TOKEN", None)
    env.update(
        SOHBET_DATA_DIR=str(data_dir),
        SOHBET_CONFIG_FILE=str(data_dir / "absent.toml"),
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        **extra,
    )
    if broker:
        env["SOHBET_BROKER_URL"] = broker
    return env


class Workers:
    """`sohbet worker` processes for one test; all stopped (SIGKILL if need be) at the end."""

    def __init__(self, data_dir: Path, broker: str) -> None:
        self.data_dir = data_dir
        self.broker = broker
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self, **extra: str) -> subprocess.Popen[bytes]:
        env = process_env(
            self.data_dir,
            self.broker,
            SOHBET_PLUGINS="docs",
            SOHBET_JOB_HEARTBEAT_S="2",
            SOHBET_JOB_SWEEP_S="1",
            **extra,
        )
        log = open(self.data_dir / f"worker{len(self.started)}.log", "wb")  # noqa: SIM115
        process = subprocess.Popen([SOHBET, "worker"], env=env, stdout=log, stderr=log)
        self.started.append(process)
        return process

    def stop(self, process: subprocess.Popen[bytes], timeout: float = 15) -> None:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def stop_all(self) -> None:
        for process in self.started:
            self.stop(process)


@pytest.fixture
def workers(fast_dir: Path, redis_url: str) -> Iterator[Workers]:
    data = fast_dir / "shared"
    data.mkdir()
    pool = Workers(data, redis_url)
    yield pool
    pool.stop_all()
