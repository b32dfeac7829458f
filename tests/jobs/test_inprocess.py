"""No broker configured: uploads are ingested in this process, exactly as before."""

from __future__ import annotations

from bot.core.router import Cooldowns
from bot.jobs import InProcessJobs, shared_cooldowns
from tests.docs.conftest import SERVER_A, World, kettle_pdf


async def test_without_a_broker_uploads_run_in_this_process(world: World) -> None:
    app = world.app
    assert app.config.broker_url is None
    jobs = app.services.extras["jobs"]
    assert isinstance(jobs, InProcessJobs)
    assert shared_cooldowns(jobs) is None
    assert type(app.router.cooldowns) is Cooldowns  # in memory, per process
    assert (await jobs.stats()).line() == "Jobs: in this process (no broker configured)"

    alice = world.member("alice")
    out = await alice.say(f"/docs upload file:{world.file('manual.pdf', kettle_pdf())}")
    assert "✅ Added **manual.pdf**: 3 pages" in out
    assert "📄 Reading **manual.pdf**…" in out
    rows = await world.rows(SERVER_A)
    assert [(r.name, r.status) for r in rows] == [("manual.pdf", "ready")]
    assert await world.chunks(SERVER_A) == rows[0].chunks > 0


async def test_without_a_broker_refusals_read_as_before(world: World) -> None:
    alice = world.member("alice")
    path = world.file("manual.pdf", kettle_pdf())
    await alice.say(f"/docs upload file:{path}")
    again = await alice.say(f"/docs upload file:{path}")
    assert "is already in this server's documents" in again
    assert "❌ **manual.pdf** was not added." in again
