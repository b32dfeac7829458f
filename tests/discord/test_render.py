"""The splitter: 2000-character messages, whole words, code fences closed and reopened."""

from __future__ import annotations

import itertools
import random

import pytest

from bot.platforms.discord.render import MAX_MESSAGE_LENGTH, split_message


def _fences_balanced(chunk: str) -> bool:
    return chunk.count("```") % 2 == 0


def test_short_and_empty_text():
    assert split_message("hello") == ["hello"]
    assert split_message("") == []
    assert split_message("   \n  ") == []


def test_prefers_line_breaks_and_keeps_words_whole():
    text = "\n".join(f"Sentence number {i} is here." for i in range(300))
    chunks = split_message(text)
    assert len(chunks) > 1
    assert all(len(c) <= MAX_MESSAGE_LENGTH for c in chunks)
    assert "\n".join(chunks) == text  # split exactly at line breaks


def test_a_long_line_is_split_at_spaces():
    text = " ".join(f"word{i}" for i in range(1000))
    chunks = split_message(text)
    assert all(len(c) <= MAX_MESSAGE_LENGTH for c in chunks)
    assert " ".join(chunks).split() == text.split()
    for left, right in itertools.pairwise(chunks):
        assert left[-1] != " " and right[0] != " "


def test_a_giant_word_is_cut_hard():
    chunks = split_message("x" * 4500)
    assert "".join(chunks) == "x" * 4500
    assert all(len(c) <= MAX_MESSAGE_LENGTH for c in chunks)


def test_code_fences_are_closed_and_reopened_with_their_language():
    code = "\n".join(f"    value_{i} = compute({i})" for i in range(200))
    text = "Intro.\n```python\n" + code + "\n```\nOutro."
    chunks = split_message(text)
    assert len(chunks) >= 3
    for chunk in chunks:
        assert len(chunk) <= MAX_MESSAGE_LENGTH
        assert _fences_balanced(chunk)
    assert chunks[0].startswith("Intro.\n```python\n") and chunks[0].endswith("\n```")
    for middle in chunks[1:-1]:
        assert middle.startswith("```python\n") and middle.endswith("\n```")
    assert chunks[-1].endswith("```\nOutro.")
    body = [line for c in chunks for line in c.split("\n") if line.startswith("    value_")]
    assert body == code.split("\n")  # every code line exactly once, never cut


def test_fence_without_language_and_unclosed_fence():
    text = "```\n" + "\n".join("x = 1" for _ in range(500))  # never closed (a partial stream)
    chunks = split_message(text)
    assert all(c.startswith("```\n") and c.endswith("\n```") for c in chunks)
    assert all(_fences_balanced(c) for c in chunks)


def test_inline_fences_on_one_line_do_not_open_a_block():
    text = "Use ```ls -la``` to list. " * 200
    chunks = split_message(text)
    assert all(len(c) <= MAX_MESSAGE_LENGTH for c in chunks)
    assert not any(c.startswith("```\n") for c in chunks[1:])


@pytest.mark.parametrize("seed", range(20))
def test_random_markdown_always_fits(seed: int):
    rng = random.Random(seed)
    parts = []
    for _ in range(rng.randint(5, 60)):
        kind = rng.random()
        if kind < 0.2:
            lang = rng.choice(["", "python", "js", "rust"])
            lines = [
                " ".join(rng.choice(["a", "bb", "ccc", "dddd"]) for _ in range(rng.randint(0, 40)))
                for _ in range(rng.randint(1, 80))
            ]
            parts.append(f"```{lang}\n" + "\n".join(lines) + "\n```")
        elif kind < 0.3:
            parts.append("y" * rng.randint(1, 3000))
        else:
            parts.append(" ".join("lorem" for _ in range(rng.randint(1, 500))))
    text = "\n".join(parts)
    chunks = split_message(text)
    assert chunks
    for chunk in chunks:
        assert 0 < len(chunk) <= MAX_MESSAGE_LENGTH
        assert _fences_balanced(chunk)
    stripped = [w for c in chunks for w in c.split() if not w.startswith("```")]
    original = [w for w in text.split() if not w.startswith("```")]
    assert "".join(stripped) == "".join(original)  # nothing lost or duplicated
