"""`sohbet worker` and `sohbet jobs status|dead|retry ID`."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bot.core.errors import SohbetError

if TYPE_CHECKING:
    from bot.config import Config

__all__ = ["jobs_command", "worker_command"]


async def worker_command(config: Config, concurrency: int) -> int:
    """Build the same App as the bot and run queued jobs until SIGTERM/SIGINT."""
    from bot.app import build_app
    from bot.jobs.worker import check_broker, jobs_from_config, run_worker

    jobs = jobs_from_config(config)
    await check_broker(jobs, config)
    try:
        app = await build_app(config)
    except BaseException:
        await jobs.close()
        raise
    return await run_worker(app, jobs, concurrency)


async def jobs_command(config: Config, action: str, key: str | None) -> int:
    from bot.jobs.worker import check_broker, jobs_from_config

    jobs = jobs_from_config(config)
    try:
        await check_broker(jobs, config)
        if action == "status":
            print((await jobs.stats()).line())
            return 0
        if action == "dead":
            dead = await jobs.dead()
            for job in dead:
                when = datetime.fromtimestamp(job.failed_at, UTC).strftime("%Y-%m-%d %H:%M:%S")
                print(f"{job.key}  {job.function:8} {job.description}  {job.attempts} attempt(s)")
                print(f"{'':34}failed {when} UTC: {job.error}")
            print(f"{len(dead)} dead job(s).")
            return 0
        if not key:
            raise SohbetError(
                "Say which job: `sohbet jobs retry ID` (ids from `sohbet jobs dead`)."
            )
        if not await jobs.retry(key):
            print(f"No single dead job matches {key!r}; see `sohbet jobs dead`.", file=sys.stderr)
            return 1
        print(f"Job {key} is queued again.")
        return 0
    finally:
        await jobs.close()
