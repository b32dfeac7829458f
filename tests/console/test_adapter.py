"""The console adapter in-process: piped lines in, rendered replies out."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from bot.app import App
from bot.core import Context, Message, Plugin, command, listener
from bot.core.events import ConversationKey
from bot.platforms.console import CONSOLE_SERVER_ID, ConsoleAdapter
from bot.platforms.console.adapter import save_private_file
from plugins.admin import AdminPlugin
from plugins.help import HelpPlugin
from tests.core.demo_plugin import DemoPlugin


class Parrot(Plugin):
    """Answers plain messages; streams its answer and checks what the console tells it."""

    name = "parrot"

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[Message] = []
        self.history_sizes: list[int] = []

    @listener()
    async def on_message(self, ctx: Context, message: Message) -> None:
        self.seen.append(message)
        self.history_sizes.append(len(await ctx.channel_history(limit=10)))

        async def words() -> Any:
            for word in message.content.split():
                yield word.upper() + " "

        text = await ctx.stream(words())
        sent = await ctx.reply("done")
        await sent.edit(f"done ({len(text.split())} words)")


async def test_piped_session(make_app: Any) -> None:
    parrot = Parrot()
    app: App = await make_app(AdminPlugin(), HelpPlugin(), DemoPlugin(), parrot)
    out = io.StringIO()
    console = ConsoleAdapter(app.router, out=out, user_name="tester")
    lines_in = ["/echo text:hi times:2", "", "   ", "hello there", "/nope", "/quit", "/echo x"]
    stdin = io.StringIO("\n".join(lines_in) + "\n")
    await console.run(stdin)
    lines = out.getvalue().splitlines()
    assert lines == [
        "sohbet> hi hi",
        "sohbet> HELLO THERE ",
        "sohbet> done",
        "sohbet> done (2 words)",
        "sohbet> (only you) I don't know the command `/nope`. Try `/help` to see what I can do.",
    ]
    (message,) = parrot.seen
    assert message.mentions_bot and message.author.name == "tester"
    assert message.conversation == ConversationKey(CONSOLE_SERVER_ID, "user:1:chan:1")
    assert parrot.history_sizes == [2]  # the bot's "hi hi" and this message


async def test_plain_messages_nobody_answers_get_a_hint(make_app: Any) -> None:
    app: App = await make_app(AdminPlugin(), HelpPlugin())
    out = io.StringIO()
    console = ConsoleAdapter(app.router, out=out)
    await console.run(io.StringIO("hello?\n"))  # ends at EOF without /quit
    assert "no plugin answered" in out.getvalue() and "/help" in out.getvalue()


async def test_console_user_is_admin_unless_told_otherwise(make_app: Any) -> None:
    app: App = await make_app(AdminPlugin(), HelpPlugin(), DemoPlugin())
    admin_out, member_out = io.StringIO(), io.StringIO()
    await ConsoleAdapter(app.router, out=admin_out).handle_line("/demo admin")
    await ConsoleAdapter(app.router, out=member_out, admin=False).handle_line("/demo admin")
    assert admin_out.getvalue() == "sohbet> admin ok\n"
    assert "Manage Server" in member_out.getvalue()


async def test_undecodable_input_reaches_plugins_as_replacement_characters(
    make_app: Any,
) -> None:
    parrot = Parrot()
    app: App = await make_app(AdminPlugin(), parrot)
    console = ConsoleAdapter(app.router, out=io.StringIO(), user_name="tester")
    # What Python's stdin makes of the bytes b"caf\xe9 \xff ok": lone surrogates.
    raw = b"caf\xe9 \xff ok".decode("utf-8", "surrogateescape")
    await console.handle_line(raw)
    (message,) = parrot.seen
    assert message.content == "caf\ufffd \ufffd ok"
    message.content.encode("utf-8")  # valid text from here on: no plugin can trip on it


class Counter(Plugin):
    name = "counter"
    uses = 0

    @command("count", description="Counts", cooldown=0.5)
    async def count(self, ctx: Context) -> None:
        Counter.uses += 1
        await ctx.reply(f"count {Counter.uses}")


async def test_a_piped_script_waits_for_cooldowns_instead_of_being_refused(
    make_app: Any,
) -> None:
    app: App = await make_app(AdminPlugin(), Counter())
    out = io.StringIO()
    console = ConsoleAdapter(app.router, out=out, user_name="tester")
    await console.run(io.StringIO("/count\n/count\n/count\n"))
    assert out.getvalue().splitlines() == ["sohbet> count 1", "sohbet> count 2", "sohbet> count 3"]
    # Typed by a person (not piped), the cooldown still refuses.
    console.wait_for_cooldowns = False
    await console.handle_line("/count")
    await console.handle_line("/count")
    assert "(only you)" in out.getvalue().splitlines()[-1]


def test_a_sent_file_name_cannot_leave_the_files_folder(tmp_path: Path) -> None:
    folder = tmp_path / "data" / "files"
    first = save_private_file(folder, "../../escape.json", b"{}")
    again = save_private_file(folder, "../../escape.json", b"[]")
    assert first == (folder / "escape.json").resolve() and first.read_bytes() == b"{}"
    assert again.name == "escape-2.json" and again.read_bytes() == b"[]"
    assert not (tmp_path / "escape.json").exists()
    assert save_private_file(folder, "", b"x").name == "file"
