"""Options derived from handler signatures, and the plugin registry."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Literal

import pytest

from bot.core import (
    Attachment,
    BadOption,
    Context,
    Option,
    Plugin,
    PluginRegistry,
    UnknownPlugin,
    command,
)
from bot.core.options import OptionSpec, convert_option
from tests.core.demo_plugin import DemoPlugin, Mood


class Size(Enum):
    SMALL = 1
    LARGE = 2


class Shapes(Plugin):
    name = "shapes"

    @command(description="All the shapes")
    async def shapes(
        self,
        ctx: Context,
        text: str,
        whole: int,
        real: float,
        switch: bool,
        pick: Literal["a", "b"],
        size: Size,
        maybe: int | None,
        described: Annotated[str, Option("Says what it is", max_length=9, autocomplete="x")],
        file: Attachment | None = None,
        ranged: Annotated[float | None, Option("0..1", min_value=0, max_value=1)] = None,
        outer: Annotated[int, Option("outer")] | None = None,
        defaulted: str = "d",
    ) -> None:
        """First line becomes nothing: the description is explicit."""


def specs() -> dict[str, OptionSpec]:
    (spec,) = Shapes.commands()
    return {o.name: o for o in spec.options}


def test_option_kinds_and_requirements_come_from_the_signature() -> None:
    s = specs()
    assert list(s) == [
        "text", "whole", "real", "switch", "pick", "size", "maybe", "described",
        "file", "ranged", "outer", "defaulted",
    ]  # fmt: skip
    kinds = {name: spec.kind for name, spec in s.items()}
    assert kinds == {
        "text": "str", "whole": "int", "real": "float", "switch": "bool", "pick": "str",
        "size": "int", "maybe": "int", "described": "str", "file": "attachment",
        "ranged": "float", "outer": "int", "defaulted": "str",
    }  # fmt: skip
    required = {name for name, spec in s.items() if spec.required}
    assert required == {"text", "whole", "real", "switch", "pick", "size", "described"}
    assert s["defaulted"].default == "d" and s["maybe"].default is None


def test_choices_and_metadata() -> None:
    s = specs()
    assert s["pick"].choices == ("a", "b")
    assert s["size"].choices == (1, 2) and s["size"].enum is Size
    assert s["described"].description == "Says what it is"
    assert s["described"].max_length == 9 and s["described"].autocomplete == "x"
    assert (s["ranged"].min_value, s["ranged"].max_value) == (0, 1)
    assert s["outer"].description == "outer" and not s["outer"].required
    assert s["text"].description == "text"  # the name when nothing better is known


def test_enum_options_convert_to_members() -> None:
    s = specs()
    assert convert_option(s["size"], "2") is Size.LARGE
    assert convert_option(s["size"], Size.SMALL) is Size.SMALL
    with pytest.raises(BadOption, match="one of: 1, 2"):
        convert_option(s["size"], "3")
    (types_spec,) = [c for c in DemoPlugin.commands() if c.name == "demo types"]
    mood = next(o for o in types_spec.options if o.name == "mood")
    assert convert_option(mood, "happy") is Mood.HAPPY


@pytest.mark.parametrize(
    ("name", "raw", "expected"),
    [
        ("whole", " 12 ", 12),
        ("whole", 3.0, 3),
        ("real", "1e3", 1000.0),
        ("switch", "On", True),
        ("switch", "hayır", False),
        ("switch", True, True),
        ("text", 5, "5"),
        ("maybe", None, None),
        ("ranged", "0.25", 0.25),
    ],
)
def test_conversions(name: str, raw: object, expected: object) -> None:
    assert convert_option(specs()[name], raw) == expected


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("whole", True),
        ("whole", 2.5),
        ("real", "inf"),
        ("real", False),
        ("ranged", "1.5"),
        ("ranged", -0.1),
        ("described", "ten chars!"),
        ("text", None),
    ],
)
def test_rejections(name: str, raw: object) -> None:
    with pytest.raises(BadOption) as info:
        convert_option(specs()[name], raw)
    assert f"`{name}`" in info.value.user_message


def test_unsupported_option_types_fail_at_definition() -> None:
    with pytest.raises(TypeError, match="unsupported type"):

        class Bad(Plugin):
            name = "bad"

            @command()
            async def bad(self, ctx: Context, value: list[str]) -> None: ...


def test_command_names_and_descriptions() -> None:
    class Named(Plugin):
        name = "named"

        @command()
        async def do_thing(self, ctx: Context) -> None:
            """Does the thing.

            More words."""

    (spec,) = Named.commands()
    assert spec.name == "do-thing" and spec.description == "Does the thing."
    assert spec.plugin == "named" and spec.kind == "slash"


# ----- registry ------------------------------------------------------------------------------


def test_registry_indexes_commands_and_listeners() -> None:
    registry = PluginRegistry([DemoPlugin()])
    assert "echo" in registry.slash and "demo types" in registry.slash
    assert list(registry.message_commands) == ["Quote message"]
    assert sorted(s.handler_name for _, s in registry.listeners) == ["on_addressed", "on_any"]
    assert registry.all_commands()[0].kind == "message"
    with pytest.raises(UnknownPlugin) as info:
        registry.get("nothing")
    assert "Installed plugins: demo." in info.value.user_message


def test_registry_refuses_duplicates_and_clashes() -> None:
    class Clash(Plugin):
        name = "clash"

        @command("echo")
        async def echo(self, ctx: Context) -> None: ...

    class Nameless(Plugin):
        pass

    registry = PluginRegistry([DemoPlugin()])
    with pytest.raises(ValueError, match="registered twice"):
        registry.register(DemoPlugin())
    with pytest.raises(ValueError, match="clashes with 'demo'"):
        registry.register(Clash())
    with pytest.raises(ValueError, match="has no name"):
        registry.register(Nameless())


def test_unregister_removes_everything_and_remembers_why() -> None:
    registry = PluginRegistry([DemoPlugin()])
    registry.unregister("demo", "setup failed: boom")
    assert registry.plugins == {} and registry.slash == {} and registry.listeners == []
    assert registry.message_commands == {}
    assert registry.load_errors == {"demo": "setup failed: boom"}


def test_discover_finds_installed_plugins_through_entry_points() -> None:
    registry = PluginRegistry.discover(only={"admin", "help"})
    assert set(registry.plugins) == {"admin", "help"}
    assert "plugins config set" in registry.slash and "ping" in registry.slash
    assert registry.load_errors == {}
