"""`conversations.delete_user` on SQLite and PostgreSQL: a member's turns, the bot's replies to
them (also in shared conversations), their private conversations; exact counts."""

from __future__ import annotations

from bot.core.events import ConversationKey
from bot.store.database import Store

ALICE, BOB = 1, 2
S1, S2 = 100, 200


def key(scope: str, server: int = S1) -> ConversationKey:
    return ConversationKey(server, scope)


async def contents(store: Store, k: ConversationKey) -> list[str]:
    return [t.content for t in (await store.conversations.history(k, include_summarized=True))[1]]


async def test_replies_to_the_member_go_with_their_turns(store: Store) -> None:
    room, mine, bobs = key("channel:5"), key(f"user:{ALICE}:chan:5"), key(f"user:{BOB}:chan:5")
    other_server = key("channel:5", S2)
    await store.conversations.append_many(
        [
            (room, "user", "alice 1", ALICE, "alice", 0, None),
            (room, "assistant", "to alice 1", 0, "", 0, 11),
            (room, "link", "", 0, "", 0, 12),  # the second message of that answer
            (room, "user", "bob 1", BOB, "bob", 0, None),
            (room, "assistant", "to bob 1", 0, "", 0, 13),
            (room, "user", "alice 2", ALICE, "alice", 0, None),
            (room, "assistant", "to alice 2", 0, "", 0, 14),
            (mine, "user", "private", ALICE, "alice", 0, None),
            (mine, "assistant", "private answer", 0, "", 0, None),
            (bobs, "user", "bob private", BOB, "bob", 0, None),
            (bobs, "assistant", "bob private answer", 0, "", 0, None),
            (other_server, "user", "alice elsewhere", ALICE, "alice", 0, None),
            (other_server, "assistant", "to alice elsewhere", 0, "", 0, None),
        ]
    )
    # alice 1 + 2 parts of its answer + alice 2 + its answer + 2 in her private conversation
    assert await store.conversations.delete_user(ALICE, S1) == 7
    assert await contents(store, room) == ["bob 1", "to bob 1"]
    assert await store.conversations.history(mine) == ("", [])
    assert await contents(store, bobs) == ["bob private", "bob private answer"]
    assert await contents(store, other_server) == ["alice elsewhere", "to alice elsewhere"]
    assert await store.conversations.find_by_platform_message(S1, 12) is None
    assert await store.conversations.find_by_platform_message(S1, 13) == room

    assert await store.conversations.delete_user(ALICE) == 2  # every server
    assert await store.conversations.delete_user(ALICE) == 0
    assert await contents(store, room) == ["bob 1", "to bob 1"]


async def test_a_shared_summary_that_covers_the_member_is_dropped(store: Store) -> None:
    room, other = key("channel:5"), key("channel:6")
    ids = await store.conversations.append_many(
        [
            (room, "user", "alice's address is ...", ALICE, "alice", 0, None),
            (room, "assistant", "noted", 0, "", 0, None),
            (room, "user", "bob says hi", BOB, "bob", 0, None),
            (other, "user", "bob elsewhere", BOB, "bob", 0, None),
        ]
    )
    await store.conversations.summarize(room, "alice lives at ...; bob says hi", ids[1])
    await store.conversations.summarize(other, "bob was elsewhere", ids[3])
    await store.conversations.delete_user(ALICE, S1)
    assert await store.conversations.history(room) == ("", await _turns(store, room))
    assert [t.content for t in await _turns(store, room)] == ["bob says hi"]
    assert (await store.conversations.history(other))[0] == "bob was elsewhere"


async def _turns(store: Store, k: ConversationKey) -> list:
    return (await store.conversations.history(k))[1]
