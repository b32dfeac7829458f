"""Console command lines -> command name and raw options."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.core import Attachment, BadOption, CommandSpec, Context, Plugin, UnknownCommand, command
from bot.core.registry import PluginRegistry
from bot.platforms.console.parser import parse_command_line
from plugins.admin import AdminPlugin
from tests.core.demo_plugin import DemoPlugin


class FilePlugin(Plugin):
    name = "files"

    @command("upload", description="Upload a file")
    async def upload(self, ctx: Context, file: Attachment, note: str = "") -> None: ...


@pytest.fixture(scope="module")
def commands() -> dict[str, CommandSpec]:
    registry = PluginRegistry([AdminPlugin(), DemoPlugin(), FilePlugin()])
    return {s.name: s for s in registry.all_commands() if s.kind == "slash"}


def parse(line: str, commands: dict[str, CommandSpec]) -> tuple[str, dict[str, Any]]:
    parsed = parse_command_line(line, commands)
    return parsed.spec.name, parsed.options


@pytest.mark.parametrize(
    ("line", "name", "options"),
    [
        ("/echo text:hi times:2", "echo", {"text": "hi", "times": "2"}),
        ("/echo hello world", "echo", {"text": "hello world"}),
        ('/echo "quoted words"', "echo", {"text": "quoted words"}),
        ("/echo text:I don't know", "echo", {"text": "I don't know"}),
        ('/echo text:"two  spaces" times:3', "echo", {"text": "two  spaces", "times": "3"}),
        ('/echo text:"a times:3"', "echo", {"text": "a times:3"}),
        ('/echo text:say \\"hi\\"', "echo", {"text": 'say \\"hi\\"'}),
        ("/echo see https://example.com", "echo", {"text": "see https://example.com"}),
        ("/echo https://example.com", "echo", {"text": "https://example.com"}),
        ("/echo Note: hi", "echo", {"text": "Note: hi"}),
        ("/echo colour:red", "echo", {"colour": "red"}),  # the router explains
        (
            '/plugins config set plugin:demo key:words value:["a", "b"]',
            "plugins config set",
            {"plugin": "demo", "key": "words", "value": '["a", "b"]'},
        ),
        (
            "/plugins   config  set plugin:demo key:greeting value:a b c channel:true",
            "plugins config set",
            {"plugin": "demo", "key": "greeting", "value": "a b c", "channel": "true"},
        ),
        ("/plugins audit 5", "plugins audit", {"limit": "5"}),
        ("/plugins list", "plugins list", {}),
        ("/demo types mood:sad", "demo types", {"mood": "sad"}),
    ],
)
def test_parse(
    line: str, name: str, options: dict[str, Any], commands: dict[str, CommandSpec]
) -> None:
    assert parse(line, commands) == (name, options)


def test_errors(commands: dict[str, CommandSpec]) -> None:
    with pytest.raises(UnknownCommand, match="/nope"):
        parse("/nope x", commands)
    with pytest.raises(UnknownCommand):
        parse("/", commands)
    with pytest.raises(BadOption, match="`/plugins config` needs a subcommand: `/plugins con"):
        parse("/plugins config", commands)
    with pytest.raises(BadOption, match="`text` was given twice"):
        parse("/echo text:a text:b", commands)
    with pytest.raises(BadOption, match="I don't know what to do with `extra`"):
        parse("/plugins list extra", commands)


def test_files_become_attachments(tmp_path: Path, commands: dict[str, CommandSpec]) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    _, options = parse(f"/upload file:@{path} note:mine", commands)
    file = options["file"]
    assert isinstance(file, Attachment)
    assert (file.name, file.size, file.content_type) == ("notes.txt", 5, "text/plain")
    assert options["note"] == "mine"
    with pytest.raises(BadOption, match="There is no file at"):
        parse(f"/upload file:{tmp_path / 'missing.txt'}", commands)


def test_a_file_named_relative_to_the_working_folder_is_found(
    tmp_path: Path, commands: dict[str, CommandSpec], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "club.txt").write_text("Chess on Sundays.")
    monkeypatch.chdir(tmp_path)
    _, options = parse("/upload file:club.txt", commands)
    assert options["file"].url == (tmp_path / "club.txt").resolve().as_uri()


async def test_attachment_reads_lazily_with_a_size_limit(
    tmp_path: Path, commands: dict[str, CommandSpec]
) -> None:
    path = tmp_path / "big.bin"
    path.write_bytes(b"x" * 2000)
    _, options = parse(f"/upload file:{path}", commands)
    assert await options["file"].read() == b"x" * 2000
    with pytest.raises(Exception, match="the limit is"):
        await options["file"].read(max_bytes=1000)


def test_a_missing_subcommand_is_named_from_the_options_given(
    commands: dict[str, CommandSpec],
) -> None:
    from plugins.sentiment import SentimentPlugin

    registry = PluginRegistry([SentimentPlugin()])
    sentiment = {s.name: s for s in registry.all_commands() if s.kind == "slash"}
    with pytest.raises(BadOption) as caught:
        parse("/sentiment text:I love it", sentiment)
    assert str(caught.value) == (
        "`/sentiment` needs a subcommand. Did you mean: `/sentiment text` `text:I love it`"
    )
    assert parse("/sentiment text text:I love it", sentiment) == (
        "sentiment text",
        {"text": "I love it"},
    )
    with pytest.raises(BadOption, match="needs a subcommand: `/sentiment channel`"):
        parse("/sentiment", sentiment)  # nothing to go by: the list
