"""Teaching from Telegram: reply + /teach picks a member's message, /teach_sentiment labels
it, a CSV sent with /teach_import as its caption is imported; members can't teach."""

from __future__ import annotations

from bot.core.identity import core_id
from bot.teaching import TeachingService
from plugins.sentiment import SentimentPlugin
from plugins.teach import TeachPlugin
from tests.teach.community import EXAMPLES, as_csv
from tests.telegram.conftest import ALICE, BOB, GROUP_ID, StartWorld
from tests.telegram.fakeapi import supergroup


async def test_admins_teach_from_telegram(start_world: StartWorld) -> None:
    world = await start_world(TeachPlugin(), SentimentPlugin())
    api = world.api
    group = supergroup(GROUP_ID)
    api.admins.add((GROUP_ID, ALICE["id"]))
    teaching = world.app.services.get("teaching", TeachingService)
    server = core_id("telegram", GROUP_ID)

    original = api.send(group, BOB, "this raid team is cracked")
    api.send(group, ALICE, "/teach", reply_to=original)
    await api.until(lambda: "Picked" in "".join(api.texts(GROUP_ID)), quiet=0.3)
    api.send(group, ALICE, "/teach_sentiment label=positive")
    await api.until(lambda: "(taught)" in "".join(api.texts(GROUP_ID)), quiet=0.3, within=30)
    (example,) = await teaching.repo.examples(server, "sentiment")
    assert example.text == "this raid team is cracked"
    assert example.writer_id == core_id("telegram", BOB["id"])  # Bob's words: his to export

    api.send(
        group, ALICE, "/teach_import task=sentiment", document=("labels.csv", as_csv(EXAMPLES))
    )
    await api.until(lambda: "Imported" in "".join(api.texts(GROUP_ID)), quiet=0.3, within=60)
    assert "Imported 44 new examples" in "".join(api.texts(GROUP_ID))  # one was taught above
    assert sum((await teaching.repo.example_counts(server, "sentiment")).values()) == 45

    before = len(api.texts(GROUP_ID))
    api.send(group, BOB, "/teach_sentiment label=negative text=nope")
    await api.until(lambda: len(api.texts(GROUP_ID)) > before, quiet=0.3)
    assert "administrator" in api.texts(GROUP_ID)[-1]
    assert sum((await teaching.repo.example_counts(server, "sentiment")).values()) == 45
