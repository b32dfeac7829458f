"""Public evaluation data that installs offline from the package registry (never from a hub).

Each corpus is a pinned wheel, downloaded with pip on first use into the cache folder and
checked by sha256, then read in place:

- Django 5.2.19's translation catalogues (.po): human translations of its interface strings,
  parallel data for English <-> Turkish and English <-> German.
- sadedegel 0.21.2 (MIT): Turkish news with sentence-importance annotations; the reference
  summary is the 3 sentences annotators kept longest.
- BIG-bench 1.0.0's source distribution (Apache-2.0): Disfl-QA, reading comprehension
  questions people wrote about a Wikipedia paragraph (SQuAD 2.0), with a spoken disfluency.

Shared by `sohbet eval` and the benches in bench/.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import subprocess
import sys
import tarfile
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

__all__ = [
    "cache_dir",
    "disfl_qa",
    "po_pairs",
    "sadedegel_docs",
    "sdist_member",
    "translation_set",
    "wheel",
]

WHEELS = {
    "django": ("5.2.19", "5965d974a5218a2b68a11dd1276434707f23886525c23f0598eccedaf4f4ca00"),
    "sadedegel": ("0.21.2", "79cfb25423178c7381eb6fb1afcf31d576428bddf13a89e68e55a6f9278e7359"),
    "aclsum": ("0.1.2", "c75ffc48d3eabc5f37c68ea087943780a85950087957759e89746f21111f2213"),
}


def cache_dir() -> Path:
    base = os.environ.get("SOHBET_CACHE_DIR") or os.path.join(Path.home(), ".cache", "sohbet")
    return Path(base) / "corpora"


def wheel(name: str) -> zipfile.ZipFile:
    """The pinned wheel of `name`, downloaded with pip on first use and checked by sha256."""
    version, sha256 = WHEELS[name]
    folder = cache_dir()
    path = folder / f"{name}-{version}-py3-none-any.whl"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
             "--quiet", "--dest", str(folder), f"{name}=={version}"],
            check=True,
        )  # fmt: skip
    digest = _sha256(path)
    if digest != sha256:
        raise RuntimeError(f"{path} has sha256 {digest}, expected {sha256}")
    return zipfile.ZipFile(path)


# Source distributions pip can't download without building them: fetched from PyPI's file
# host (the package registry) by their published address, checked by sha256.
SDISTS = {
    "bigbench": (
        "1.0.0",
        "https://files.pythonhosted.org/packages/95/f8/c019b3579df548a04cac12342cfcb878e50ddf6cf"
        "cd7fddba8cfc721c157/bigbench-1.0.0.tar.gz",
        "1bb398a5512c6d798cdebe0dfa0ac03f67f6033fa6b39c6ef71df978c7cbc5c2",
    ),
}
DISFL_QA = "bigbench-1.0.0/bigbench/benchmark_tasks/disfl_qa/task.json"


def sdist_member(name: str, member: str) -> Path:
    """One file of the pinned source distribution `name`, extracted once into the cache."""
    version, url, sha256 = SDISTS[name]
    folder = cache_dir()
    target = folder / name / member
    if target.exists():
        return target
    archive = folder / f"{name}-{version}.tar.gz"
    if not archive.exists():
        folder.mkdir(parents=True, exist_ok=True)
        partial = archive.with_suffix(".part")
        urllib.request.urlretrieve(url, partial)
        partial.rename(archive)
    digest = _sha256(archive)
    if digest != sha256:
        raise RuntimeError(f"{archive} has sha256 {digest}, expected {sha256}")
    with tarfile.open(archive) as tar:
        tar.extract(member, folder / name, filter="data")
    return target


def disfl_qa(*, answerable_only: bool = True) -> list[tuple[str, str, str]]:
    """(question, paragraph, answer span) from Disfl-QA; SQuAD's tokenised spacing undone.
    Unanswerable questions have the answer "unknown"."""
    examples = json.loads(sdist_member("bigbench", DISFL_QA).read_text())["examples"]
    rows = []
    for example in examples:
        question, _, context = example["input"].partition("\ncontext:")
        answer = str(example["target"]).strip()
        if context.strip() and answer and not (answerable_only and answer == "unknown"):
            rows.append((detokenize(question), detokenize(context), detokenize(answer)))
    return rows


def detokenize(text: str) -> str:
    """Undo the tokenised spacing of SQuAD-derived text ("Earth ' s" -> "Earth's")."""
    text = re.sub(r"\s+([.,;:!?)\]'%])", r"\1", text.strip())
    text = re.sub(r"([(\[$])\s+", r"\1", text)
    return re.sub(r"\s+' s\b|' s\b", "'s", text).replace(" - ", "-").replace(" \u2212 ", "\u2212")


def _sha256(path: Path) -> str:
    """Streamed: the BIG-bench archive is 358 MB."""
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def _unquote(block: str) -> str:
    parts = re.findall(r'"((?:[^"\\]|\\.)*)"', block)
    return "".join(parts).encode().decode("unicode_escape").encode("latin-1").decode("utf-8")


def po_pairs(locale: str) -> list[tuple[str, str]]:
    """(English msgid, translated msgstr) from every Django catalogue of `locale`."""
    archive = wheel("django")
    pairs = []
    for name in sorted(archive.namelist()):
        if not name.endswith(f"/locale/{locale}/LC_MESSAGES/django.po"):
            continue
        for block in archive.read(name).decode("utf-8").split("\n\n"):
            if "#, fuzzy" in block or "msgid_plural" in block or "msgctxt" in block:
                continue
            match = re.search(r'^msgid ((?:".*"\n?)+)msgstr ((?:".*"\n?)+)', block, re.M)
            if match:
                source, target = _unquote(match.group(1)), _unquote(match.group(2))
                if source and target:
                    pairs.append((source, target))
    return pairs


def translation_set(locale: str, size: int, seed: int = 0) -> list[tuple[str, str]]:
    """Sentence-like pairs: 4-40 words, no placeholders or markup (they'd favour copying)."""
    keep = [
        (s, t)
        for s, t in po_pairs(locale)
        if 4 <= len(s.split()) <= 40 and not re.search(r"[%{}<>\n]|\\", s + t)
    ]
    random.Random(seed).shuffle(keep)
    return keep[:size]


def sadedegel_docs() -> list[dict[str, Any]]:
    archive = wheel("sadedegel")
    docs = []
    for name in sorted(archive.namelist()):
        if name.startswith("sadedegel/dataset/annotated/") and name.endswith(".json"):
            sentences = json.loads(archive.read(name))["sentences"]
            docs.append({"name": name, "sentences": sentences})
    return docs
