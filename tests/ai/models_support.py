"""Helpers for the chat-model tests: a tiny Llama built from a config, a fake OpenAI server."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

CHATML = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
WORDS = (  # noqa: SIM905
    "hello world how are you the a sea sky blue red green cat dog runs jumps over under today "
    "tomorrow yes no maybe please thanks good bad small big tree river stone light"
).split()


def build_tiny_llama(folder: Path, *, max_positions: int = 512, seed: int = 0) -> Path:
    """A 2-layer, 32-wide Llama with random weights and a word-level tokenizer, saved offline.

    Word-level decoding puts a space between tokens, so the text streamer flushes a piece
    after every token: streaming tests see many chunks. Replies always use max_new_tokens.
    """
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "[UNK]"]
    vocab = {token: i for i, token in enumerate([*specials, "user", "assistant", "system", *WORDS])}
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core, eos_token="<|im_end|>", pad_token="<|endoftext|>", unk_token="[UNK]"
    )
    tokenizer.add_special_tokens({"additional_special_tokens": ["<|im_start|>"]})
    tokenizer.chat_template = CHATML
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=max_positions,
        bos_token_id=None,
        eos_token_id=vocab["<|im_end|>"],
        pad_token_id=vocab["<|endoftext|>"],
    )
    model = LlamaForCausalLM(config)
    # Random weights would end replies at a random moment: the tiny model never emits special
    # tokens, so every reply runs to max_new_tokens (predictable lengths for the tests).
    model.generation_config.suppress_tokens = [vocab[token] for token in specials]
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def free_port() -> int:
    """A localhost port nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


class _Handler(BaseHTTPRequestHandler):
    """Minimal /v1/chat/completions. The requested `model` name picks the behaviour."""

    server: _FakeOpenAIHTTPServer

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:
        """/v1/models, as Ollama and llama.cpp server list theirs (`models`, after `models_delay`)."""
        if self.path.rstrip("/") != "/v1/models":
            return self._error(404, "Not found.", "not_found")
        if self.server.models_delay:
            self.server.release.wait(timeout=self.server.models_delay)
        data = [{"id": name, "object": "model", "owned_by": "me"} for name in self.server.models]
        payload = json.dumps({"object": "list", "data": data}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
        self.server.requests.append(
            {
                "path": self.path,
                "body": body,
                "headers": {k.lower(): v for k, v in self.headers.items()},
            }
        )
        behaviour = body.get("model", "ok")
        if behaviour == "hang":
            self.server.release.wait(timeout=10)  # bounded: never outlives the test by much
            return self._error(503, "overloaded", "server_error")
        if behaviour == "unauthorized":
            return self._error(401, "Incorrect API key provided.", "invalid_api_key")
        if behaviour == "ratelimited":
            return self._error(429, "Rate limit reached.", "rate_limit_exceeded", retry_after="7")
        if behaviour == "too-long":
            return self._error(
                400,
                "This model's maximum context length is 8192 tokens. However, your messages "
                "resulted in 9000 tokens.",
                "context_length_exceeded",
            )
        if behaviour == "missing":
            return self._error(404, "The model `missing` does not exist.", "model_not_found")
        if behaviour == "broken":
            return self._error(500, "Internal error.", "server_error")
        return self._stream_ok(body)

    def _error(self, status: int, message: str, code: str, retry_after: str | None = None) -> None:
        payload = json.dumps(
            {"error": {"message": message, "type": "invalid_request_error", "code": code}}
        ).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        if retry_after:
            self.send_header("retry-after", retry_after)
        self.end_headers()
        self.wfile.write(payload)

    def _stream_ok(self, body: dict[str, Any]) -> None:
        pieces = ["Hello", " from", " the", " server."]
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.end_headers()
        base = {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "ok"}
        for piece in pieces:
            chunk = {**base, "choices": [{"index": 0, "delta": {"content": piece}}]}
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.flush()
            time.sleep(0.01)
        final = {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
        self.wfile.write(f"data: {json.dumps(final)}\n\n".encode())
        if body.get("stream_options", {}).get("include_usage"):
            usage = {
                **base,
                "choices": [],
                "usage": {"prompt_tokens": 11, "completion_tokens": 4, "total_tokens": 15},
            }
            self.wfile.write(f"data: {json.dumps(usage)}\n\n".encode())
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()


class _FakeOpenAIHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[dict[str, Any]] = []
        self.release = threading.Event()
        self.models: list[str] = ["ok"]  # what GET /v1/models lists
        self.models_delay = 0.0  # seconds before it answers (a slow or hung server)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


@contextmanager
def fake_openai_server() -> Iterator[_FakeOpenAIHTTPServer]:
    """An OpenAI-compatible server on 127.0.0.1 in a thread; stopped on exit."""
    server = _FakeOpenAIHTTPServer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
