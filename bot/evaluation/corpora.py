"""Public evaluation data that installs offline from the package registry (never from a hub).

Each corpus is a pinned distribution, downloaded with pip on first use into the cache folder
and checked by sha256, then read in place (bot.evaluation.packaged_data):

- Django 5.2.19's translation catalogues (.po): human translations of its interface strings,
  parallel data for English <-> Turkish and English <-> German.
- sadedegel 0.21.2 (MIT): Turkish news with sentence-importance annotations; the reference
  summary is the 3 sentences annotators kept longest.
- BIG-bench 1.0.0's source distribution (Apache-2.0): Disfl-QA, reading comprehension
  questions people wrote about a Wikipedia paragraph (SQuAD 2.0), with a spoken disfluency.
  Where the index doesn't offer it, the documents task reads the community documents bundled
  in bot/evaluation/data (written for Sohbet, English and Turkish).

Shared by `sohbet eval` and the benches in bench/.
"""

from __future__ import annotations

import json
import random
import re
import zipfile
from dataclasses import dataclass
from importlib import resources
from typing import Any

from bot.evaluation.packaged_data import (
    DataUnavailable,
    Distribution,
    cache_dir,
    fetch,
    read_member,
)

__all__ = [
    "BIGBENCH",
    "DataUnavailable",
    "ReadingSet",
    "cache_dir",
    "community_reading",
    "disfl_qa",
    "po_pairs",
    "reading_set",
    "sadedegel_docs",
    "translation_set",
    "wheel",
]

WHEELS = {
    "django": Distribution(
        "django",
        "5.2.19",
        "5965d974a5218a2b68a11dd1276434707f23886525c23f0598eccedaf4f4ca00",
        kind="wheel",
        licence="BSD-3-Clause",
    ),
    "sadedegel": Distribution(
        "sadedegel",
        "0.21.2",
        "79cfb25423178c7381eb6fb1afcf31d576428bddf13a89e68e55a6f9278e7359",
        kind="wheel",
        licence="MIT",
    ),
    "aclsum": Distribution(
        "aclsum",
        "0.1.2",
        "c75ffc48d3eabc5f37c68ea087943780a85950087957759e89746f21111f2213",
        kind="wheel",
        licence="MIT",
    ),
}
# Its source distribution: the tasks' data isn't in any wheel. Only pip fetches it, so where the
# index doesn't offer 1.0.0 (some mirrors keep only 0.0.1) the documents task falls back to the
# reading set bundled with Sohbet (`reading_set`).
BIGBENCH = Distribution(
    "bigbench",
    "1.0.0",
    "1bb398a5512c6d798cdebe0dfa0ac03f67f6033fa6b39c6ef71df978c7cbc5c2",
    kind="sdist",
    licence="Apache-2.0",
)
DISFL_QA = "bigbench-1.0.0/bigbench/benchmark_tasks/disfl_qa/task.json"


def wheel(name: str) -> zipfile.ZipFile:
    """The pinned wheel of `name` (bot.evaluation.packaged_data fetches it with pip)."""
    return zipfile.ZipFile(fetch(WHEELS[name]))


def disfl_qa(*, answerable_only: bool = True) -> list[tuple[str, str, str]]:
    """(question, paragraph, answer span) from Disfl-QA; SQuAD's tokenised spacing undone.
    Unanswerable questions have the answer "unknown"."""
    examples = json.loads(read_member(BIGBENCH, DISFL_QA))["examples"]
    rows = []
    for example in examples:
        question, _, context = example["input"].partition("\ncontext:")
        answer = str(example["target"]).strip()
        if context.strip() and answer and not (answerable_only and answer == "unknown"):
            rows.append((detokenize(question), detokenize(context), detokenize(answer)))
    return rows


@dataclass(frozen=True)
class ReadingSet:
    """(question, paragraph, answer span) rows and where they came from, for the report."""

    name: str
    rows: list[tuple[str, str, str]]
    note: str = ""  # why this set and not the first choice


def community_reading() -> ReadingSet:
    """The reading set that ships inside Sohbet's own wheel (bot/evaluation/data)."""
    raw = resources.files("bot.evaluation").joinpath("data/community_reading.json").read_text()
    data = json.loads(raw)
    rows = [(i["question"], i["paragraph"], i["answer"]) for i in data["items"]]
    return ReadingSet(f"{data['name']}, {data['licence'].split(',')[0]}", rows)


def reading_set() -> ReadingSet:
    """Disfl-QA when pip can get BIG-bench 1.0.0, else the bundled community documents."""
    try:
        rows = disfl_qa()
    except DataUnavailable as exc:
        fallback = community_reading()
        return ReadingSet(fallback.name, fallback.rows, f"Disfl-QA unavailable: {exc}")
    return ReadingSet(f"Disfl-QA ({BIGBENCH.requirement}, {BIGBENCH.licence})", rows)


def detokenize(text: str) -> str:
    """Undo the tokenised spacing of SQuAD-derived text ("Earth ' s" -> "Earth's")."""
    text = re.sub(r"\s+([.,;:!?)\]'%])", r"\1", text.strip())
    text = re.sub(r"([(\[$])\s+", r"\1", text)
    return re.sub(r"\s+' s\b|' s\b", "'s", text).replace(" - ", "-").replace(" \u2212 ", "\u2212")


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
