"""The per-upload budget end to end: a server's setting, the operator's ceiling, nothing stored."""

from __future__ import annotations

from tests.docs.conftest import SERVER_A, StartWorld
from tests.documents.hostile import pdf_file

SLOW_PDF = pdf_file(["BT /F1 10 Tf 40 760 Td " + "(w) Tj " * 300_000 + "ET"])  # ~3 s of CPU


async def test_an_upload_past_the_servers_budget_stops_and_leaves_nothing(
    start_world: StartWorld,
) -> None:
    world = await start_world()
    admin = world.member("admin", admin=True)
    out = await admin.say("/plugins config set plugin:docs key:upload_cpu_seconds value:1")
    assert "upload_cpu_seconds" in out
    path = world.file("slow.pdf", SLOW_PDF)

    out = await admin.say(f"/docs upload file:{path}")

    assert (
        "`slow.pdf` needed more than the 1 second of processing an upload may use here, "
        "so I stopped and added nothing of it" in out
    )
    assert "❌ **slow.pdf** was not added." in out
    assert await world.rows(SERVER_A) == []
    assert await world.chunks(SERVER_A) == 0


async def test_the_operators_ceiling_caps_a_servers_budget(start_world: StartWorld) -> None:
    world = await start_world(upload_max_cpu_s=1)  # the server keeps its default of 30 s
    member = world.member("member")

    out = await member.say(f"/docs upload file:{world.file('slow.pdf', SLOW_PDF)}")

    assert "needed more than the 1 second of processing" in out
    assert await world.rows(SERVER_A) == []

    small = world.file("notes.txt", "The garden opens at seven in the morning.")
    assert "✅ Added **notes.txt**" in await member.say(f"/docs upload file:{small}")
