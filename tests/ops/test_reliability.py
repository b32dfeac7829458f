"""Reliability: the database and the vector store missing at start-up or going away mid-run.

Real components throughout: the installed help, chat (fake `echo` model), docs (RAG, real
embedder and vector store) plugins through the real Router, real PostgreSQL behind a loopback
TCP forwarder that can die and come back, a real second process holding the embedded vector
store's lock, the real `sohbet` command line in a subprocess, and the real probe server.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy.engine import make_url

from bot.app import App, build_app
from bot.config import Config
from bot.core import Context, Plugin, command
from bot.core.events import Attachment
from bot.core.router import Cooldowns
from bot.observability import Metrics
from bot.operations import Operations
from bot.store.database import HUNG_BACKOFF_S, Store
from plugins.chat import ChatPlugin
from plugins.docs import DocsPlugin
from plugins.help import HelpPlugin
from tests.chat.helpers import Talk, echo_config
from tests.conftest import POSTGRES_ADMIN_URL, _admin, skip_without_postgres
from tests.ops.outage import LockHolder, TcpProxy, free_port
from tests.ops.qdrant_standin import QdrantStandIn

REPO = Path(__file__).resolve().parents[2]
DB_DOWN = "My database is unreachable right now"
PASSWORD = "s3cretpw"
HANDBOOK = (
    b"# Handbook\n\nThe office opens at nine in the morning.\n\n"
    b"Lunch is served at noon in the garden.\n"
)

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


class ShoutPlugin(Plugin):
    """A plugin that needs no database (like translate or sentiment)."""

    name = "shout"
    description = "Says it louder"

    @command(description="Say it louder")
    async def shout(self, ctx: Context, text: str) -> None:
        await ctx.reply(text.upper() + "!")


def upload(data: bytes = HANDBOOK, name: str = "handbook.md") -> Attachment:
    async def fetch() -> bytes:
        return data

    return Attachment(name, "text/markdown", len(data), fetch=fetch)


async def readyz(ops: Operations) -> tuple[int, dict]:
    assert ops.observability.url is not None
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{ops.observability.url}/readyz") as response,
    ):
        return response.status, await response.json()


async def start_ops(app: App, metrics: Metrics) -> Operations:
    return await Operations.start(
        app, metrics=metrics, metrics_port=0, freeze_gc=False, retention=False
    )


def cooled(talk: Talk) -> Talk:
    """Forget command cooldowns (these tests repeat commands faster than members may)."""
    talk.app.router.cooldowns = Cooldowns()
    return talk


def events(metrics: Metrics, plugin: str, outcome: str) -> float:
    total = 0.0
    for family in metrics.registry.collect():
        for sample in family.samples:
            labels = sample.labels
            if (
                sample.name == "sohbet_events_total"
                and labels.get("plugin") == plugin
                and labels.get("outcome") == outcome
            ):
                total += sample.value
    return total


# ----- start-up ----------------------------------------------------------------------------


def sohbet(args: list[str], env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("SOHBET_")}
    base.pop("DISCORD_TOKEN", None)
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=stdin,
        env={**base, "HF_HUB_OFFLINE": "1", "SOHBET_PLUGINS": "help", **env},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("command", ["chat", "run"])
def test_unreachable_postgres_at_start_is_one_clear_line(command: str, tmp_path: Path) -> None:
    url = f"postgresql+asyncpg://sohbet:{PASSWORD}@127.0.0.1:{free_port()}/sohbet"
    env = {
        "SOHBET_DATA_DIR": str(tmp_path / "data"),
        "SOHBET_DATABASE_URL": url,
        "SOHBET_CONFIG_FILE": str(tmp_path / "absent.toml"),
        "DISCORD_TOKEN": "not-a-real-token",  # `run` must fail on the database, before Discord
    }
    done = sohbet([command], env)
    assert done.returncode == 1
    assert "is unreachable" in done.stderr and "sohbet doctor" in done.stderr
    assert "sohbet:***@127.0.0.1" in done.stderr and PASSWORD not in done.stderr
    assert "Traceback" not in done.stderr


def test_a_data_folder_that_cannot_be_created_is_explained(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    env = {
        "SOHBET_DATA_DIR": str(blocker / "data"),
        "SOHBET_CONFIG_FILE": str(tmp_path / "absent.toml"),
    }
    done = sohbet(["chat"], env)
    assert done.returncode == 1
    assert f"can't create my data folder {blocker / 'data'}" in done.stderr
    assert "SOHBET_DATA_DIR" in done.stderr and "Traceback" not in done.stderr


def test_sqlite_in_a_missing_folder_is_explained(tmp_path: Path) -> None:
    env = {
        "SOHBET_DATA_DIR": str(tmp_path / "data"),
        "SOHBET_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/nowhere/sohbet.db",
        "SOHBET_CONFIG_FILE": str(tmp_path / "absent.toml"),
    }
    done = sohbet(["chat"], env)
    assert done.returncode == 1
    assert "is unreachable" in done.stderr and "no folder" in done.stderr
    assert "Traceback" not in done.stderr


def test_chat_serves_probes_on_the_configured_port_and_refuses_a_busy_one(
    tmp_path: Path,
) -> None:
    env = {
        "SOHBET_DATA_DIR": str(tmp_path / "data"),
        "SOHBET_CONFIG_FILE": str(tmp_path / "absent.toml"),
        "SOHBET_METRICS_PORT": "0",
    }
    done = sohbet(["chat"], env, stdin="/ping\n")
    assert done.returncode == 0, done.stderr
    assert "Pong! Database answered" in done.stdout
    with __import__("socket").socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        env["SOHBET_METRICS_PORT"] = str(busy.getsockname()[1])
        done = sohbet(["chat"], env, stdin="/ping\n")
    assert done.returncode == 1
    assert "Can't serve health checks and metrics on 127.0.0.1:" in done.stderr
    assert "SOHBET_METRICS_PORT" in done.stderr and "Traceback" not in done.stderr
    assert "Pong" not in done.stdout


# ----- PostgreSQL going away ---------------------------------------------------------------


@pytest.fixture
async def proxy(postgres_url: str) -> AsyncIterator[TcpProxy]:
    target = make_url(postgres_url)
    forwarder = TcpProxy(target.host or "127.0.0.1", target.port or 5432)
    await forwarder.start()
    yield forwarder
    await forwarder.stop()


def through(url: str, proxy: TcpProxy) -> str:
    return make_url(url).set(host="127.0.0.1", port=proxy.port).render_as_string(False)


@pytest.mark.postgres
async def test_postgres_dying_mid_run_gives_friendly_errors_and_recovers(
    config: Config, postgres_url: str, proxy: TcpProxy
) -> None:
    config = echo_config(config).model_copy(update={"database_url": through(postgres_url, proxy)})
    app = await build_app(
        config, plugins=[HelpPlugin(), ChatPlugin(), ShoutPlugin()], migrate=False
    )
    metrics = Metrics(process=False)
    ops = await start_ops(app, metrics)
    app.services.settings.ttl = 0  # an outage longer than the settings cache
    alice = Talk(app, user_id=7, server_id=500, channel_id=50)
    try:
        assert (await cooled(alice).command("ping")).text.startswith("Pong! Database answered")
        assert (await cooled(alice).command("chat", message="hello")).text == "You said: hello"
        assert (await readyz(ops))[0] == 200

        await proxy.stop()  # PostgreSQL is gone: connections reset, the port refuses
        chat = await cooled(alice).command("chat", message="are you there?")
        assert chat.text.startswith(DB_DOWN) and chat.replies[-1].ephemeral
        said = await alice.say("hello again")
        assert said.text.startswith(DB_DOWN)
        ping = await cooled(alice).command("ping")
        assert "database is unreachable" in ping.text and ping.text.startswith("Pong!")
        # A plugin that needs no database keeps working on the last known settings.
        assert (await cooled(alice).command("shout", text="hi")).text == "HI!"
        status, body = await readyz(ops)
        assert status == 503 and body["checks"]["database"]["ok"] is False
        assert "Connect call failed" in body["checks"]["database"]["error"]
        assert events(metrics, "chat", "refused") >= 2
        assert events(metrics, "chat", "error") == 0  # refusals, not crashes

        await proxy.start()  # back on the same port
        # Nothing of the outage was half-written: the model sees only the turns that finished.
        assert (
            await cooled(alice).command("chat", message="back?")
        ).text == "You said: hello | back?"
        assert (await cooled(alice).command("ping")).text.startswith("Pong! Database answered")
        status, body = await readyz(ops)
        assert status == 200, body
    finally:
        await ops.close()
        await app.close()


@pytest.mark.postgres
async def test_a_hung_database_gets_a_clear_answer_within_seconds_then_recovers(
    config: Config, postgres_url: str, proxy: TcpProxy
) -> None:
    config = echo_config(config).model_copy(update={"database_url": through(postgres_url, proxy)})
    app = await build_app(config, plugins=[HelpPlugin(), ChatPlugin()], migrate=False)
    app.services.settings.ttl = 0
    alice = Talk(app, user_id=8, server_id=510, channel_id=51)
    try:
        assert (await cooled(alice).command("chat", message="hello")).text == "You said: hello"

        proxy.freeze()  # PostgreSQL hangs: connections stay open, nothing answers
        started = time.monotonic()
        chat = await asyncio.wait_for(cooled(alice).command("chat", message="there?"), 60)
        waited = time.monotonic() - started
        assert chat.text.startswith(DB_DOWN), chat.text
        assert waited < 20, waited  # bounded: was 128 s, until the database came back

        proxy.thaw()  # back: answers again once the short back-off after a hang is over
        await asyncio.sleep(HUNG_BACKOFF_S)
        assert (await cooled(alice).command("chat", message="back?")).text.startswith(
            "You said: hello"
        )
    finally:
        proxy.thaw()
        await app.close()


@pytest.mark.postgres
async def test_terminated_backends_are_replaced_without_the_member_noticing(
    config: Config, postgres_url: str
) -> None:
    config = echo_config(config).model_copy(update={"database_url": postgres_url})
    app = await build_app(config, plugins=[HelpPlugin(), ChatPlugin()], migrate=False)
    bob = Talk(app, user_id=8, server_id=501, channel_id=51)
    try:
        assert (await cooled(bob).command("chat", message="one")).text == "You said: one"
        database = make_url(postgres_url).database
        await _admin(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE datname = '{database}' AND pid <> pg_backend_pid()"
        )
        assert (await cooled(bob).command("chat", message="two")).text == "You said: one | two"
    finally:
        await app.close()


@pytest.fixture
async def own_database() -> AsyncIterator[str]:
    """A migrated PostgreSQL database of this test alone (it gets renamed)."""
    name = f"sohbet_ops_{secrets.token_hex(4)}"
    try:
        await _admin(f'CREATE DATABASE "{name}"')
    except (TimeoutError, OSError) as exc:
        skip_without_postgres(exc)
    url = make_url(POSTGRES_ADMIN_URL).set(drivername="postgresql+asyncpg", database=name)
    rendered = url.render_as_string(hide_password=False)
    store = Store(rendered)
    try:
        await store.upgrade()
    finally:
        await store.close()
    yield rendered
    for candidate in (name, f"{name}_away"):
        await _admin(f'DROP DATABASE IF EXISTS "{candidate}" WITH (FORCE)')


async def _rename(old: str, new: str) -> None:
    for _ in range(20):  # the pool may reconnect between the two statements: try again
        await _admin(
            f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{old}'"
        )
        try:
            await _admin(f'ALTER DATABASE "{old}" RENAME TO "{new}"')
            return
        except Exception as exc:  # asyncpg: "being accessed by other users"
            if "other users" not in str(exc):
                raise
        await asyncio.sleep(0.05)
    raise AssertionError(f"could not rename {old}")


@pytest.mark.postgres
async def test_a_database_renamed_away_mid_run_is_reported_then_recovered(
    config: Config, own_database: str
) -> None:
    name = make_url(own_database).database
    assert name is not None
    config = echo_config(config).model_copy(update={"database_url": own_database})
    app = await build_app(
        config, plugins=[HelpPlugin(), ChatPlugin(), ShoutPlugin()], migrate=False
    )
    app.services.settings.ttl = 0
    carol = Talk(app, user_id=9, server_id=502, channel_id=52)
    try:
        assert (await cooled(carol).command("chat", message="first")).text == "You said: first"
        await _rename(name, f"{name}_away")  # an operator moved it: "database does not exist"
        reply = await cooled(carol).command("chat", message="lost")
        assert reply.text.startswith(DB_DOWN)
        assert (await cooled(carol).command("shout", text="hi")).text == "HI!"
        await _rename(f"{name}_away", name)
        assert (
            await cooled(carol).command("chat", message="found")
        ).text == "You said: first | found"
    finally:
        await app.close()


# ----- the vector store --------------------------------------------------------------------


async def rag_app(config: Config) -> App:
    return await build_app(
        echo_config(config), plugins=[HelpPlugin(), ChatPlugin(), DocsPlugin()], migrate=False
    )


async def test_qdrant_server_unreachable_answers_clearly_and_chat_goes_on(config: Config) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    app = await rag_app(config.model_copy(update={"qdrant_url": url}))
    metrics = Metrics(process=False)
    ops = await start_ops(app, metrics)
    dave = Talk(app, user_id=10, server_id=503, channel_id=53)
    try:
        asked = await cooled(dave).command("ask", question="When does the office open?")
        assert asked.text.startswith(f"Cannot reach the Qdrant server at {url}. Is it running?")
        uploaded = await cooled(dave).command("docs upload", file=upload())
        assert uploaded.text.startswith(f"Cannot reach the Qdrant server at {url}")
        assert (await cooled(dave).command("chat", message="still there?")).text == (
            "You said: still there?"
        )
        status, body = await readyz(ops)
        assert status == 503
        assert body["checks"]["vectors"]["ok"] is False
        assert body["checks"]["database"]["ok"] is True
        assert events(metrics, "docs", "refused") == 2
        assert events(metrics, "docs", "error") == 0
    finally:
        await ops.close()
        await app.close()


async def test_embedded_store_locked_by_another_process_then_released(config: Config) -> None:
    holder = LockHolder(config.data_dir / "vectors")
    pid = holder.start()
    app = await rag_app(config)
    erin = Talk(app, user_id=11, server_id=504, channel_id=54)
    try:
        uploaded = await cooled(erin).command("docs upload", file=upload())
        assert f"is already in use by process {pid}" in uploaded.text
        assert "SOHBET_QDRANT_URL" in uploaded.text
        asked = await cooled(erin).command("ask", question="When does the office open?")
        assert f"already in use by process {pid}" in asked.text
        assert (await cooled(erin).command("chat", message="hi")).text == "You said: hi"

        holder.stop()  # the other bot stopped: the next request opens the store
        uploaded = await cooled(erin).command("docs upload", file=upload())
        assert uploaded.text.startswith("✅"), uploaded.text
        asked = await cooled(erin).command("ask", question="When does the office open?")
        answer, sources = [r.text for r in asked.replies]
        assert answer.startswith("You said: <sources>")  # the echo model repeats the user turn
        assert "Question: When does the office open?" in answer
        # The echo model repeats the prompt: its [1] is cited, and flagged as not in its source.
        assert sources.startswith("**Sources**\n[1] handbook.md")
    finally:
        holder.stop()
        await app.close()


@pytest.fixture
async def qdrant() -> AsyncIterator[QdrantStandIn]:
    server = QdrantStandIn()
    await server.start()
    yield server
    await server.close()


async def test_qdrant_server_going_away_mid_run_then_coming_back(
    config: Config, qdrant: QdrantStandIn
) -> None:
    app = await rag_app(config.model_copy(update={"qdrant_url": qdrant.url}))
    metrics = Metrics(process=False)
    ops = await start_ops(app, metrics)
    frank = Talk(app, user_id=12, server_id=505, channel_id=55)
    question = "When does the office open?"

    def answered(replies: list[Any]) -> bool:
        texts = [r.text for r in replies]
        return (
            len(texts) == 2
            and f"Question: {question}" in texts[0]
            and texts[1].startswith("**Sources**\n[1] handbook.md")
        )

    try:
        assert (await cooled(frank).command("docs upload", file=upload())).text.startswith("✅")
        assert answered((await cooled(frank).command("ask", question=question)).replies)
        assert (await readyz(ops))[0] == 200

        await qdrant.stop()
        asked = await cooled(frank).command("ask", question=question)
        assert asked.text.startswith(f"Cannot reach the Qdrant server at {qdrant.url}")
        other = upload(b"# Menu\n\nSoup on Mondays.\n", "menu.md")
        uploaded = await cooled(frank).command("docs upload", file=other)
        assert uploaded.text.startswith(f"Cannot reach the Qdrant server at {qdrant.url}")
        # The failed upload left no half-made document behind.
        listed = await cooled(frank).command("docs list")
        assert "handbook.md" in listed.text and "menu.md" not in listed.text
        assert (await frank.say("are you ok?")).text == "You said: are you ok?"
        status, body = await readyz(ops)
        assert status == 503 and body["checks"]["vectors"]["ok"] is False
        assert body["checks"]["database"]["ok"] is True
        assert events(metrics, "docs", "error") == 0

        await qdrant.start()  # same port, same data
        assert answered((await cooled(frank).command("ask", question=question)).replies)
        assert (await cooled(frank).command("docs upload", file=other)).text.startswith("✅")
        assert (await readyz(ops))[0] == 200
    finally:
        await ops.close()
        await app.close()


# ----- the model ---------------------------------------------------------------------------


async def test_a_model_server_that_is_down_is_explained_and_counted(config: Config) -> None:
    from bot.observability import default_metrics

    config = config.model_copy(
        update={
            "model_provider": "openai",
            "model_name": "gpt-test",
            "model_base_url": f"http://127.0.0.1:{free_port()}/v1",
        }
    )
    app = await build_app(config, plugins=[HelpPlugin(), ChatPlugin()], migrate=False)
    labels = {"provider": "openai", "model": "gpt-test", "outcome": "error"}

    def failures() -> float:
        found = default_metrics().registry.get_sample_value("sohbet_model_seconds_count", labels)
        return found or 0.0

    before = failures()
    gina = Talk(app, user_id=13, server_id=506, channel_id=56)
    try:
        said = await gina.say("hello?")
        assert (
            said.text == "The AI model service can't be reached right now. Please try again later."
        )
        assert said.replies[-1].ephemeral  # a known failure, not a bug report with an error id
        assert failures() == before + 1
        assert (await cooled(gina).command("ping")).text.startswith("Pong! Database answered")
    finally:
        await app.close()


def test_a_damaged_sqlite_file_is_one_clear_line_and_doctor_says_how_to_repair(
    tmp_path: Path,
) -> None:
    env = {
        "SOHBET_DATA_DIR": str(tmp_path / "data"),
        "SOHBET_CONFIG_FILE": str(tmp_path / "absent.toml"),
    }
    assert sohbet(["chat"], env, stdin="/ping\n").returncode == 0
    database = tmp_path / "data" / "sohbet.db"
    with database.open("r+b") as file:  # half the file is gone
        file.truncate(database.stat().st_size // 2)

    done = sohbet(["chat"], env, stdin="/ping\n")
    assert done.returncode == 1
    assert "is damaged: database disk image is malformed" in done.stderr
    assert "Restore it from a backup" in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    doctor = sohbet(["doctor"], env)
    assert "[FAIL] database: damaged" in doctor.stdout + doctor.stderr


@pytest.mark.postgres
async def test_an_upload_cut_by_a_database_failure_can_be_sent_again_and_deleted(
    config: Config, postgres_url: str, proxy: TcpProxy
) -> None:
    """PostgreSQL goes away mid-upload in a running bot: the upload fails and its row (and
    lease) can't be removed then. Once the database is back, the entry it left is not "being
    added right now": it can be deleted, and the file sent again, at once."""
    from plugins.admin import AdminPlugin
    from tests.docs.conftest import SERVER_A, Member
    from tests.jobs.test_worker import big_text

    config = config.model_copy(
        update={"database_url": through(postgres_url, proxy), "model_provider": "fake"}
    )
    app = await build_app(config, plugins=[DocsPlugin(), AdminPlugin()], migrate=False)
    watcher = Store(postgres_url)  # sees the database directly, not through the proxy
    alice = Member(app, 100, "alice", SERVER_A, 11, admin=True)

    async def cut(name: str) -> str:
        path = config.data_dir / name
        path.write_bytes(big_text() + name.encode())
        upload = asyncio.create_task(alice.say(f"/docs upload file:{path}"))
        deadline = time.monotonic() + 60
        while not [d for d in await watcher.documents.list(SERVER_A) if d.name == name]:
            assert time.monotonic() < deadline and not upload.done(), "no row was written"
            await asyncio.sleep(0.05)
        await proxy.stop()  # mid-upload: the row is written, the chunks are being embedded
        out = await asyncio.wait_for(upload, 60)
        await proxy.start()
        return out

    try:
        out = await cut("first.txt")
        assert "❌ **first.txt** was not added." in out and DB_DOWN in out
        (left,) = await watcher.documents.list(SERVER_A)
        assert left.status == "ingesting"  # what the failed upload couldn't remove
        again = await alice.say(f"/docs upload file:{config.data_dir / 'first.txt'}")
        assert "✅ Added **first.txt**" in again, again
        assert "being added right now" not in again

        out = await cut("second.txt")
        assert "❌ **second.txt** was not added." in out
        deleted = await alice.say("/docs delete document:second.txt")
        assert deleted.startswith("sohbet> (only you) Deleted **second.txt**"), deleted
        names = [(d.name, d.status) for d in await watcher.documents.list(SERVER_A)]
        assert names == [("first.txt", "ready")]
    finally:
        await watcher.close()
        await app.close()
