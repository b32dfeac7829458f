"""Router decisions, end to end with real plugins, settings and a SQLite store."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest

from bot.app import App
from bot.core import Attachment, Context, SohbetError
from bot.core.events import Author, CommandCall, ConversationKey, Location, Message
from plugins.admin import AdminPlugin
from plugins.help import HelpPlugin
from tests.core.demo_plugin import DemoPlugin, Mood, OffByDefaultPlugin
from tests.core.helpers import (
    CHANNEL,
    OTHER_CHANNEL,
    SERVER,
    RecordingResponder,
    call,
    here,
    member,
    message,
)

ADMIN = member(1, admin=True)


@pytest.fixture
async def app(make_app: Any) -> App:
    app: App = await make_app(DemoPlugin(), OffByDefaultPlugin(), AdminPlugin(), HelpPlugin())
    return app


@pytest.fixture
def demo(app: App) -> DemoPlugin:
    plugin = app.registry.plugins["demo"]
    assert isinstance(plugin, DemoPlugin)
    return plugin


async def run(app: App, command: CommandCall) -> RecordingResponder:
    responder = RecordingResponder()
    await app.router.handle_command(command, responder)
    return responder


async def hear(app: App, msg: Message) -> RecordingResponder:
    responder = RecordingResponder()
    await app.router.handle_message(msg, responder)
    return responder


class Observer:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str, str]] = []

    def observe(self, plugin: str, handler: str, seconds: float, outcome: str) -> None:
        assert seconds >= 0
        self.seen.append((plugin, handler, outcome))


# ----- commands and options ----------------------------------------------------------------


async def test_command_runs_with_converted_options(app: App, demo: DemoPlugin) -> None:
    out = await run(app, call("echo", text="hey", times="2"))
    assert out.texts == ["hey hey"]
    assert not out.last.ephemeral
    assert demo.calls == [("echo", {"text": "hey", "times": 2})]


async def test_unknown_command_points_to_help(app: App) -> None:
    out = await run(app, call("nope"))
    assert out.last.ephemeral
    assert "`/nope`" in out.last.text and "/help" in out.last.text


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, "`text` is required."),
        ({"text": "hi", "times": "many"}, "`times` must be a whole number, not `many`."),
        ({"text": "hi", "times": "2.5"}, "`times` must be a whole number"),
        ({"text": "hi", "times": 0}, "`times` must be at least 1."),
        ({"text": "hi", "times": 6}, "`times` must be at most 5."),
        ({"text": "x" * 21}, "`text` is too long (max 20 characters)."),
        (
            {"text": "hi", "colour": "red"},
            "`/echo` has no option `colour`. Options: `text`, `times`.",
        ),
    ],
)
async def test_bad_options_are_refused_clearly(
    app: App, demo: DemoPlugin, options: dict[str, Any], expected: str
) -> None:
    out = await run(app, call("echo", **options))
    assert len(out.replies) == 1
    assert expected in out.last.text
    assert out.last.ephemeral
    assert demo.calls == []


async def test_every_option_type_is_converted(app: App, demo: DemoPlugin) -> None:
    async def fetch() -> bytes:
        return b"data"

    file = Attachment("a.txt", "text/plain", 4, fetch=fetch)
    options: dict[str, Any] = {"number": "2.5", "flag": "yes", "mode": "slow", "mood": "sad"}
    options["count"] = "4"
    out = await run(app, call("demo types", note="n", file=file, **options))
    assert out.texts == ["ok"]
    _, got = demo.calls[-1]
    assert got == {
        "number": 2.5,
        "flag": True,
        "mode": "slow",
        "mood": Mood.SAD,
        "count": 4,
        "note": "n",
        "file": file,
    }
    assert isinstance(got["mood"], Mood)
    # Optional options default to None; typed platform values pass through unchanged.
    await run(app, call("demo types", number=1, flag=False, mode="fast", mood=Mood.HAPPY))
    _, got = demo.calls[-1]
    assert got["flag"] is False and got["mood"] is Mood.HAPPY
    assert got["count"] is None and got["note"] is None and got["file"] is None


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"mode": "medium"}, "`mode` must be one of: fast, slow."),
        ({"mood": "angry"}, "`mood` must be one of: happy, sad."),
        ({"flag": "maybe"}, "`flag` must be true or false, not `maybe`."),
        ({"number": "nan"}, "`number` must be a number, not `nan`."),
        ({"file": "notes.txt"}, "`file` must be an attached file"),
    ],
)
async def test_bad_typed_options(
    app: App, demo: DemoPlugin, options: dict[str, Any], expected: str
) -> None:
    base = {"number": "1", "flag": "no", "mode": "fast", "mood": "happy"}
    out = await run(app, call("demo types", **(base | options)))
    assert expected in out.last.text
    assert demo.calls == []


async def test_message_command_gets_its_target(app: App, demo: DemoPlugin) -> None:
    target = message("quote me")
    out = await run(app, call("Quote message", target=target))
    assert out.texts == ["> quote me"]
    assert demo.calls == [("quote", {"message": target})]


# ----- permissions ---------------------------------------------------------------------------


async def test_admin_command_refused_for_members_naming_manage_server(
    app: App, demo: DemoPlugin
) -> None:
    out = await run(app, call("demo admin", author=member(7)))
    assert "Manage Server" in out.last.text
    assert out.last.ephemeral
    assert demo.calls == []
    out = await run(app, call("demo admin", author=ADMIN))
    assert out.texts == ["admin ok"]


async def test_admin_command_refused_in_direct_messages(app: App, demo: DemoPlugin) -> None:
    out = await run(app, call("demo admin", author=ADMIN, location=here(dm=True)))
    assert "only work inside a server" in out.last.text
    assert demo.calls == []


async def test_administrator_permission_counts_as_admin(app: App) -> None:
    owner = Author(5, "owner", frozenset({"administrator"}))
    out = await run(app, call("demo admin", author=owner))
    assert out.texts == ["admin ok"]


async def test_role_allow_list(app: App, demo: DemoPlugin) -> None:
    await app.services.settings.set_allowed_roles(
        DemoPlugin, {55, 56}, server_id=SERVER, actor_id=1
    )
    allowed = await run(app, call("echo", author=member(7, 56), text="in"))
    assert allowed.texts == ["in"]
    refused = await run(app, call("echo", author=member(8, 99), text="out"))
    assert "limited to certain roles" in refused.last.text and refused.last.ephemeral
    admin = await run(app, call("echo", author=member(9, admin=True), text="boss"))
    assert admin.texts == ["boss"]
    dm = await run(app, call("echo", author=member(8), location=here(dm=True), text="dm"))
    assert dm.texts == ["dm"]  # role rules belong to a server, not to DMs
    assert [c[1]["text"] for c in demo.calls] == ["in", "boss", "dm"]
    # Another server is not affected by this server's rules.
    elsewhere = Location(SERVER + 1, CHANNEL)
    other = await run(app, call("echo", author=member(8, 99), location=elsewhere, text="x"))
    assert other.texts == ["x"]


async def test_role_allow_list_applies_to_listeners(app: App, demo: DemoPlugin) -> None:
    await app.services.settings.set_allowed_roles(DemoPlugin, {55}, server_id=SERVER, actor_id=1)
    out = await hear(app, message("hi bot", author=member(8, 99), mentions_bot=True))
    assert demo.heard == [] and demo.heard_all == []
    assert "limited to certain roles" in out.last.text
    quiet = await hear(app, message("just chatting", author=member(8, 99)))
    assert quiet.replies == []  # not addressed: refused silently


# ----- enabled / disabled --------------------------------------------------------------------


async def test_disabled_plugin_refuses_commands_and_skips_listeners(
    app: App, demo: DemoPlugin
) -> None:
    await app.services.settings.set_enabled(DemoPlugin, False, server_id=SERVER, actor_id=1)
    out = await run(app, call("echo", text="hi"))
    assert "turned off" in out.last.text and "/plugins enable plugin:demo" in out.last.text
    heard = await hear(app, message("hey", mentions_bot=True))
    assert heard.replies == []
    assert demo.calls == [] and demo.heard == [] and demo.heard_all == []
    # Only this server: elsewhere the plugin still works.
    other = await run(app, call("echo", location=Location(SERVER + 1, CHANNEL), text="hi"))
    assert other.texts == ["hi"]


async def test_plugin_disabled_by_default_until_enabled(app: App) -> None:
    later = app.registry.plugins["later"]
    assert isinstance(later, OffByDefaultPlugin)
    out = await run(app, call("later run"))
    assert "turned off" in out.last.text
    await hear(app, message("hey", mentions_bot=True))
    assert later.heard == []
    await app.services.settings.set_enabled(
        OffByDefaultPlugin, True, server_id=SERVER, actor_id=1
    )
    assert (await run(app, call("later run"))).texts == ["later ok"]
    await hear(app, message("hey", mentions_bot=True))
    assert later.heard == ["hey"]


# ----- cooldowns and guards ------------------------------------------------------------------


async def test_cooldown_is_per_user(app: App, demo: DemoPlugin) -> None:
    first = await run(app, call("demo slow", author=member(7)))
    second = await run(app, call("demo slow", author=member(7)))
    other = await run(app, call("demo slow", author=member(8)))
    assert first.texts == ["slow ok"] and other.texts == ["slow ok"]
    assert re.search(r"try again in \d+\.\d s", second.last.text)
    assert second.last.ephemeral
    assert [c[0] for c in demo.calls] == ["slow", "slow"]


async def test_guards_can_refuse(app: App, demo: DemoPlugin) -> None:
    seen: list[tuple[str, int]] = []

    async def budget(ctx: Context) -> None:
        seen.append((type(ctx.plugin).name, ctx.author.id))
        if ctx.author.id == 13:
            raise SohbetError("You have used today's token budget.")

    app.router.guards.append(budget)
    refused = await run(app, call("echo", author=member(13), text="hi"))
    assert refused.texts == ["You have used today's token budget."]
    assert refused.last.ephemeral
    ok = await run(app, call("echo", author=member(7), text="hi"))
    assert ok.texts == ["hi"]
    await hear(app, message("to listeners", author=member(13), mentions_bot=True))
    assert demo.heard == [] and demo.heard_all == []
    assert ("demo", 13) in seen and ("demo", 7) in seen
    assert demo.calls == [("echo", {"text": "hi", "times": 1})]


# ----- failures ------------------------------------------------------------------------------


async def test_plugin_crash_gives_an_error_id_and_the_bot_keeps_going(
    app: App, demo: DemoPlugin, caplog: pytest.LogCaptureFixture
) -> None:
    observer = Observer()
    app.router.observers.append(observer)
    with caplog.at_level(logging.ERROR, logger="bot.core.router"):
        out = await run(app, call("demo boom"))
    text = out.last.text
    match = re.search(r"error id `([0-9a-f]{6})`", text)
    assert match, text
    assert "kaboom" not in text  # internals stay in the log
    assert out.last.ephemeral
    logged = [r for r in caplog.records if match.group(1) in r.getMessage()]
    assert logged and logged[0].exc_info is not None
    assert (await run(app, call("echo", text="still here"))).texts == ["still here"]
    assert observer.seen == [("demo", "boom", "error"), ("demo", "echo", "ok")]


async def test_friendly_refusal_from_a_handler(app: App) -> None:
    observer = Observer()
    app.router.observers.append(observer)
    out = await run(app, call("demo refuse"))
    assert out.texts == ["I won't do that here."] and out.last.ephemeral
    assert observer.seen == [("demo", "refuse", "refused")]


async def test_a_responder_that_fails_does_not_crash_the_router(app: App) -> None:
    class Broken(RecordingResponder):
        async def send(self, reply: Any) -> Any:
            raise ConnectionError("platform went away")

    await app.router.handle_command(call("demo refuse"), Broken())
    await app.router.handle_command(call("nope"), Broken())
    assert (await run(app, call("echo", text="ok"))).texts == ["ok"]


# ----- listeners -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "addressing",
    [
        {"mentions_bot": True},
        {"reply_to_bot": True},
        {"conversation": ConversationKey(SERVER, "thread:5")},
    ],
)
async def test_addressed_messages_reach_every_listener(
    app: App, demo: DemoPlugin, addressing: dict[str, Any]
) -> None:
    await hear(app, message("hi bot", **addressing))
    assert demo.heard == ["hi bot"] and demo.heard_all == ["hi bot"]


async def test_direct_messages_are_addressed(app: App, demo: DemoPlugin) -> None:
    await hear(app, message("psst", location=here(dm=True)))
    assert demo.heard == ["psst"]


async def test_unaddressed_messages_reach_only_open_listeners(
    app: App, demo: DemoPlugin
) -> None:
    out = await hear(app, message("people talking"))
    assert demo.heard == [] and demo.heard_all == ["people talking"]
    assert out.replies == []


async def test_bot_authors_are_ignored(app: App, demo: DemoPlugin) -> None:
    await hear(app, message("beep", author=member(99, bot=True), mentions_bot=True))
    assert demo.heard == [] and demo.heard_all == []


async def test_listener_crash_is_contained(make_app: Any) -> None:
    from bot.core import Plugin, listener

    class Crashy(Plugin):
        name = "crashy"

        @listener()
        async def on_message(self, ctx: Context, message: Message) -> None:
            raise ValueError("listener bug")

    demo = DemoPlugin()
    app = await make_app(Crashy(), demo)
    out = await hear(app, message("hi", mentions_bot=True))
    assert any("error id" in t for t in out.texts)
    assert demo.heard == ["hi"]  # the next listener still ran


# ----- settings in handlers, autocomplete ----------------------------------------------------


async def test_handlers_get_settings_resolved_for_their_channel(
    app: App, demo: DemoPlugin
) -> None:
    settings = app.services.settings
    await settings.set(DemoPlugin, "greeting", "merhaba", server_id=SERVER, actor_id=1)
    await settings.set(
        DemoPlugin, "count", "9", server_id=SERVER, actor_id=1, channel_id=OTHER_CHANNEL
    )
    here_out = await run(app, call("demo settings"))
    there_out = await run(app, call("demo settings", location=here(OTHER_CHANNEL)))
    assert here_out.texts == ["greeting=merhaba count=3"]
    assert there_out.texts == ["greeting=merhaba count=9"]
    assert isinstance(demo.settings_seen[0], DemoPlugin.Settings)


async def test_autocomplete(app: App) -> None:
    router = app.router
    got = await router.autocomplete(call("plugins enable", author=ADMIN), "plugin", "d")
    assert got == ["demo"]
    assert await router.autocomplete(call("help"), "command", "plugins c") == [
        "plugins config get",
        "plugins config reset",
        "plugins config set",
    ]
    assert await router.autocomplete(call("nope"), "x", "") == []
    assert await router.autocomplete(call("echo"), "text", "") == []  # no autocomplete there


async def test_autocomplete_only_for_those_who_may_run_the_command(app: App) -> None:
    router = app.router
    # An admin command suggests nothing to a member, nor in a DM.
    assert await router.autocomplete(call("plugins enable"), "plugin", "d") == []
    dm = call("plugins enable", author=ADMIN, location=here(dm=True))
    assert await router.autocomplete(dm, "plugin", "d") == []
    # A plugin limited to some roles suggests nothing to members without them.
    await app.services.settings.set_allowed_roles(HelpPlugin, {55}, server_id=SERVER, actor_id=1)
    assert await router.autocomplete(call("help"), "command", "ech") == []
    allowed = call("help", author=member(8, 55))
    assert await router.autocomplete(allowed, "command", "ech") == ["echo"]
