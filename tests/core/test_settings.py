"""Settings resolution (defaults -> server -> channel), validation, audit and caching."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.core import SettingsError
from bot.core.settings import AuditChange, SettingsService, parse_setting_value
from bot.store.database import Store
from plugins.admin import AdminPlugin
from plugins.help import HelpPlugin
from tests.conftest import migrated_sqlite
from tests.core.demo_plugin import DemoPlugin

SERVER = 5
CHAN = 50
OTHER = 51
ACTOR = 42


@pytest.fixture
async def sqlite_store(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[Store]:
    store = Store(migrated_sqlite(sqlite_template, tmp_path / "settings.db"))
    yield store
    await store.close()


@pytest.fixture
def service(sqlite_store: Store) -> SettingsService:
    return SettingsService(sqlite_store)


async def put(service: SettingsService, key: str, raw: Any, channel_id: int = 0) -> Any:
    return await service.set(
        DemoPlugin, key, raw, server_id=SERVER, actor_id=ACTOR, channel_id=channel_id
    )


async def test_defaults_server_values_and_channel_overrides(service: SettingsService) -> None:
    fresh = await service.resolve(DemoPlugin, SERVER, CHAN)
    assert fresh == DemoPlugin.Settings()
    await put(service, "greeting", "selam")
    await put(service, "count", "7")
    await put(service, "count", "9", channel_id=CHAN)
    here = await service.resolve(DemoPlugin, SERVER, CHAN)
    there = await service.resolve(DemoPlugin, SERVER, OTHER)
    elsewhere = await service.resolve(DemoPlugin, SERVER + 1, CHAN)
    assert (here.greeting, here.count) == ("selam", 9)
    assert (there.greeting, there.count) == ("selam", 7)
    assert elsewhere == DemoPlugin.Settings()
    assert await service.values(DemoPlugin, SERVER, CHAN) == {
        "greeting": "selam",
        "count": 9,
        "ratio": 0.5,
        "loud": False,
        "words": [],
        "mode": "fast",
        "nickname": None,
    }


@pytest.mark.parametrize(
    ("key", "raw", "expected"),
    [
        ("count", "5", 5),
        ("count", 6, 6),
        ("ratio", "0.75", 0.75),
        ("ratio", "2", 2.0),
        ("loud", "true", True),
        ("loud", "yes", True),
        ("loud", "false", False),
        ("words", '["a", "b"]', ["a", "b"]),
        ("mode", "slow", "slow"),
        ("greeting", "123", "123"),  # text that looks like JSON stays text
        ("greeting", "true", "true"),
        ("greeting", "[1, 2]", "[1, 2]"),
        ("greeting", '"quoted"', "quoted"),
        ("nickname", "null", None),
        ("nickname", "Ali", "Ali"),
    ],
)
async def test_values_typed_as_text_are_parsed(
    service: SettingsService, key: str, raw: Any, expected: Any
) -> None:
    assert await put(service, key, raw) == expected
    resolved = await service.resolve(DemoPlugin, SERVER, CHAN)
    assert getattr(resolved, key) == expected
    assert type(getattr(resolved, key)) is type(expected)


async def test_unknown_key_is_rejected_with_the_known_ones(service: SettingsService) -> None:
    with pytest.raises(SettingsError) as info:
        await put(service, "colour", "red")
    message = info.value.user_message
    assert "`colour` is not a setting of `demo`" in message
    assert "count, greeting, loud, mode, nickname, ratio, words" in message


@pytest.mark.parametrize(
    ("key", "raw", "fragment"),
    [
        ("count", "many", "`count`"),
        ("count", "1.5", "`count`"),
        ("loud", "perhaps", "`loud`"),
        ("mode", "medium", "'fast' or 'slow'"),
        ("words", "a, b", "`words`"),
    ],
)
async def test_bad_values_are_rejected_and_nothing_changes(
    service: SettingsService, sqlite_store: Store, key: str, raw: str, fragment: str
) -> None:
    before = await service.values(DemoPlugin, SERVER, CHAN)
    with pytest.raises(SettingsError) as info:
        await put(service, key, raw)
    assert fragment in info.value.user_message
    assert await service.values(DemoPlugin, SERVER, CHAN) == before
    assert await sqlite_store.audit.recent(SERVER) == []


async def test_reset_one_key_all_keys_and_channel_only(service: SettingsService) -> None:
    await put(service, "greeting", "selam")
    await put(service, "count", "7")
    await put(service, "count", "9", channel_id=CHAN)
    removed = await service.reset(
        DemoPlugin, "count", server_id=SERVER, actor_id=ACTOR, channel_id=CHAN
    )
    assert removed == 1
    assert (await service.resolve(DemoPlugin, SERVER, CHAN)).count == 7
    assert await service.reset(DemoPlugin, "count", server_id=SERVER, actor_id=ACTOR) == 1
    assert (await service.resolve(DemoPlugin, SERVER, CHAN)).count == 3
    assert await service.reset(DemoPlugin, None, server_id=SERVER, actor_id=ACTOR) == 1
    assert await service.resolve(DemoPlugin, SERVER, CHAN) == DemoPlugin.Settings()
    assert await service.reset(DemoPlugin, None, server_id=SERVER, actor_id=ACTOR) == 0
    with pytest.raises(SettingsError, match="`nope` is not a setting"):
        await service.reset(DemoPlugin, "nope", server_id=SERVER, actor_id=ACTOR)


async def test_every_change_is_audited_with_who_old_and_new(
    service: SettingsService, sqlite_store: Store
) -> None:
    await put(service, "count", "7")
    await put(service, "count", "8", channel_id=CHAN)
    await service.reset(DemoPlugin, "count", server_id=SERVER, actor_id=43)
    await service.set_enabled(DemoPlugin, False, server_id=SERVER, actor_id=44)
    await service.set_allowed_roles(DemoPlugin, {3, 2}, server_id=SERVER, actor_id=45)
    entries = list(reversed(await sqlite_store.audit.recent(SERVER)))
    rows = [(e.actor_id, e.action, e.target, e.old_value, e.new_value) for e in entries]
    assert rows == [
        (ACTOR, "setting.set", "demo.count", 3, 7),
        (ACTOR, "setting.set", "demo.count@channel:50", 7, 8),
        (43, "setting.reset", "demo.count", 7, None),
        (44, "plugin.disable", "demo", True, False),
        (45, "plugin.roles", "demo", [], [2, 3]),
    ]
    assert all(e.created_at.tzinfo is not None for e in entries)
    assert await sqlite_store.audit.recent(SERVER + 1) == []


async def test_enable_disable(service: SettingsService) -> None:
    assert await service.is_enabled(SERVER, DemoPlugin)
    assert await service.set_enabled(DemoPlugin, False, server_id=SERVER, actor_id=ACTOR)
    assert not await service.is_enabled(SERVER, DemoPlugin)
    assert not await service.set_enabled(DemoPlugin, False, server_id=SERVER, actor_id=ACTOR)
    assert await service.set_enabled(DemoPlugin, True, server_id=SERVER, actor_id=ACTOR)
    assert await service.is_enabled(SERVER, DemoPlugin)
    for plugin in (AdminPlugin, HelpPlugin):
        with pytest.raises(SettingsError, match="can't be disabled"):
            await service.set_enabled(plugin, False, server_id=SERVER, actor_id=ACTOR)
        assert await service.is_enabled(SERVER, plugin)


async def test_writes_invalidate_the_cache(service: SettingsService, sqlite_store: Store) -> None:
    assert (await service.resolve(DemoPlugin, SERVER, CHAN)).count == 3  # now cached
    # A write behind the service's back is not seen until the cache is invalidated ...
    await sqlite_store.settings.set_value(SERVER, 0, "demo", "count", 11)
    assert (await service.resolve(DemoPlugin, SERVER, CHAN)).count == 3
    # ... while writes through the service are seen at once.
    await put(service, "greeting", "hey")
    resolved = await service.resolve(DemoPlugin, SERVER, CHAN)
    assert (resolved.greeting, resolved.count) == ("hey", 11)
    await service.set_allowed_roles(DemoPlugin, {9}, server_id=SERVER, actor_id=ACTOR)
    assert await service.allowed_roles(SERVER, "demo") == {9}
    await service.set_enabled(DemoPlugin, False, server_id=SERVER, actor_id=ACTOR)
    assert not await service.is_enabled(SERVER, DemoPlugin)


async def test_cache_expires_after_its_ttl(sqlite_store: Store) -> None:
    service = SettingsService(sqlite_store, ttl_seconds=0)
    assert (await service.resolve(DemoPlugin, SERVER, CHAN)).count == 3
    await sqlite_store.settings.set_value(SERVER, 0, "demo", "count", 12)
    assert (await service.resolve(DemoPlugin, SERVER, CHAN)).count == 12


async def test_a_load_racing_a_write_is_not_cached(service: SettingsService) -> None:
    loading = asyncio.create_task(service.snapshot(SERVER))
    await asyncio.sleep(0)  # the load is now waiting on the database
    service.invalidate(SERVER)  # what every write does when it finishes
    await loading
    assert SERVER not in service._cache
    await service.snapshot(SERVER)
    assert SERVER in service._cache


async def test_stale_stored_values_fall_back_key_by_key(
    service: SettingsService, sqlite_store: Store
) -> None:
    # A plugin update changed a type: the stored value no longer fits, the others still do.
    await sqlite_store.settings.set_value(SERVER, 0, "demo", "count", "not a number")
    await sqlite_store.settings.set_value(SERVER, 0, "demo", "greeting", "kept")
    await sqlite_store.settings.set_value(SERVER, 0, "demo", "removed_key", 1)
    resolved = await service.resolve(DemoPlugin, SERVER, CHAN)
    assert (resolved.count, resolved.greeting) == (3, "kept")


async def test_audit_and_change_are_one_transaction(
    service: SettingsService, sqlite_store: Store
) -> None:
    unstorable = AuditChange(ACTOR, "setting.set", "demo.count", object(), 1)
    with pytest.raises(Exception):  # noqa: B017 - the JSON encoder's own error
        await sqlite_store.settings.set_value(SERVER, 0, "demo", "count", 1, audit=unstorable)
    assert (await sqlite_store.settings.snapshot(SERVER)).overrides == {}
    assert await sqlite_store.audit.recent(SERVER) == []


def test_parse_setting_value() -> None:
    assert parse_setting_value("5") == 5
    assert parse_setting_value("[1, 2]") == [1, 2]
    assert parse_setting_value("plain words") == "plain words"
    assert parse_setting_value(7) == 7


async def test_settings_keep_their_meaning(service: SettingsService) -> None:
    too_big = "9" * 30  # would read back as something else: refused, not "set"
    with pytest.raises(SettingsError, match="out of range"):
        await put(service, "count", too_big)
    assert await put(service, "count", str(2**63 - 1)) == 2**63 - 1  # the largest that fits
    with pytest.raises(SettingsError, match="needs a number, not `true`"):
        await put(service, "count", "true")
    with pytest.raises(SettingsError, match="needs a number"):
        await put(service, "ratio", "false")
    assert await put(service, "loud", "true") is True  # a real boolean stays one
    with pytest.raises(SettingsError) as info:
        await put(service, "k" * 100_000, "1")
    assert len(info.value.user_message) < 400  # the refusal doesn't echo 100 KB back
    values = await service.values(DemoPlugin, SERVER)
    assert values["count"] == 2**63 - 1
