"""The console adapter: a terminal session running the same Router and plugins as Discord."""

from __future__ import annotations

import asyncio
import getpass
import itertools
import os
import sys
import time
from collections import deque
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import TextIO

from bot.core.errors import SohbetError
from bot.core.events import (
    ADMIN_PERMISSION,
    Author,
    CommandCall,
    ConversationKey,
    Location,
    Message,
    Reply,
)
from bot.core.identity import CONSOLE_CHANNEL_ID, CONSOLE_SERVER_ID
from bot.core.router import Router
from bot.i18n import _, format_number, use_locale
from bot.platforms.console.parser import parse_command_line
from bot.shared.markup import plain

__all__ = ["CONSOLE_SERVER_ID", "ConsoleAdapter"]

BOT_PREFIX = "sohbet> "
# Message ids, shared by every adapter of the process. They start at the start-up time in
# microseconds, so ids stored with a conversation never collide with a later session's.
_message_ids = itertools.count(time.time_ns() // 1000)


class _ConsoleMessage:
    def __init__(self, adapter: ConsoleAdapter) -> None:
        self.adapter = adapter

    link: str | None = None

    async def edit(self, text: str) -> None:
        self.adapter.write(BOT_PREFIX + plain(text) + "\n")


class _ConsoleResponder:
    def __init__(self, adapter: ConsoleAdapter) -> None:
        self.adapter = adapter
        self.answered = False
        self.sent_message_ids: list[int] = []  # the bot messages printed for this event

    async def send(self, reply: Reply) -> _ConsoleMessage:
        self.answered = True
        prefix = BOT_PREFIX + (_("(only you)") + " " if reply.ephemeral else "")
        self.adapter.write(prefix + plain(reply.text) + "\n")
        for name, data in reply.files:
            self.adapter.write(BOT_PREFIX + await self.adapter.save_file(name, data) + "\n")
        self._sent(reply.text)
        return _ConsoleMessage(self.adapter)

    async def stream(self, chunks: AsyncIterator[str], *, ephemeral: bool = False) -> str:
        self.answered = True
        self.adapter.write(BOT_PREFIX)
        parts: list[str] = []
        async for chunk in chunks:
            parts.append(chunk)
            self.adapter.write(plain(chunk))
        self.adapter.write("\n")
        text = "".join(parts)
        self._sent(text)
        return text

    def _sent(self, text: str) -> None:
        self.sent_message_ids.append(self.adapter.remember(plain(text), is_bot=True).id)

    async def defer(self, *, ephemeral: bool = False) -> None:
        return None

    async def fetch_history(self, limit: int, since: datetime | None = None) -> list[Message]:
        messages = [m for m in self.adapter.history if since is None or m.created_at >= since]
        return messages[-limit:]


class ConsoleAdapter:
    def __init__(
        self,
        router: Router,
        *,
        out: TextIO | None = None,
        user_name: str | None = None,
        admin: bool = True,
        files_dir: Path | None = None,
    ) -> None:
        self.router = router
        # Where files the bot sends (a /privacy export) are saved; None: not kept.
        self.files_dir = files_dir
        self.out = out or sys.stdout
        name = user_name or _user_name()
        permissions = frozenset({"administrator", ADMIN_PERMISSION}) if admin else frozenset()
        self.author = Author(id=1, name=name, permissions=permissions)
        self.bot = Author(id=0, name="sohbet", is_bot=True)
        self.location = Location(CONSOLE_SERVER_ID, CONSOLE_CHANNEL_ID)
        self.wait_for_cooldowns = False  # run() turns it on for piped input
        self.history: deque[Message] = deque(maxlen=500)

    def write(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()

    async def save_file(self, name: str, data: bytes) -> str:
        """Keep a file the bot sent under files_dir; returns the line that says where."""
        size = format_number(len(data))
        if self.files_dir is None:
            return _(
                "[file {name}, {size} bytes: not saved (no folder for files)]", name=name, size=size
            )
        try:
            path = await asyncio.to_thread(save_private_file, self.files_dir, name, data)
        except OSError as exc:
            return _(
                "[file {name}, {size} bytes: could not be saved ({error})]",
                name=name,
                size=size,
                error=exc.strerror,
            )
        return _("[file saved: {path} ({size} bytes)]", path=path, size=size)

    def remember(self, text: str, *, is_bot: bool) -> Message:
        message = Message(
            id=next(_message_ids),
            content=text,
            author=self.bot if is_bot else self.author,
            location=self.location,
        )
        self.history.append(message)
        return message

    async def handle_line(self, line: str) -> None:
        """Process one line: `/command ...` or a message to the assistant."""
        # What the console says itself (a line it can't parse) follows the member's language
        # like the plugins' answers (the server's `core.language` setting).
        with use_locale(await self.router.locale_for(self.author, self.location)):
            await self._handle_line(line)

    async def _handle_line(self, line: str) -> None:
        # Undecodable input arrives as lone surrogates: make them U+FFFD here, at the edge,
        # so no plugin (language detection, say) fails on text no retry could fix.
        line = _valid_text(line).strip()
        if not line:
            return
        responder = _ConsoleResponder(self)
        if line.startswith("/"):
            commands = {s.name: s for s in self.router.registry.all_commands() if s.kind == "slash"}
            try:
                parsed = parse_command_line(line, commands)
            except SohbetError as exc:
                await responder.send(Reply(exc.user_message, ephemeral=True))
                return
            if self.wait_for_cooldowns:  # a script: wait for the command's turn, don't refuse
                wait = self.router.cooldowns.remaining(
                    parsed.spec.name, self.author.id, parsed.spec.cooldown
                )
                if wait > 0:
                    await asyncio.sleep(wait)
            call = CommandCall(
                name=parsed.spec.name,
                options=parsed.options,
                author=self.author,
                location=self.location,
                conversation=self._conversation(),
            )
            await self.router.handle_command(call, responder)
            return
        message = self.remember(line, is_bot=False)
        message.mentions_bot = True
        message.conversation = self._conversation()
        await self.router.handle_message(message, responder)
        if not responder.answered:
            unanswered = _("(no plugin answered that; /help lists what I can do)")
            self.write(f"{BOT_PREFIX}{unanswered}\n")

    def _conversation(self) -> ConversationKey:
        scope = f"user:{self.author.id}:chan:{CONSOLE_CHANNEL_ID}"
        return ConversationKey(CONSOLE_SERVER_ID, scope)

    async def run(self, stdin: TextIO | None = None) -> None:
        """Read lines until EOF or /quit. Works interactively and with piped input."""
        stdin = stdin or sys.stdin
        interactive = stdin.isatty()
        # Piped lines arrive faster than a person types: each waits for the previous answer
        # (lines are handled one by one) and for its command's cooldown, so scripts work.
        self.wait_for_cooldowns = not interactive
        if interactive:
            with use_locale(await self.router.locale_for(self.author, self.location)):
                self.write(
                    _(
                        "Sohbet console — type a message, /help for commands, /quit to leave.\n"
                        "(The first answer takes longer: the model loads, and on the very first "
                        "run the bundled one is prepared once, about a minute.)"
                    )
                    + "\n"
                )
        while True:
            if interactive:
                self.write("you> ")
            line = await asyncio.to_thread(stdin.readline)
            if not line:
                break
            if line.strip() in {"/quit", "/exit"}:
                break
            await self.handle_line(line)


def _valid_text(line: str) -> str:
    """Text with every undecodable byte (a lone surrogate from the terminal) as U+FFFD."""
    try:
        return line.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:  # surrogates that are not escaped bytes
        return line.encode("utf-8", "replace").decode("utf-8")


def save_private_file(folder: Path, name: str, data: bytes) -> Path:
    """Write `data` as `name` in `folder`, readable by this user only (an export holds personal
    data), never over an earlier file: `sohbet-data-1-2.json` when the name is taken."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    safe = Path(name).name.strip() or "file"  # a name can't point elsewhere ("../x")
    stem, suffix = Path(safe).stem, Path(safe).suffix
    for n in itertools.count(1):
        path = folder / (safe if n == 1 else f"{stem}-{n}{suffix}")
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
        return path.resolve()
    raise AssertionError("unreachable")


def _user_name() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "you"
