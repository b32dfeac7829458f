"""A package index on loopback (PEP 503 simple pages over HTTP) that real `pip download` uses.

    with PackageIndex(folder) as index:      # files in `folder` are served as distributions
        index.use_in(monkeypatch)            # PIP_INDEX_URL to it, no config files, no cache
"""

from __future__ import annotations

import base64
import hashlib
import html
import os
import re
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

__all__ = ["PackageIndex", "build_wheel"]


def _project(filename: str) -> str:
    return re.sub(r"[-_.]+", "-", filename.split("-")[0]).lower()


class PackageIndex:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.requests: list[str] = []
        index = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                index.requests.append(self.path)
                parts = [p for p in self.path.split("/") if p]
                if len(parts) == 2 and parts[0] == "simple":
                    files = [f for f in sorted(index.folder.iterdir()) if _project(f.name) == parts[1]]
                    if not files:
                        return self._send(404, b"not found")
                    links = "".join(
                        f'<a href="/files/{html.escape(f.name)}#sha256='
                        f'{hashlib.sha256(f.read_bytes()).hexdigest()}">{html.escape(f.name)}</a>\n'
                        for f in files
                    )
                    return self._send(200, f"<html><body>{links}</body></html>".encode())
                if len(parts) == 2 and parts[0] == "files":
                    path = index.folder / parts[1]
                    if path.is_file():
                        return self._send(200, path.read_bytes(), "application/octet-stream")
                return self._send(404, b"not found")

            def _send(self, status: int, body: bytes, kind: str = "text/html") -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/simple/"

    def use_in(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Make `pip download` children use this index and nothing else (no config files,
        find-links folders or cache)."""
        for name in [n for n in os.environ if n.startswith("PIP_")]:
            monkeypatch.delenv(name)
        monkeypatch.setenv("PIP_INDEX_URL", self.url)
        monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
        monkeypatch.setenv("PIP_NO_CACHE_DIR", "1")
        monkeypatch.setenv("PIP_RETRIES", "0")

    def __enter__(self) -> PackageIndex:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def build_wheel(folder: Path, name: str, version: str, files: dict[str, bytes]) -> Path:
    """A valid pure-Python wheel holding `files` (pip reads its metadata when it downloads)."""
    dist = f"{name.replace('-', '_')}-{version}"
    path = folder / f"{dist}-py3-none-any.whl"
    entries = dict(files)
    entries[f"{dist}.dist-info/METADATA"] = (
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode()
    )
    entries[f"{dist}.dist-info/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    record = []
    for member, data in entries.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{member},sha256={digest},{len(data)}")
    entries[f"{dist}.dist-info/RECORD"] = ("\n".join([*record, f"{dist}.dist-info/RECORD,,"])).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for member, data in entries.items():
            archive.writestr(member, data)
    return path
