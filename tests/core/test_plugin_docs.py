"""docs/plugins.md's example plugin, run as written through the real Router and console."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from bot.core import Plugin
from bot.core.router import Cooldowns
from bot.platforms.console import ConsoleAdapter
from plugins.admin import AdminPlugin

DOC = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"


def example_plugin() -> type[Plugin]:
    code = re.search(r"```python\n(.*?)```", DOC.read_text(), re.S)
    assert code is not None, "docs/plugins.md lost its example"
    namespace: dict[str, Any] = {}
    exec(compile(code.group(1), str(DOC), "exec", dont_inherit=True), namespace)
    plugin: type[Plugin] = namespace["DicePlugin"]
    return plugin


async def test_the_documented_plugin_works(make_app: Any) -> None:
    app = await make_app(example_plugin()(), AdminPlugin())
    out = io.StringIO()
    console = ConsoleAdapter(app.router, out=out, user_name="tester", admin=True)

    async def say(line: str) -> str:
        start = out.tell()
        await console.handle_line(line)
        app.router.cooldowns = Cooldowns()  # /roll has a 1 s cooldown per member
        return out.getvalue()[start:]

    rolled = await say("/roll count:3")
    dice = re.fullmatch(r"sohbet> (\d) \+ (\d) \+ (\d) = \*\*(\d+)\*\*\n", rolled)
    assert dice is not None, rolled
    *values, total = map(int, dice.groups())
    assert all(1 <= v <= 6 for v in values) and sum(values) == total

    assert "is now `2`" in await say("/plugins config set plugin:dice key:sides value:2")
    assert "is now" in await say("/plugins config set plugin:dice key:style value:fancy")
    fancy = await say("/roll count:20")
    faces = set(re.findall(r"\d+", fancy.split("=")[0].removeprefix("sohbet> 🎲 ")))
    assert fancy.startswith("sohbet> 🎲 ") and faces <= {"1", "2"}
    assert "must be at most 20" in await say("/roll count:21")
    assert "must be at least 2" in await say("/plugins config set plugin:dice key:sides value:1")
