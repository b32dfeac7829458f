"""The `docs` plugin end to end: console lines -> Router -> plugin -> SQLite + embedded Qdrant.

Everything is real: the migrated SQLite database, the embedded Qdrant Edge store (on tmpfs when
there is one: it fsyncs every write), the packaged multilingual embedder (offline, ~1 s to load
once per session) and LangChain's fake chat model (the `fake` provider), which always answers
with the text given as the model name, so tests know exactly what "the model" said.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.app import App, build_app
from bot.config import Config
from bot.core.events import ADMIN_PERMISSION, Author, CommandCall, Location, Message
from bot.core.router import Cooldowns
from bot.platforms.console import ConsoleAdapter
from bot.platforms.console.adapter import _ConsoleResponder
from bot.platforms.console.parser import file_attachment
from bot.providers import AIProviders
from bot.vectors import VectorStore
from plugins.admin import AdminPlugin
from plugins.docs import DocsPlugin
from plugins.privacy import PrivacyPlugin
from tests.conftest import isolate_environment, migrated_sqlite
from tests.documents.builders import make_pdf

SERVER_A = 1001
SERVER_B = 2002
GENERAL = 11
RANDOM = 12
ANSWER = "The Zephyr kettle's warranty lasts 24 months [1]."
# A reply no source holds: its [1] is dropped by the citation check, so the reply lists what
# the search found, in ranking order ("Consulted, not cited: ..."): see `read_from`.
NEUTRAL = "Here is what I found [1]."


def read_from(out: str) -> list[str]:
    """The documents a reply names (its Sources, or what it consulted), in order."""
    names: list[str] = []
    for line in out.splitlines():
        if "*Consulted, not cited:*" in line:
            names += line.split("*Consulted, not cited:*")[1].strip().split(", ")
        elif line.startswith("[") and "] " in line:
            names.append(line.split("] ", 1)[1].split(",")[0].split(" — ")[0])
    return names


KETTLE_PAGES = [
    "Zephyr Kettle - User Manual\nThank you for buying the Zephyr electric kettle.\n"
    "Read these instructions before first use.",
    "Warranty\nThe Zephyr kettle is covered by a warranty of 24 months from the date of\n"
    "purchase. Keep your receipt: the warranty only applies with proof of purchase.",
    "Descaling\nDescale the kettle once a month with citric acid. Fill it half way, add two\n"
    "spoons of citric acid, boil and rinse three times.",
]
GARDEN_TEXT = (
    "Community garden rules\n\n"
    "The community garden opens at 7 in the morning and closes at sunset. Each member tends "
    "one raised bed. Watering cans are kept in the green shed; return them after use.\n\n"
    "Compost goes in the left bin only. No pesticides are allowed anywhere in the garden."
)


def kettle_pdf(tag: str = "") -> bytes:
    """The three-page kettle manual; `tag` changes the bytes (another file, same content)."""
    pages = list(KETTLE_PAGES)
    if tag:
        pages[0] += f"\nEdition {tag}"
    return make_pdf(pages)


class Member:
    """One person typing in one channel of one server, through the real console adapter."""

    def __init__(
        self, app: App, user_id: int, name: str, server: int, channel: int, admin: bool
    ) -> None:
        self.app = app
        self.out = io.StringIO()
        self.adapter = ConsoleAdapter(app.router, out=self.out, user_name=name, admin=admin)
        permissions = frozenset({ADMIN_PERMISSION}) if admin else frozenset()
        self.adapter.author = Author(id=user_id, name=name, permissions=permissions)
        self.adapter.location = Location(server, channel)
        self.id = user_id
        self.server = server
        self.channel = channel

    async def say(self, line: str) -> str:
        """Run one console line; returns what the bot printed for it."""
        self.app.router.cooldowns = Cooldowns()  # tests type faster than /docs upload allows
        start = self.out.tell()
        await self.adapter.handle_line(line)
        return self.out.getvalue()[start:]

    async def menu(self, command: str, target: Message) -> str:
        """Use a message context-menu command (Discord's "Apps" menu) on `target`."""
        self.app.router.cooldowns = Cooldowns()
        start = self.out.tell()
        call = CommandCall(
            name=command,
            options={},
            author=self.adapter.author,
            location=self.adapter.location,
            target=target,
        )
        await self.app.router.handle_command(call, _ConsoleResponder(self.adapter))
        return self.out.getvalue()[start:]


_message_ids = itertools.count(5000)


def posted(author: Member, paths: list[Path], text: str = "") -> Message:
    """A message `author` posted in their channel with files attached, and its permalink."""
    message_id = next(_message_ids)
    return Message(
        id=message_id,
        content=text,
        author=author.adapter.author,
        location=author.adapter.location,
        attachments=[file_attachment(p) for p in paths],
        link=f"https://discord.com/channels/{author.server}/{author.channel}/{message_id}",
    )


@dataclass
class World:
    app: App
    files: Path
    _people: itertools.count = field(default_factory=lambda: itertools.count(100))

    def member(
        self,
        name: str = "member",
        *,
        server: int = SERVER_A,
        channel: int = GENERAL,
        admin: bool = False,
        user_id: int | None = None,
        dm: bool = False,
    ) -> Member:
        uid = user_id if user_id is not None else next(self._people)
        member = Member(self.app, uid, name, server, channel, admin)
        if dm:
            member.adapter.location = Location(0, channel, is_dm=True)
        return member

    def file(self, name: str, data: bytes | str) -> Path:
        path = self.files / name
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        return path

    @property
    def ai(self) -> AIProviders:
        return self.app.services.get("ai", AIProviders)

    async def vectors(self) -> VectorStore:
        return await self.ai.vectors()

    async def chunks(self, server: int) -> int:
        return await (await self.vectors()).count(server)

    async def rows(self, server: int) -> list[Any]:
        return await self.app.store.documents.list(server)


StartWorld = Callable[..., Awaitable[World]]


def config_on_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sqlite_template: Path, **settings: Any
) -> Config:
    """A Config whose data folder (migrated SQLite, vectors) is a real folder under tmp_path:
    for tests that restart the app or read the files."""
    isolate_environment(monkeypatch, tmp_path)
    data = tmp_path / "data"
    migrated_sqlite(sqlite_template, data / "sohbet.db")
    return Config(data_dir=data, **settings)


@pytest.fixture
async def start_world(
    fast_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sqlite_template: Path
) -> AsyncIterator[StartWorld]:
    """`await start_world(reply=...)`: an App with the `docs`, `admin` and `privacy` plugins."""
    isolate_environment(monkeypatch, tmp_path)
    apps: list[App] = []

    async def start(reply: str = ANSWER, **settings: Any) -> World:
        data_dir = fast_dir / f"data{len(apps)}"
        migrated_sqlite(sqlite_template, data_dir / "sohbet.db")
        config = Config(data_dir=data_dir, model_provider="fake", model_name=reply, **settings)
        app = await build_app(config, plugins=[DocsPlugin(), AdminPlugin(), PrivacyPlugin()])
        apps.append(app)
        files = tmp_path / f"files{len(apps)}"
        files.mkdir()
        return World(app, files)

    yield start
    for app in apps:
        await app.close()


@pytest.fixture
async def world(start_world: StartWorld) -> World:
    return await start_world()


# A loopback server speaking the OpenAI embeddings API (tests/ai/test_embeddings_remote.py).
from tests.ai.test_embeddings_remote import server as embeddings_server  # noqa: E402, F401
