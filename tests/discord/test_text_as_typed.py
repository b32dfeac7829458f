"""Text as typed: only the bot's mention is removed; pasted code keeps its indentation."""

from __future__ import annotations

from tests.discord.conftest import StartWorld

CODE = "\n".join(
    [
        "why does this fail?",
        "```python",
        "def f(x):",
        "    if x:",
        "\treturn  x  *  2",
        "",
        "",
        "        pass",
        "```",
    ]
)


async def test_code_reaches_the_plugin_with_its_indentation(start_world: StartWorld) -> None:
    world = await start_world()
    await world.alice.send(world.general, f"{world.mention} {CODE}")
    await world.alice.send(world.general, f"{world.mention}\n    indented first line")
    await world.alice.send(world.general, f"look  at   this {world.mention}  please")
    await world.alice.send(world.general, f"ask {world.bob.mention}  about it, {world.mention}")
    said = [content for _, _, content in world.chat.seen]
    assert said == [
        CODE,
        "    indented first line",
        "look  at   this please",
        "ask @bob  about it,",
    ]
