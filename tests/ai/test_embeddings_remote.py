"""RemoteEmbedder against a real loopback HTTP server speaking the OpenAI embeddings API."""

from __future__ import annotations

import base64
import json
import socket
import struct
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from bot.ai.embeddings_backends import EmbeddingError
from bot.ai.embeddings_remote import RemoteEmbedder, remote_model_name


class _Server:
    def __init__(self, dimension: int = 4, delay_s: float = 0.0) -> None:
        self.dimension = dimension
        self.delay_s = delay_s
        self.batches: list[int] = []


def _vector(text: str, dimension: int) -> list[float]:
    # Deterministic and text-dependent, so a mixed-up order would show.
    return [float((len(text) * (i + 1)) % 7) + 0.5 for i in range(dimension)]


def _handler(state: _Server) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            time.sleep(state.delay_s)
            texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
            state.batches.append(len(texts))
            data = []
            for i, text in enumerate(texts):
                vec = _vector(str(text), state.dimension)
                emb: Any = vec
                if body.get("encoding_format") == "base64":
                    emb = base64.b64encode(struct.pack(f"<{len(vec)}f", *vec)).decode()
                data.append({"object": "embedding", "index": i, "embedding": emb})
            out = json.dumps(
                {
                    "object": "list",
                    "data": data,
                    "model": body["model"],
                    "usage": {"prompt_tokens": 1, "total_tokens": 1},
                }
            ).encode()
            try:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout test)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def server() -> Iterator[tuple[_Server, str]]:
    state = _Server()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()
    httpd.server_close()


def test_setting_names_a_remote_model() -> None:
    assert remote_model_name("openai:nomic-embed-text") == "nomic-embed-text"
    assert remote_model_name("use-multilingual") is None
    assert remote_model_name("openai:") is None


async def test_batches_and_keeps_order(server: tuple[_Server, str]) -> None:
    state, url = server
    embedder = RemoteEmbedder("nomic-embed-text", base_url=url, dimension=4, batch_size=2)
    texts = ["a", "bbb", "cc", "dddd", "e"]
    vectors = await embedder.embed_documents(texts)
    assert vectors == [_vector(t, 4) for t in texts]  # halves: exact in float32
    assert state.batches == [2, 2, 1]
    assert await embedder.embed_query("cc") == pytest.approx(_vector("cc", 4))


async def test_wrong_dimension_is_one_clear_error(server: tuple[_Server, str]) -> None:
    _, url = server
    embedder = RemoteEmbedder("nomic-embed-text", base_url=url, dimension=768)
    with pytest.raises(EmbeddingError, match="4-d vectors, not the configured 768"):
        await embedder.embed_documents(["a"])


async def test_timeout_returns_nothing(server: tuple[_Server, str]) -> None:
    state, url = server
    state.delay_s = 1.0
    embedder = RemoteEmbedder("m", base_url=url, dimension=4, timeout_s=0.2, retries=0)
    with pytest.raises(EmbeddingError, match="nothing was written"):
        await embedder.embed_documents(["a", "b"])


async def test_server_down_is_one_clear_error() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    embedder = RemoteEmbedder("m", base_url=f"http://127.0.0.1:{port}/v1", dimension=4, retries=1)
    with pytest.raises(EmbeddingError, match="did not answer"):
        await embedder.embed_documents(["a"])


def test_needs_a_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOHBET_EMBEDDING_BASE_URL", raising=False)
    with pytest.raises(EmbeddingError, match="SOHBET_EMBEDDING_BASE_URL"):
        RemoteEmbedder("m", dimension=4)


async def test_the_bot_uses_the_server_it_is_configured_with(
    server: tuple[_Server, str],
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
    sqlite_template: Any,
) -> None:
    """SOHBET_EMBEDDING_MODEL=openai:NAME + base URL: uploads and /ask go through the server,
    into a collection of that embedder (name and dimension), never the default one."""
    from bot.app import build_app
    from bot.providers import AIProviders
    from plugins.docs import DocsPlugin
    from tests.docs.conftest import GARDEN_TEXT, SERVER_A, Member, config_on_disk

    state, url = server
    state.dimension = 6
    config = config_on_disk(
        tmp_path,
        monkeypatch,
        sqlite_template,
        model_provider="fake",
        model_name="Seven [1].",
        embedding_model="openai:nomic-embed-text",
        embedding_base_url=url,
    )
    app = await build_app(config, plugins=[DocsPlugin()])
    try:
        ai = app.services.get("ai", AIProviders)
        embedder = await ai.embedder()
        assert (embedder.name, embedder.dimension) == ("openai:nomic-embed-text", 6)
        alice = Member(app, 1, "alice", SERVER_A, 11, False)
        notes = tmp_path / "garden.txt"
        notes.write_text(GARDEN_TEXT)
        assert "✅ Added" in await alice.say(f"/docs upload file:{notes}")
        assert sum(state.batches) >= 2  # the probe and the document went to the server
        assert (config.data_dir / "vectors" / "sohbet_chunks_openai_nomic_embed_text_6").is_dir()
        assert "garden.txt" in await alice.say("/ask When does the community garden open?")
    finally:
        await app.close()
