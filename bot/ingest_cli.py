"""`sohbet ingest PATH... --server ID`: add local files to a server's documents, with progress."""

from __future__ import annotations

from pathlib import Path

from tqdm import tqdm

from bot.app import App
from bot.core.errors import SohbetError
from bot.knowledge import Ingestor
from bot.providers import AIProviders

__all__ = ["ingest_paths"]


def _files(paths: list[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.is_file()))
        else:
            found.append(path)
    return found


async def ingest_paths(app: App, paths: list[Path], server_id: int, channel_id: int | None) -> int:
    """Ingest every file (folders recursively); returns 0 when all succeeded, else 1."""
    ai = app.services.get("ai", AIProviders)
    ingestor = Ingestor(app.store, await ai.vectors(), await ai.embedder())
    failures = 0
    for path in _files(paths):
        if not path.exists():
            print(f"✗ {path}: no such file")
            failures += 1
            continue
        bar = tqdm(total=1, desc=path.name[:30], unit="step", leave=False)

        def progress(
            stage: str, done: int, total: int, bar: tqdm = bar, name: str = path.name[:24]
        ) -> None:
            bar.set_description(f"{name} {stage}")
            bar.total = max(total, 1)
            bar.n = done
            bar.refresh()

        try:
            data = path.read_bytes()
            result = await ingestor.ingest(
                data,
                path.name,
                server_id=server_id,
                uploader_id=0,
                channel_id=channel_id,
                source_url=path.resolve().as_uri(),
                progress=progress,
            )
            bar.close()
            pages = f"{result.pages} page{'s' if result.pages != 1 else ''}"
            chunks = f"{result.chunks} chunk{'s' if result.chunks != 1 else ''}"
            print(f"✓ {path}: {pages}, {chunks}, {result.seconds:.1f} s")
        except SohbetError as exc:
            bar.close()
            print(f"✗ {path}: {exc.user_message}")
            failures += 1
    return 1 if failures else 0
