"""The sub-commands behind `sohbet doctor|db|plugins`, in-process (fast; the CLI tests run
the real executable)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import commands
from bot.cli import main
from bot.config import Config
from tests.conftest import isolate_environment


@pytest.fixture
def fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Config:
    """A Config with an empty data folder: no database yet."""
    isolate_environment(monkeypatch, tmp_path)
    return Config(data_dir=tmp_path / "data")


async def test_doctor_on_a_fresh_install_says_what_to_run(
    fresh: Config, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await commands.doctor(fresh) == 1
    out = capsys.readouterr().out
    assert "[FAIL] database: schema at none, expected 0004: run `sohbet db upgrade`" in out
    assert "1 problem(s) found." in out


async def test_db_upgrade_current_downgrade(
    fresh: Config, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await commands.database(fresh, "current", None) == 0
    assert await commands.database(fresh, "upgrade", None) == 0
    assert await commands.database(fresh, "current", None) == 0
    assert await commands.doctor(fresh) == 0
    assert await commands.database(fresh, "downgrade", None) == 0  # one step back
    lines = [line for line in capsys.readouterr().out.splitlines() if "revision" in line]
    assert lines == [
        "schema revision: none",
        "schema revision: 0004",
        "schema revision: 0004",
        "schema revision: 0003",
    ]


async def test_doctor_with_an_unwritable_data_folder(
    fresh: Config, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = fresh.data_dir.parent / "file"
    blocker.write_text("not a folder")
    broken = fresh.model_copy(update={"data_dir": blocker, "database_url": "sqlite:///:memory:"})
    assert await commands.doctor(broken) == 1
    assert "[FAIL] data folder:" in capsys.readouterr().out


@pytest.mark.postgres
async def test_doctor_and_upgrade_on_postgres(
    postgres_url: str, fresh: Config, capsys: pytest.CaptureFixture[str]
) -> None:
    config = fresh.model_copy(update={"database_url": postgres_url})
    assert await commands.database(config, "upgrade", None) == 0
    assert await commands.doctor(config) == 0
    out = capsys.readouterr().out
    assert "[ok] database: reachable, schema at 0004" in out and "All good." in out


@pytest.fixture
def keep_logging() -> Iterator[None]:
    """main() configures the root logger; put pytest's set-up back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.usefixtures("keep_logging")
def test_cli_reports_database_errors_without_a_traceback(
    fresh: Config, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SOHBET_DATA_DIR", str(fresh.data_dir))
    monkeypatch.setenv("SOHBET_DATABASE_URL", "mysql://root:hunter2@db/x")
    assert main(["db", "upgrade"]) == 1
    err = capsys.readouterr().err
    assert "`mysql` databases are not supported" in err and "hunter2" not in err
    monkeypatch.setenv("SOHBET_DATABASE_URL", "postgresql://nobody:hunter2@127.0.0.1:1/x")
    assert main(["db", "upgrade"]) == 1
    err = capsys.readouterr().err
    assert "is unreachable" in err and "hunter2" not in err and "Traceback" not in err


@pytest.mark.usefixtures("keep_logging")
def test_cli_without_a_token_or_with_bad_configuration(
    fresh: Config, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SOHBET_DATA_DIR", str(fresh.data_dir))
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert "DISCORD_TOKEN is not set." in err and "sohbet chat" in err
    monkeypatch.setenv("SOHBET_METRICS_PORT", "lots")
    assert main(["doctor"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Configuration error:") and "SOHBET_METRICS_PORT: " in err
    assert "lots" not in err  # the values given are not repeated (a URL would hold a password)


@pytest.mark.usefixtures("keep_logging")
def test_cli_doctor_with_a_malformed_url(
    fresh: Config, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SOHBET_DATA_DIR", str(fresh.data_dir))
    monkeypatch.setenv("SOHBET_DATABASE_URL", "nonsense")
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert "[FAIL] database: The database URL" in out
    assert "postgresql+asyncpg://user:password@host:5432/dbname" in out


async def test_vectors_info_and_optimize(
    config: Config, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.knowledge.ingest import Ingestor
    from bot.providers import AIProviders

    app = await commands._build(config)
    try:
        ai = app.services.get("ai", AIProviders)
        ingestor = Ingestor(app.store, await ai.vectors(), await ai.embedder())
        text = "\n\n".join(f"Paragraph {i} about lighthouses and weather." * 20 for i in range(12))
        await ingestor.ingest(text.encode(), "notes.txt", server_id=5, uploader_id=1)
    finally:
        await app.close()
    assert await commands.vectors(config, "info") == 0
    before = capsys.readouterr().out
    assert "points: " in before and "indexed vectors: " in before
    assert await commands.vectors(config, "optimize") == 0
    after = capsys.readouterr().out
    assert after.startswith("optimized in ")
    points = before.split("points: ")[1].split(",")[0]
    assert f"points: {points}" in after  # nothing lost
