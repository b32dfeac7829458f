"""Answers a server's admins fixed (bot.teaching) come before /ask's search: for the same
question or one that means the same, marked as theirs with the date, on that server only;
the "Teach Sohbet" correction knows which question the bot's answer was for."""

from __future__ import annotations

from bot.teaching import TeachingService
from plugins.teach import TeachPlugin
from tests.docs.conftest import ANSWER, SERVER_A, SERVER_B, World, kettle_pdf


async def test_a_fixed_answer_comes_first_and_stays_on_its_server(world: World) -> None:
    admin = world.member("ada", admin=True)
    world.app.registry.register(TeachPlugin())
    await world.app.registry.plugins["teach"].setup(world.app.services)
    await admin.say(f"/docs upload file:{world.file('kettle.pdf', kettle_pdf())}")
    before = await admin.say("/ask question:How long is the kettle's warranty?")
    assert ANSWER.split(" [")[0] in before, before

    taught = await admin.say(
        '/teach answer question:"How long is the kettle\'s warranty?" '
        'answer:"Two years; bring the receipt to the front desk."'
    )
    assert "Saved answer #1" in taught, taught
    again = await admin.say("/ask question:how long does the kettle warranty last")
    assert "Two years; bring the receipt to the front desk." in again, again
    assert "Answer set by the server's admins on" in again
    assert ANSWER.split(" [")[0] not in again

    other = world.member("bo", server=SERVER_B)
    await other.say(f"/docs upload file:{world.file('kettle2.pdf', kettle_pdf('b'))}")
    elsewhere = await other.say("/ask question:How long is the kettle's warranty?")
    assert "Two years" not in elsewhere, elsewhere

    teaching = world.app.services.get("teaching", TeachingService)
    assert teaching.answered_question(SERVER_A, 0) is None
    noted = [key for key in teaching._noted if key[0] == SERVER_A]
    assert noted, "the first /ask's messages are remembered for the Teach Sohbet correction"
