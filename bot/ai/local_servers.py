"""Finding a local model server (Ollama, llama.cpp server) to use when no model is configured.

`sohbet chat` and `sohbet run` call `use_local_server` once at start: with the default provider
``auto`` and no model name or endpoint set, it asks each standard local port for the
OpenAI-compatible model list (``GET /v1/models``) with a short timeout. The first server that
answers with at least one model becomes the operator's default (``openai`` provider at that
endpoint) and is named in the log and in ``/ai status``; otherwise the bundled model runs in
process. Only loopback addresses (and the operator's ``SOHBET_MODEL_SERVER_URLS``, e.g. the
compose ``ollama`` service) are probed, and only at start: a request never waits on it.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import aiohttp

from bot.config import Config

__all__ = ["LOCAL_SERVERS", "LocalServer", "detect_local_server", "use_local_server"]

log = logging.getLogger(__name__)

# (name, OpenAI-compatible base URL), in order of preference when several answer.
LOCAL_SERVERS: tuple[tuple[str, str], ...] = (
    ("Ollama", "http://127.0.0.1:11434/v1"),
    ("llama.cpp server", "http://127.0.0.1:8080/v1"),
)
PROBE_TIMEOUT_S = 1.0


@dataclass(frozen=True)
class LocalServer:
    name: str
    base_url: str
    model: str  # the first model it lists


async def detect_local_server(
    candidates: tuple[tuple[str, str], ...] = LOCAL_SERVERS, timeout_s: float = PROBE_TIMEOUT_S
) -> LocalServer | None:
    """The first of `candidates` answering its model list within `timeout_s` with a model."""
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    async with aiohttp.ClientSession(timeout=timeout, trust_env=False) as session:
        found = await asyncio.gather(*(_probe(session, name, url) for name, url in candidates))
    return next((server for server in found if server is not None), None)


async def _probe(session: aiohttp.ClientSession, name: str, base_url: str) -> LocalServer | None:
    try:
        async with session.get(f"{base_url}/models") as response:
            if response.status != 200:
                log.debug("%s at %s: HTTP %s", name, base_url, response.status)
                return None
            body = await response.json(content_type=None)
    except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
        log.debug("no %s at %s (%s)", name, base_url, type(exc).__name__)
        return None
    models = body.get("data") if isinstance(body, dict) else None
    ids: list[str] = [
        m["id"] for m in models or [] if isinstance(m, dict) and isinstance(m.get("id"), str)
    ]
    ids = [i for i in ids if i.strip()]
    if not ids:
        log.info("%s at %s has no model yet; not using it", name, base_url)
        return None
    return LocalServer(name, base_url, ids[0])


def _server_name(url: str) -> str:
    """What a configured URL most likely is, by its standard port."""
    ports = {":11434": "Ollama", ":8080": "llama.cpp server"}
    return next((name for port, name in ports.items() if port in url), "model server")


async def use_local_server(
    config: Config,
    candidates: tuple[tuple[str, str], ...] = LOCAL_SERVERS,
    timeout_s: float = PROBE_TIMEOUT_S,
) -> Config:
    """`config` pointed at a local model server when nothing is configured and one answers."""
    if config.model_provider != "auto" or config.model_name or config.model_base_url:
        return config
    extra = [url.strip().rstrip("/") for url in config.model_server_urls.split(",")]
    named = tuple((_server_name(url), url) for url in extra if url)
    server = await detect_local_server(named + candidates, timeout_s)
    if server is None:
        log.info("no local model server answered; using the bundled model in process")
        return config
    log.info("using the %s at %s, model %s", server.name, server.base_url, server.model)
    return config.model_copy(
        update={
            "model_provider": "openai",
            "model_base_url": server.base_url,
            "model_name": server.model,
            "model_server": server.name,
        }
    )
