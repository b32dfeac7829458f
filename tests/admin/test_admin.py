"""The admin plugin end to end: console line -> parser -> Router -> settings -> store."""

from __future__ import annotations

import io
from typing import Any

import pytest

from bot.app import App
from bot.platforms.console import CONSOLE_SERVER_ID, ConsoleAdapter
from plugins.admin import AdminPlugin
from plugins.help import HelpPlugin
from tests.core.demo_plugin import DemoPlugin, OffByDefaultPlugin


class Console:
    """A console session whose output can be read line by line."""

    def __init__(self, app: App, *, admin: bool = True) -> None:
        self.app = app
        self.out = io.StringIO()
        self.adapter = ConsoleAdapter(app.router, out=self.out, user_name="tester", admin=admin)

    async def say(self, line: str) -> str:
        start = self.out.tell()
        await self.adapter.handle_line(line)
        return self.out.getvalue()[start:]

    async def audit(self) -> list[tuple[int, str, str, Any, Any]]:
        entries = await self.app.store.audit.recent(CONSOLE_SERVER_ID, limit=100)
        return [(e.actor_id, e.action, e.target, e.old_value, e.new_value) for e in entries][::-1]


@pytest.fixture
async def app(make_app: Any) -> App:
    app: App = await make_app(AdminPlugin(), HelpPlugin(), DemoPlugin(), OffByDefaultPlugin())
    return app


@pytest.fixture
def console(app: App) -> Console:
    return Console(app)


async def test_list_shows_each_plugin_and_its_state(console: Console) -> None:
    out = await console.say("/plugins list")
    assert out.startswith("sohbet> (only you) **Plugins on this server**")
    assert "✅ **demo** — A plugin for tests" in out
    assert "⛔ **later**" in out and "✅ **admin**" in out and "✅ **help**" in out


async def test_load_errors_are_detailed_only_to_admins(app: App, console: Console) -> None:
    app.registry.load_errors["broken"] = "ImportError: /srv/sohbet/secrets.py is missing"
    assert "⚠️ **broken** failed to load: ImportError: /srv/sohbet/secrets.py" in (
        await console.say("/plugins list")
    )
    out = await Console(app, admin=False).say("/plugins list")
    assert "⚠️ **broken** failed to load" in out and "secrets" not in out


async def test_enable_and_disable(console: Console) -> None:
    assert "`later` is now on." in await console.say("/plugins enable plugin:later")
    assert "`later` was already on." in await console.say("/plugins enable later")
    assert "later ok" in await console.say("/later run")
    assert "✅ **later**" in await console.say("/plugins list")

    assert "`demo` is now off." in await console.say("/plugins disable plugin:demo")
    refused = await console.say("/echo text:hi")
    assert "turned off" in refused and "/plugins enable plugin:demo" in refused
    assert "can't be disabled" in await console.say("/plugins disable plugin:admin")
    assert "can't be disabled" in await console.say("/plugins disable plugin:help")
    assert await console.audit() == [
        (1, "plugin.enable", "later", False, True),
        (1, "plugin.enable", "later", True, True),
        (1, "plugin.disable", "demo", True, False),
    ]


async def test_config_get_set_reset(console: Console) -> None:
    out = await console.say("/plugins config get plugin:demo")
    assert "**demo** settings in this channel:" in out
    assert "• `count` = `3`" in out and '• `greeting` = `"hello"`' in out

    assert "`demo.count` is now `5` on this server." in await console.say(
        "/plugins config set plugin:demo key:count value:5"
    )
    assert "`demo.words` is now `[\"a\", \"b c\"]` on this server." in await console.say(
        '/plugins config set plugin:demo key:words value:["a", "b c"]'
    )
    assert "`demo.greeting` is now `\"I don't know\"` on this server." in await console.say(
        "/plugins config set plugin:demo key:greeting value:I don't know"
    )
    assert "`demo.count` is now `9` in this channel." in await console.say(
        "/plugins config set plugin:demo key:count value:9 channel:true"
    )
    out = await console.say("/plugins config get plugin:demo key:count")
    assert "• `count` = `9`" in out and "greeting" not in out
    assert "count=9" in await console.say("/demo settings")

    assert "Reset `demo.count` (1 value removed)." in await console.say(
        "/plugins config reset plugin:demo key:count channel:yes"
    )
    assert "count=5" in await console.say("/demo settings")
    assert "`demo.count` had no override." in await console.say(
        "/plugins config reset plugin:demo key:count channel:yes"
    )
    assert "Reset all `demo` settings (3 values removed)." in await console.say(
        "/plugins config reset plugin:demo"
    )
    assert "greeting=hello count=3" in await console.say("/demo settings")
    actions = [(a, t) for _, a, t, _, _ in await console.audit()]
    assert actions == [
        ("setting.set", "demo.count"),
        ("setting.set", "demo.words"),
        ("setting.set", "demo.greeting"),
        ("setting.set", "demo.count@channel:1"),
        ("setting.reset", "demo.count@channel:1"),
        ("setting.reset", "demo.count@channel:1"),
        ("setting.reset", "demo.*"),
    ]


async def test_bad_settings_are_explained_and_change_nothing(console: Console) -> None:
    out = await console.say("/plugins config set plugin:demo key:colour value:red")
    assert "`colour` is not a setting of `demo`. Settings: count, greeting" in out
    out = await console.say("/plugins config set plugin:demo key:count value:lots")
    assert "`count` needs a whole number" in out
    out = await console.say("/plugins config get plugin:demo key:colour")
    assert "`colour` is not a setting of `demo`." in out
    out = await console.say("/plugins config set plugin:help key:x value:1")
    assert "Settings: none." in out
    assert await console.audit() == []
    assert "count=3" in await console.say("/demo settings")


async def test_roles(console: Console, app: App) -> None:
    out = await console.say("/plugins roles plugin:demo roles:<@&55> 56,57")
    assert "`demo` may now be used by: <@&55>, <@&56>, <@&57>." in out
    assert await app.services.settings.allowed_roles(CONSOLE_SERVER_ID, "demo") == {55, 56, 57}
    assert "`abc` is not a role." in await console.say("/plugins roles plugin:demo roles:abc")
    out = await console.say("/plugins roles plugin:demo roles:<@&55> <@42>")  # a member
    assert "`<@42>` is not a role." in out
    assert await app.services.settings.allowed_roles(CONSOLE_SERVER_ID, "demo") == {55, 56, 57}
    assert "may now be used by: everyone." in await console.say(
        "/plugins roles plugin:demo roles:none"
    )
    assert await app.services.settings.allowed_roles(CONSOLE_SERVER_ID, "demo") == set()
    assert await console.audit() == [
        (1, "plugin.roles", "demo", [], [55, 56, 57]),
        (1, "plugin.roles", "demo", [55, 56, 57], []),
    ]


async def test_audit_command(console: Console) -> None:
    assert "No admin changes recorded yet." in await console.say("/plugins audit")
    await console.say("/plugins config set plugin:demo key:count value:4")
    await console.say("/plugins disable plugin:demo")
    out = await console.say("/plugins audit limit:5")
    lines = out.splitlines()
    assert lines[0] == "sohbet> (only you) **Recent admin changes**"
    assert "<@1> plugin.disable `demo`: `true` → `false`" in lines[1]
    assert "<@1> setting.set `demo.count`: `3` → `4`" in lines[2]
    assert "must be at most 50" in await console.say("/plugins audit limit:500")
    assert "must be a whole number" in await console.say("/plugins audit limit:few")


async def test_unknown_plugin(console: Console) -> None:
    for line in (
        "/plugins enable plugin:zzz",
        "/plugins config get plugin:zzz",
        "/plugins config set plugin:zzz key:a value:b",
        "/plugins roles plugin:zzz roles:1",
    ):
        out = await console.say(line)
        assert "There is no plugin called `zzz`." in out
        assert "Installed plugins: admin, core, demo, help, later." in out
    assert await console.audit() == []


async def test_members_without_manage_server_are_refused(app: App) -> None:
    member = Console(app, admin=False)
    for line in (
        "/plugins enable plugin:later",
        "/plugins disable plugin:demo",
        "/plugins config get plugin:demo",
        "/plugins config set plugin:demo key:count value:1",
        "/plugins config reset plugin:demo",
        "/plugins roles plugin:demo roles:1",
        "/plugins audit",
    ):
        out = await member.say(line)
        assert "needs the **Manage Server** permission" in out, line
    assert "**Plugins on this server**" in await member.say("/plugins list")
    assert await member.audit() == []
    assert "count=3" in await member.say("/demo settings")


async def test_help_lists_admin_commands_only_to_admins(app: App, console: Console) -> None:
    admin_help = await console.say("/help")
    member_help = await Console(app, admin=False).say("/help")
    assert "`/plugins config set`" in admin_help
    assert "`/plugins config set`" not in member_help and "`/plugins list`" in member_help
    assert "`/echo`" in member_help and "later" not in member_help  # disabled plugins hidden
    detail = await console.say("/help command:echo")
    assert "`/echo text:…` — Repeat some text" in detail
    assert "• `times` (whole number, optional, default 1): How often" in detail
    assert "There is no `/nope` command." in await console.say("/help nope")
    assert "Pong! Database answered in" in await console.say("/ping")
