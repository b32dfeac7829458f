"""/docs list and /docs delete: who may delete, and both the row and the vectors go."""

from __future__ import annotations

from bot.core.events import CommandCall
from bot.knowledge import answers
from bot.providers import AIProviders
from bot.shared.markup import command_ref, plain
from bot.store.models import Document
from bot.store.repositories import NOBODY
from tests.docs.conftest import ANSWER, GARDEN_TEXT, SERVER_A, World, kettle_pdf

NOT_FOUND = plain(answers.NOT_FOUND.format(command=command_ref("docs upload")))  # as read


async def _two_documents(world: World) -> tuple[Document, Document]:
    alice = world.member("alice")
    await alice.say(f"/docs upload file:{world.file('kettle-manual.pdf', kettle_pdf())}")
    await alice.say(f"/docs upload file:{world.file('garden.txt', GARDEN_TEXT)}")
    rows = {d.name: d for d in await world.rows(SERVER_A)}
    return rows["kettle-manual.pdf"], rows["garden.txt"]


async def test_list_shows_ready_documents_with_ids(world: World) -> None:
    bob = world.member("bob")
    assert await bob.say("/docs list") == (
        "sohbet> (only you) No documents yet. Add one with `/docs upload`.\n"
    )
    kettle, garden = await _two_documents(world)
    lines = (await bob.say("/docs list")).splitlines()
    assert lines[0] == "sohbet> (only you) **2 documents**"
    assert sorted(lines[1:]) == sorted(
        [
            f"`{kettle.id[:8]}` **kettle-manual.pdf** — 3 p., 3 chunks, by <@{kettle.uploader_id}>",
            f"`{garden.id[:8]}` **garden.txt** — 1 p., 1 chunk, by <@{garden.uploader_id}>",
        ]
    )


async def test_only_the_uploader_or_an_admin_may_delete(world: World) -> None:
    alice = world.member("alice")
    bob = world.member("bob")
    admin = world.member("mod", admin=True)
    await alice.say(f"/docs upload file:{world.file('kettle-manual.pdf', kettle_pdf())}")
    await alice.say(f"/docs upload file:{world.file('garden.txt', GARDEN_TEXT)}")
    rows = {d.name: d for d in await world.rows(SERVER_A)}
    assert await world.chunks(SERVER_A) == 4

    out = await bob.say("/docs delete kettle-manual.pdf")
    assert "Only the person who uploaded it or an admin (Manage Server) can delete it." in out
    assert len(await world.rows(SERVER_A)) == 2 and await world.chunks(SERVER_A) == 4

    # The uploader, by id prefix.
    kettle_id = rows["kettle-manual.pdf"].id
    out = await alice.say(f"/docs delete document:{kettle_id[:8]}")
    assert out == "sohbet> (only you) Deleted **kettle-manual.pdf** and its 3 chunks.\n"
    assert [d.name for d in await world.rows(SERVER_A)] == ["garden.txt"]
    assert await world.chunks(SERVER_A) == 1
    assert await alice.say("/ask How long is the warranty?") == f"sohbet> {NOT_FOUND}\n"

    # An admin, by name (any case).
    out = await admin.say("/docs delete GARDEN.TXT")
    assert "Deleted **garden.txt** and its 1 chunk." in out
    assert await world.rows(SERVER_A) == [] and await world.chunks(SERVER_A) == 0


async def test_delete_needs_a_clear_target(world: World) -> None:
    alice = world.member("alice")
    kettle, _ = await _two_documents(world)
    assert "Say which document" in await alice.say('/docs delete document:"  "')
    assert "No document `nope` on this server" in await alice.say("/docs delete nope")
    # One or two characters of an id could match anything: not accepted as an id.
    short = kettle.id[:2]
    assert f"No document `{short}` on this server" in await alice.say(f"/docs delete {short}")
    assert len(await world.rows(SERVER_A)) == 2


async def test_document_names_autocomplete(world: World) -> None:
    alice = world.member("alice")
    await _two_documents(world)
    call = CommandCall(
        name="docs delete", options={}, author=alice.adapter.author, location=alice.adapter.location
    )
    assert await world.app.router.autocomplete(call, "document", "GAR") == ["garden.txt"]
    assert sorted(await world.app.router.autocomplete(call, "document", "")) == [
        "garden.txt",
        "kettle-manual.pdf",
    ]


async def test_forgetting_yourself_can_leave_your_documents_to_the_others(world: World) -> None:
    """Documents others ask about: /privacy forget warns, and keep_documents leaves them,
    no longer linked to the member (rows and vectors)."""
    alice = world.member("alice")
    bob = world.member("bob")
    await alice.say(f"/docs upload file:{world.file('kettle-manual.pdf', kettle_pdf())}")
    await alice.say("/ask How long is the warranty?")
    asked = await alice.say("/privacy forget")
    assert "That includes a document others can ask about." in asked
    assert "`/privacy forget confirm:true keep_documents:true`" in asked
    assert await world.rows(SERVER_A) != []  # nothing deleted by asking

    out = await alice.say("/privacy forget confirm:true keep_documents:true")
    assert "Kept for the others, no longer linked to you: 1 document." in out
    [kept] = await world.rows(SERVER_A)
    assert kept.uploader_id == NOBODY
    vectors = await world.app.services.get("ai", AIProviders).vectors()
    assert {c.uploader_id for c in await vectors.document_chunks(SERVER_A, kept.id)} == {NOBODY}
    assert await world.app.store.documents.count_by_uploader(alice.id) == 0
    assert "kept for everyone after its uploader deleted their data" in await bob.say("/docs list")
    assert ANSWER in await bob.say("/ask How long is the warranty?")
    export = await alice.say("/privacy export")
    assert "kettle-manual.pdf" not in export
