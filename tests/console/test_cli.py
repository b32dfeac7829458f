"""The `sohbet` command line as a user runs it: real subprocesses, piped stdin, exit codes.

All runs start together once per module (each takes ~1 s of interpreter start-up), then the
tests check their results. Cheaper paths of the same code run in-process in test_commands.py.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

UNREACHABLE = "postgresql+asyncpg://nobody:pw@127.0.0.1:1/x"
# Passwords written without percent-encoding: `/` ends a Redis URL's host part for urllib,
# `@` ends a database URL's password for SQLAlchemy. No piece of either may be printed.
SLASHED_BROKER = "redis://:first6/second7@127.0.0.1:6379/0"
AT_DATABASE = "postgresql://postgres:first6@second7@127.0.0.1:5432/postgres"
BROKER_COMMANDS = {"worker": ["worker"], "jobs": ["jobs", "status"], "doctor": ["doctor"]}
CHAT_INPUT = "\n".join(
    [
        "/ping",
        "/help",
        "/plugins config set plugin:help key:x value:1",
        "/plugins audit limit:0",
        "/nope",
        "hello there",
        "/plugins roles plugin:help roles:42",
        "/plugins audit",
        "/quit",
        "/ping",  # never read: /quit ended the session
    ]
)


@dataclass(frozen=True)
class Run:
    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def _sohbet() -> list[str]:
    script = Path(sys.executable).parent / "sohbet"
    if script.exists():
        return [str(script)]
    found = shutil.which("sohbet")
    return [found] if found else [sys.executable, "-m", "bot.cli"]


def _environment(home: Path, extra: dict[str, str]) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("SOHBET_") and k not in {"DISCORD_TOKEN", "OPENAI_API_KEY"}
    }
    env |= {
        "SOHBET_DATA_DIR": str(home / "data"),
        "SOHBET_CONFIG_FILE": str(home / "absent.toml"),
        "SOHBET_PLUGINS": "admin,help",  # the foundation only: no model loading here
        "HF_HUB_OFFLINE": "1",
        "PYTHONIOENCODING": "utf-8",
    }
    return env | extra


def _run(home: Path, args: Sequence[str], stdin: str = "", **extra: str) -> Run:
    home.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [*_sohbet(), *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=home,
        env=_environment(home, extra),
        timeout=120,
        check=False,
    )
    return Run(tuple(args), done.returncode, done.stdout, done.stderr)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    root = tmp_path_factory.mktemp("cli")

    def fresh_install() -> dict[str, Run]:  # one data folder, in order
        home = root / "fresh"
        return {"upgrade": _run(home, ["db", "upgrade"]), "doctor": _run(home, ["doctor"])}

    jobs = {
        "help": lambda: _run(root / "help", ["--help"]),
        "chat": lambda: _run(root / "chat", ["chat"], CHAT_INPUT),
        "plugins": lambda: _run(root / "plugins", ["plugins"], SOHBET_PLUGINS="help,admin,zzz"),
        "doctor_down": lambda: _run(root / "down", ["doctor"], SOHBET_DATABASE_URL=UNREACHABLE),
        "chat_down": lambda: _run(
            root / "down2", ["chat"], "/ping\n", SOHBET_DATABASE_URL=UNREACHABLE
        ),
    }
    jobs["export"] = lambda: _run(
        root / "export", ["chat"], "/privacy export\n/privacy export\n",
        SOHBET_PLUGINS="admin,help,privacy",
    )
    for name, args in BROKER_COMMANDS.items():
        jobs[f"broker_{name}"] = lambda args=args: _run(
            root / "broker", args, SOHBET_BROKER_URL=SLASHED_BROKER
        )
    jobs["broker_chat"] = lambda: _run(
        root / "broker", ["chat"], "/ping\n", SOHBET_BROKER_URL=SLASHED_BROKER
    )
    for name, args in {"db": ["db", "current"], "doctor": ["doctor"]}.items():
        jobs[f"at_{name}"] = lambda name=name, args=args: _run(
            root / f"at_{name}", args, SOHBET_DATABASE_URL=AT_DATABASE
        )
    results: dict[str, Run] = {}
    with ThreadPoolExecutor(max_workers=4) as pool:
        ordered = pool.submit(fresh_install)
        futures = {name: pool.submit(job) for name, job in jobs.items()}
        results |= {name: future.result() for name, future in futures.items()}
        results |= ordered.result()
    return results


def no_traceback(run: Run) -> None:
    assert "Traceback" not in run.output, run.output


def test_help(runs: dict[str, Run]) -> None:
    run = runs["help"]
    assert run.code == 0, run.output
    for sub in ("chat", "run", "plugins", "doctor", "db", "ingest"):
        assert sub in run.stdout


def test_chat_with_piped_input(runs: dict[str, Run]) -> None:
    run = runs["chat"]
    assert run.code == 0, run.output
    no_traceback(run)
    out = run.stdout
    assert "sohbet> Pong! Database answered in" in out
    assert "**What I can do**" in out
    assert "`x` is not a setting of `help`. Settings: none." in out
    assert "`limit` must be at least 1." in out
    assert "I don't know the command `/nope`." in out
    assert "no plugin answered" in out
    assert "`help` may now be used by: <@&42>." in out
    assert "plugin.roles `help`: `[]` → `[42]`" in out
    assert out.count("Pong!") == 1  # nothing after /quit
    assert "you>" not in out  # no prompt when stdin is not a terminal


def test_plugins_lists_installed_plugins(runs: dict[str, Run]) -> None:
    run = runs["plugins"]
    assert run.code == 0, run.output
    lines = run.stdout.splitlines()
    assert any(line.startswith("admin") and "enabled" in line for line in lines)
    assert any(line.startswith("help") and "enabled" in line for line in lines)
    assert "/plugins config set" in run.stdout and "/ping" in run.stdout
    assert any(line.startswith("zzz") and "BROKEN    not installed" in line for line in lines)


def test_db_upgrade_and_doctor(runs: dict[str, Run]) -> None:
    assert runs["upgrade"].code == 0 and "schema revision: 0004" in runs["upgrade"].stdout
    doctor = runs["doctor"]
    assert doctor.code == 0, doctor.output
    assert "[ok] database: reachable, schema at 0004" in doctor.stdout
    assert "[ok] data folder" in doctor.stdout
    assert doctor.stdout.rstrip().endswith("All good.")
    assert "[FAIL]" not in doctor.stdout


def test_doctor_with_unreachable_postgres(runs: dict[str, Run]) -> None:
    run = runs["doctor_down"]
    assert run.code == 1
    no_traceback(run)
    fail = [line for line in run.stdout.splitlines() if line.startswith("[FAIL]")]
    assert len(fail) == 1 and fail[0].startswith("[FAIL] database: unreachable (")
    assert "Connect call failed" in fail[0] or "refused" in fail[0].lower()
    assert "pw@" not in run.stdout  # the password is masked
    assert "1 problem(s) found." in run.stdout


def test_chat_with_the_database_down(runs: dict[str, Run]) -> None:
    run = runs["chat_down"]
    assert run.code == 1
    no_traceback(run)
    assert "is unreachable" in run.stderr and "sohbet doctor" in run.stderr
    assert "pw@" not in run.stderr


@pytest.mark.parametrize("command", [*BROKER_COMMANDS, "chat"])
def test_a_broker_password_with_a_slash(runs: dict[str, Run], command: str) -> None:
    run = runs[f"broker_{command}"]
    assert run.code == 2, run.output
    no_traceback(run)
    assert "first6" not in run.output and "second7" not in run.output
    assert "SOHBET_BROKER_URL: `redis://:***@127.0.0.1:6379/0` can't be read" in run.stderr
    assert "percent-encode the password: `/` as `%2F`" in run.stderr


@pytest.mark.parametrize("command", ["db", "doctor"])
def test_a_database_password_with_an_at_sign(runs: dict[str, Run], command: str) -> None:
    run = runs[f"at_{command}"]
    assert run.code == 1, run.output
    no_traceback(run)
    assert "first6" not in run.output and "second7" not in run.output
    assert "Name or service not known" not in run.output
    assert "`postgresql://postgres:***@127.0.0.1:5432/postgres` can't be used" in run.output
    assert "`@` as `%40`" in run.output


def test_files_the_console_is_sent_are_saved_in_the_data_folder(
    runs: dict[str, Run], tmp_path_factory: pytest.TempPathFactory
) -> None:
    run = runs["export"]
    assert run.code == 0, run.output
    saved = re.findall(r"sohbet> \[file saved: (\S+) \(([\d,]+) bytes\)\]", run.stdout)
    assert len(saved) == 2, run.stdout
    first, second = (Path(path) for path, _ in saved)
    assert first.name == "sohbet-data-1.json" and second.name == "sohbet-data-1-2.json"
    assert first.parent.name == "files" and first.parent.parent.name == "data"
    for path, size in saved:
        data = Path(path).read_bytes()
        assert len(data) == int(size.replace(",", ""))
        assert json.loads(data)["member_id"] == "1"
        assert Path(path).stat().st_mode & 0o777 == 0o600  # personal data: the owner only
