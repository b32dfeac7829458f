"""Documents on Telegram: upload with /docs_add, /ask with a citation, limits, privacy, and
the same numbers on Discord kept apart (real RAG ingestion, embedded vector store, SQLite)."""

from __future__ import annotations

from pathlib import Path

from bot.core.identity import core_id
from plugins.admin import AdminPlugin
from plugins.chat import ChatPlugin
from plugins.docs import DocsPlugin
from plugins.privacy import PrivacyPlugin
from tests.docs.conftest import ANSWER, Member, kettle_pdf
from tests.telegram.conftest import ALICE, BOB, GROUP_ID, StartWorld
from tests.telegram.fakeapi import private_chat, supergroup

LINK = "https://t.me/c/1234567890"
DISCORD_GUILD = 1234567890  # the digits of the Telegram group's id, as a Discord guild


async def test_upload_then_ask_with_a_citation(start_world: StartWorld, tmp_path: Path) -> None:
    world = await start_world(DocsPlugin(), AdminPlugin(), PrivacyPlugin(), model=ANSWER)
    api = world.api
    group = supergroup(GROUP_ID)

    # The same number on Discord: Alice's Discord id equals her Telegram id, and a guild has
    # the Telegram group's digits. Her Discord upload must stay on Discord.
    manual = tmp_path / "kettle-manual.pdf"
    manual.write_bytes(kettle_pdf("discord"))
    on_discord = Member(world.app, ALICE["id"], "alice", DISCORD_GUILD, 11, admin=False)
    assert "✅ Added" in await on_discord.say(f"/docs upload file:{manual}")

    api.send(group, ALICE, "/ask How long is the warranty?")
    await api.until(lambda: api.in_chat(GROUP_ID), quiet=0.3)
    assert "couldn't find the answer" in api.texts(GROUP_ID)[0]

    posted = api.send(
        group, ALICE, "/docs_add", document=("kettle-manual.pdf", kettle_pdf("telegram"))
    )
    await api.until(lambda: "✅" in "".join(api.texts(GROUP_ID)), quiet=0.3, within=30)
    status = api.texts(GROUP_ID)[1]
    assert status.startswith("✅ Added <b>kettle-manual.pdf</b>: 3 pages")
    assert len(api.in_chat(GROUP_ID)[1].versions) >= 2  # "📄 Reading …" then the result

    api.send(group, BOB, "/ask How long is the warranty?")
    await api.until(lambda: len(api.in_chat(GROUP_ID)) >= 4, quiet=0.3)
    answer, sources = api.texts(GROUP_ID)[2:4]
    assert answer == ANSWER
    # cited by a permanent link: the status message, a reply to the member's document
    status_message = api.in_chat(GROUP_ID)[1]
    assert status_message.reply_to == posted["message_id"]
    assert f'<a href="{LINK}/{status_message.message_id}">' in sources
    assert "kettle-manual.pdf, pages 1, 2, 3" in sources

    # one document per platform, each listed where it was added
    tg_alice, tg_group = core_id("telegram", ALICE["id"]), core_id("telegram", GROUP_ID)
    documents = world.app.store.documents
    assert [d.uploader_id for d in await documents.list(tg_group)] == [tg_alice]
    assert [d.uploader_id for d in await documents.list(DISCORD_GUILD)] == [ALICE["id"]]

    # /privacy forget on Telegram deletes her Telegram data, not her Discord data
    api.send(group, ALICE, "/privacy_forget confirm=true")
    await api.until(lambda: "Deleted" in api.texts(GROUP_ID)[-1], quiet=0.3)
    assert "1 document" in api.texts(GROUP_ID)[-1]
    assert await documents.list(tg_group) == []
    assert len(await documents.list(DISCORD_GUILD)) == 1
    assert "✅" not in await on_discord.say("/ask question:How long is the warranty?")
    assert ANSWER in await on_discord.say("/ask question:How long is the warranty?")


async def test_reply_with_docs_add_and_the_download_limit(start_world: StartWorld) -> None:
    world = await start_world(DocsPlugin(), model=ANSWER)
    api = world.api
    group = supergroup(GROUP_ID)
    posted = api.send(group, BOB, "", document=("kettle-manual.pdf", kettle_pdf()))
    api.send(group, ALICE, "/docs_add", reply_to=posted)
    await api.until(lambda: "✅" in "".join(api.texts(GROUP_ID)), quiet=0.3, within=30)
    assert "Added <b>kettle-manual.pdf</b>" in api.texts(GROUP_ID)[-1]

    api.send(
        group,
        ALICE,
        "/docs_upload",
        document=("huge.pdf", b"%PDF-1.4"),
        claimed_size=25_000_000,
    )
    await api.until(lambda: "huge.pdf" in api.texts(GROUP_ID)[-1], quiet=0.3)
    assert "limit" in api.texts(GROUP_ID)[-1] or "too large" in api.texts(GROUP_ID)[-1]
    assert not [p for p in api.called("getFile") if p["file_id"] == "file2"]  # not downloaded

    api.send(private_chat(BOB), BOB, "/docs_add", document=("a.txt", b"hello"))
    await api.until(lambda: api.in_chat(BOB["id"]), quiet=0.3)
    assert "server" in api.texts(BOB["id"])[0]  # documents belong to a group, as on Discord


async def test_privacy_export_goes_to_the_private_chat(start_world: StartWorld) -> None:
    world = await start_world(PrivacyPlugin(), ChatPlugin())
    api = world.api
    group = supergroup(GROUP_ID)
    api.send(group, BOB, f"{world.mention} remember the blue kettle")
    await api.until(lambda: api.in_chat(GROUP_ID), quiet=0.3)

    api.send(group, BOB, "/privacy_export")
    await api.until(lambda: len(api.in_chat(GROUP_ID)) == 2, quiet=0.3)
    assert "can't message you privately yet" in api.texts(GROUP_ID)[-1]
    assert not api.documents  # nothing posted in the group

    api.send(private_chat(BOB), BOB, "/start")
    await api.until(lambda: api.in_chat(BOB["id"]), quiet=0.3)
    assert "Hi, I'm Sohbet" in api.texts(BOB["id"])[0]
    world.app.router.cooldowns = type(world.app.router.cooldowns)()
    api.send(group, BOB, "/privacy_export")
    await api.until(lambda: len(api.in_chat(GROUP_ID)) == 3, quiet=0.3)
    assert api.texts(GROUP_ID)[-1] == "📬 Sent to you in a private chat."
    [(name, data)] = api.documents.items()
    assert [s.document for s in api.in_chat(BOB["id"])] == [None, None, name]
    assert "remember the blue kettle" in data.decode()


async def test_an_admin_forgets_a_member_by_id_or_by_reply(start_world: StartWorld) -> None:
    world = await start_world(PrivacyPlugin(), ChatPlugin())
    api = world.api
    group = supergroup(GROUP_ID)
    api.admins.add((GROUP_ID, ALICE["id"]))
    said = api.send(group, BOB, f"{world.mention} my secret plan")
    await api.until(lambda: api.in_chat(GROUP_ID), quiet=0.3)
    bob = core_id("telegram", BOB["id"])
    assert await world.app.store.conversations.delete_user(bob, None) == 2  # then again:
    api.send(group, BOB, f"{world.mention} my secret plan")
    await api.until(lambda: len(api.in_chat(GROUP_ID)) == 2, quiet=0.3)

    api.send(group, BOB, f"/privacy_forget member={ALICE['id']} confirm=true")
    await api.until(lambda: len(api.in_chat(GROUP_ID)) == 3, quiet=0.3)
    assert "needs chat administrator rights" in api.texts(GROUP_ID)[-1]

    api.send(group, ALICE, "/privacy_forget confirm=true", reply_to=said)
    await api.until(lambda: "Deleted" in api.texts(GROUP_ID)[-1], quiet=0.3)
    assert f'<a href="tg://user?id={BOB["id"]}">Bob</a>' in api.texts(GROUP_ID)[-1]
    assert "2 conversation messages" in api.texts(GROUP_ID)[-1]

    api.send(group, BOB, f"{world.mention} again")
    await api.until(lambda: "You said" in api.texts(GROUP_ID)[-1], quiet=0.3)
    world.app.router.cooldowns = type(world.app.router.cooldowns)()
    api.send(group, ALICE, f"/privacy_forget member={BOB['id']} confirm=true")
    await api.until(lambda: "Deleted" in api.texts(GROUP_ID)[-1], quiet=0.3)
    assert "2 conversation messages" in api.texts(GROUP_ID)[-1]


async def test_an_album_of_documents_is_one_upload(start_world: StartWorld) -> None:
    """Telegram sends an album's files as separate updates: the one captioned with the command
    adds them all, in one run and one status message."""
    world = await start_world(DocsPlugin(), AdminPlugin(), PrivacyPlugin(), model=ANSWER)
    api = world.api
    chat = supergroup(GROUP_ID)
    texts = {
        "garden.txt": "The community garden opens at seven and closes at dusk.",
        "library.txt": "The library lends up to five books for three weeks.",
        "pool.txt": "The swimming pool is closed on Mondays for cleaning.",
    }
    for i, (name, body) in enumerate(texts.items()):
        caption = "/docs_upload" if i == 0 else ""
        api.send(chat, ALICE, caption, document=(name, body.encode()), media_group_id="album-1")
    await api.until(lambda: "✅" in "".join(api.texts(GROUP_ID)), quiet=0.5, within=30)
    replies = api.texts(GROUP_ID)
    assert len(replies) == 1, replies  # one status for the album, not one per file
    for name in texts:
        assert name in replies[0]
    listed = await world.app.store.documents.list(core_id("telegram", GROUP_ID))
    assert sorted(d.name for d in listed) == sorted(texts)
