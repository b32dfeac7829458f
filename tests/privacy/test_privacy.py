"""/privacy end to end: real Router, SQLite, chat, ai and docs plugins, embedded Qdrant and the
offline embedder. What is deleted, for whom, where, and what is left alone."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from bot.app import App
from bot.config import Config
from bot.core.events import Attachment
from bot.core.router import Cooldowns
from bot.maintenance.retention import retention_from_settings, run_retention
from bot.providers import AIProviders
from bot.store.models import AuditEntry, Conversation, ConversationMessage, UsageDaily
from plugins.ai import AIPlugin
from plugins.chat import ChatPlugin
from plugins.docs import DocsPlugin
from plugins.privacy import PrivacyPlugin
from tests.chat.helpers import Talk, echo_config

A, B = 100, 200  # two servers
ALICE, BOB, MOD = 1, 2, 3
NOTES = "\n\n".join(
    f"Section {i}. The lighthouse keeper logs the weather every morning. " * 6 for i in range(8)
)


class World:
    def __init__(self, app: App, privacy: PrivacyPlugin) -> None:
        self.app = app
        self.privacy = privacy

    def talk(self, user: int, server: int = A, **kw: Any) -> Talk:
        self.app.router.cooldowns = Cooldowns()  # tests call /docs and /privacy back to back
        return Talk(self.app, user, server, admin=user == MOD, **kw)

    async def upload(self, user: int, server: int, text: str) -> None:
        data = text.encode()

        async def fetch() -> bytes:
            return data

        file = Attachment(f"notes-{user}-{server}.txt", "text/plain", len(data), fetch=fetch)
        answer = await self.talk(user, server).command("docs upload", file=file)
        assert "Added" in answer.replies[-1].text, answer.replies

    async def count(self, model: Any, *where: Any) -> int:
        async with self.app.store.session() as s:
            return int(await s.scalar(select(func.count()).select_from(model).where(*where)) or 0)

    async def messages(self, user: int | None = None, server: int | None = None) -> int:
        where = []
        if user is not None:
            where.append(ConversationMessage.author_id == user)
        if server is not None:
            where.append(
                ConversationMessage.conversation_id.in_(
                    select(Conversation.id).where(Conversation.server_id == server)
                )
            )
        return await self.count(ConversationMessage, *where)

    async def documents(self, user: int, server: int | None = None) -> int:
        return len(
            [
                d
                for s in ([server] if server else [A, B])
                for d in await self.app.store.documents.list(s, uploader_id=user)
            ]
        )

    async def chunks(self, server: int) -> int:
        vectors = await self.app.services.get("ai", AIProviders).vectors()
        return await vectors.count(server)

    async def usage(self, user: int, server: int | None = None) -> int:
        where = [UsageDaily.user_id == user]
        if server is not None:
            where.append(UsageDaily.server_id == server)
        return await self.count(UsageDaily, *where)


@pytest.fixture
async def world(make_app: Any, config: Config) -> World:
    privacy = PrivacyPlugin()
    app = await make_app(AIPlugin(), ChatPlugin(), DocsPlugin(), privacy, config=echo_config(config))
    world = World(app, privacy)
    for user in (ALICE, BOB):
        for server in (A, B):
            await world.talk(user, server).say(f"hello from {user} on {server}")
            await world.talk(user, server).say("and again")
    await world.upload(ALICE, A, "Alice's notes. " + NOTES)
    await world.upload(ALICE, B, "Alice's other notes. " + NOTES)
    await world.upload(BOB, A, "Bob's notes. " + NOTES)
    return world


async def test_forget_deletes_my_data_on_this_server_only(world: World) -> None:
    alice_chunks_a = (await world.chunks(A)) // 2  # alice and bob uploaded the same size
    chunks_b = await world.chunks(B)
    answer = await world.talk(ALICE, A).command("privacy forget", confirm=True)
    reply = answer.replies[-1]
    assert reply.ephemeral
    # 2 turns of hers + 2 answers in her private conversation; 1 usage row; 1 document.
    assert reply.text == (
        f"Deleted your data on this server: 4 conversation messages, 1 usage record, "
        f"1 document, {alice_chunks_a} document chunks."
    )
    assert await world.messages(ALICE, A) == 0 and await world.messages(server=A) == 4  # bob's
    assert await world.usage(ALICE, A) == 0 and await world.usage(ALICE, B) == 1
    assert await world.documents(ALICE, A) == 0 and await world.documents(ALICE, B) == 1
    assert await world.chunks(A) == alice_chunks_a  # bob's chunks stay
    assert await world.chunks(B) == chunks_b
    # Bob's conversation and documents are untouched, and still work.
    assert await world.documents(BOB, A) == 1 and await world.usage(BOB, A) == 1
    again = await world.talk(BOB, A).say("still here?")
    assert again.text == f"You said: hello from {BOB} on {A} | and again | still here?"
    # Alice starts from scratch on A, keeps her history on B.
    assert (await world.talk(ALICE, A).say("hi")).text == "You said: hi"
    assert (await world.talk(ALICE, B).say("hi")).text.startswith("You said: hello from")


async def test_forget_everywhere(world: World) -> None:
    answer = await world.talk(ALICE, A).command("privacy forget", confirm=True, everywhere=True)
    text = answer.replies[-1].text
    assert text.startswith("Deleted your data everywhere: 8 conversation messages, ")
    assert "2 usage records, 2 documents" in text
    assert await world.messages(ALICE) == 0 and await world.usage(ALICE) == 0
    assert await world.documents(ALICE) == 0
    assert await world.messages(BOB) == 4 and await world.documents(BOB) == 1
    assert await world.chunks(B) == 0 and await world.chunks(A) > 0  # bob's
    # Asking again: nothing left.
    again = await world.talk(ALICE, B).command("privacy forget", confirm=True, everywhere=True)
    assert again.replies[-1].text == "Deleted your data everywhere: nothing was stored."


async def test_forget_in_direct_messages(world: World) -> None:
    await world.talk(ALICE, 0, channel_id=99).say("a secret in private")
    answer = await world.talk(ALICE, 0, channel_id=99).command("privacy forget", confirm=True)
    assert answer.replies[-1].text.startswith(
        "Deleted your data in our direct messages: 2 conversation messages"
    )
    assert await world.messages(ALICE, 0) == 0 and await world.messages(ALICE, A) == 2


async def test_an_admin_can_forget_a_member_of_their_server(world: World) -> None:
    answer = await world.talk(MOD, A).command("privacy forget", confirm=True, member=f"<@{BOB}>")
    assert answer.replies[-1].text.startswith(f"Deleted the data of <@{BOB}> on this server: 4 ")
    assert await world.messages(BOB, A) == 0 and await world.documents(BOB, A) == 0
    assert await world.messages(BOB, B) == 2  # only this server
    assert await world.messages(ALICE) == 4 and await world.documents(ALICE) == 2
    [entry] = await world.app.store.audit.recent(A)
    assert (entry.actor_id, entry.action, entry.target) == (MOD, "privacy.forget", f"user:{BOB}")
    assert entry.new_value["documents"] == 1

    refused = await world.talk(MOD, A).command("privacy forget", confirm=True, member=str(ALICE), everywhere=True)
    assert "only delete a member's data on their own server" in refused.replies[-1].text
    assert await world.messages(ALICE) == 4


async def test_a_member_cannot_forget_someone_else(world: World) -> None:
    before = (await world.messages(), await world.count(UsageDaily), await world.chunks(A))
    for member in (str(BOB), f"<@!{BOB}>"):
        answer = await world.talk(ALICE, A).command("privacy forget", confirm=True, member=member)
        reply = answer.replies[-1]
        assert reply.ephemeral and "needs the Manage Server permission" in reply.text
    bad = await world.talk(ALICE, A).command("privacy forget", confirm=True, member="bob")
    assert "is not a member id or mention" in bad.replies[-1].text
    assert (await world.messages(), await world.count(UsageDaily), await world.chunks(A)) == before
    assert await world.count(AuditEntry) == 0
    # Naming oneself is fine.
    mine = await world.talk(ALICE, A).command("privacy forget", confirm=True, member=f"<@{ALICE}>")
    assert mine.replies[-1].text.startswith("Deleted your data on this server: 4 ")


async def test_shared_conversations_keep_other_peoples_turns(world: World) -> None:
    await world.app.services.settings.set(
        ChatPlugin, "conversation_mode", "channel", server_id=A, actor_id=MOD
    )
    room = 55
    await world.talk(ALICE, A, channel_id=room).say("alice's secret")
    await world.talk(BOB, A, channel_id=room).say("bob's words")
    await world.talk(ALICE, A).command("privacy forget", confirm=True)
    # Her turn and the answer to it are gone; bob's turn and his answer stay.
    answer = await world.talk(BOB, A, channel_id=room).say("what was said?")
    assert answer.text == f"You said: user{BOB}: bob's words | user{BOB}: what was said?"
    key_rows = await world.count(
        ConversationMessage,
        ConversationMessage.conversation_id.in_(
            select(Conversation.id).where(Conversation.scope == f"channel:{room}")
        ),
    )
    assert key_rows == 4


async def test_privacy_info_lists_what_plugins_store(world: World) -> None:
    answer = await world.talk(ALICE, A).command("privacy info")
    text = answer.replies[-1].text
    for plugin in ("chat", "docs", "ai"):
        assert f"• {plugin}: " in text
    assert "kept until you delete them" in text
    await world.app.services.settings.set(
        PrivacyPlugin, "retention_days", 30, server_id=A, actor_id=MOD
    )
    answer = await world.talk(ALICE, A).command("privacy info")
    assert "idle for 30 days are deleted automatically" in answer.replies[-1].text


async def test_retention_deletes_old_conversations(world: World) -> None:
    settings = world.app.services.settings
    await settings.set(PrivacyPlugin, "retention_days", 30, server_id=A, actor_id=MOD)
    await settings.set(PrivacyPlugin, "retention_days", 0, server_id=B, actor_id=MOD)
    days = retention_from_settings(world.app.registry, settings)
    assert days is not None

    long_ago = datetime.now(UTC) - timedelta(days=31)
    recently = datetime.now(UTC) - timedelta(days=29)
    async with world.app.store.session() as s:
        await s.execute(
            update(Conversation)
            .where(Conversation.scope == f"user:{ALICE}:chan:10")
            .values(updated_at=long_ago)
        )
        await s.execute(
            update(Conversation)
            .where(Conversation.scope == f"user:{BOB}:chan:10", Conversation.server_id == A)
            .values(updated_at=recently)
        )
    report = await run_retention(world.app.store, days)
    assert report.deleted == {A: 1} and report.kept == [B]
    assert await world.messages(ALICE, A) == 0 and await world.messages(server=A) == 4
    assert await world.messages(ALICE, B) == 2  # 31 days old, but B keeps everything
    # Talking again refreshes a conversation: it is no longer idle.
    await world.talk(BOB, A).say("still here")
    async with world.app.store.session() as s:
        updated = await s.scalar(
            select(Conversation.updated_at).where(
                Conversation.scope == f"user:{BOB}:chan:10", Conversation.server_id == A
            )
        )
    assert updated is not None and updated > recently + timedelta(days=1)


async def test_forget_works_while_the_vector_store_is_down_for_non_uploaders(
    make_app: Any, config: Config
) -> None:
    # A Qdrant server on a port where nothing listens: members who never uploaded a
    # document can still delete their conversations.
    down = echo_config(config).model_copy(update={"qdrant_url": "http://127.0.0.1:9"})
    app = await make_app(AIPlugin(), ChatPlugin(), DocsPlugin(), PrivacyPlugin(), config=down)
    world = World(app, PrivacyPlugin())
    await world.talk(BOB, A).say("hello")
    answer = await world.talk(BOB, A).command("privacy forget", confirm=True)
    assert answer.replies[-1].text == (
        "Deleted your data on this server: 2 conversation messages, 1 usage record."
    )
    assert await world.messages(BOB) == 0


async def test_forget_asks_first_and_deletes_nothing_until_confirmed(world: World) -> None:
    before = await world.messages(ALICE, A)
    preview = await world.talk(ALICE, A).command("privacy forget")
    assert "It can't be undone. To go ahead: `/privacy forget confirm:true`" in preview.text
    assert await world.messages(ALICE, A) == before > 0 and await world.documents(ALICE, A) == 1
    for_member = await world.talk(MOD, A).command("privacy forget", member=f"<@{BOB}>")
    assert f"`/privacy forget confirm:true member:<@{BOB}>`" in for_member.text
    assert await world.documents(BOB, A) == 1


async def test_forget_while_another_process_holds_the_document_store(
    config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process holds the embedded vector store: what can be deleted is, the member is
    told what is left and why, and the rest is deleted automatically once the store is free."""
    from bot.app import build_app
    from plugins.privacy import pending
    from tests.ops.outage import LockHolder

    monkeypatch.setattr(pending, "FIRST_CHECK_S", 0.1)
    plugins = lambda: [AIPlugin(), ChatPlugin(), DocsPlugin(), PrivacyPlugin()]  # noqa: E731
    first = await build_app(echo_config(config), plugins=plugins())
    try:
        world = World(first, PrivacyPlugin())
        await world.talk(BOB, A).say("hello")
        await world.upload(BOB, A, "Bob's notes. " + NOTES)
    finally:
        await first.close()  # the bot restarts; meanwhile another process takes the store
    holder = LockHolder(config.data_dir / "vectors")
    pid = holder.start()
    app = await build_app(echo_config(config), plugins=plugins())
    try:
        privacy = app.registry.plugins["privacy"]
        assert isinstance(privacy, PrivacyPlugin)
        privacy.pending.retry_s = 0.3
        world = World(app, privacy)
        answer = (await world.talk(BOB, A).command("privacy forget", confirm=True)).replies[-1]
        assert answer.text.startswith(
            "Deleted: 2 conversation messages, 1 usage record. Not deleted yet: `docs`: "
            "documents you upload (their text, split into chunks and vectors) and who uploaded "
            "them ("
        ), answer.text
        assert f"already in use by process {pid}" in answer.text
        assert "I'll finish deleting it automatically as soon as I can" in answer.text
        assert answer.ephemeral
        assert await world.messages(BOB) == 0 and await world.documents(BOB) == 1
        info = (await world.talk(BOB, A).command("privacy info")).text
        assert "Still to delete from your earlier `/privacy forget`" in info and "`docs`" in info

        holder.stop()  # the other process is done with the store
        deadline = asyncio.get_running_loop().time() + 30
        while await app.store.state.get(pending.PENDING_KEY) is not None:
            assert asyncio.get_running_loop().time() < deadline, "never finished"
            await asyncio.sleep(0.2)
        assert await world.documents(BOB) == 0
        assert await world.chunks(A) == 0  # only Bob had uploaded on server A
        info = (await world.talk(BOB, A).command("privacy info")).text
        assert "Still to delete" not in info
    finally:
        holder.stop()
        await app.close()
