"""SOHBET_TORCH_THREADS: torch's thread count for local models, and its default."""

from __future__ import annotations

import logging
import os

import pytest

from bot.ai.local_engine import default_torch_threads, torch_threads_setting


@pytest.mark.parametrize(("cpus", "expected"), [(1, 1), (2, 1), (3, 1), (8, 4), (64, 32)])
def test_the_default_is_half_the_usable_cpus(
    monkeypatch: pytest.MonkeyPatch, cpus: int, expected: int
) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cpus)), raising=False)
    assert default_torch_threads() == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, 3), ("", 3), ("auto", 3), ("AUTO", 3), ("2", 2), (" 5 ", 5), ("0", None)],
)
def test_setting(monkeypatch: pytest.MonkeyPatch, value: str | None, expected: int | None) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(6)), raising=False)
    if value is None:
        monkeypatch.delenv("SOHBET_TORCH_THREADS", raising=False)
    else:
        monkeypatch.setenv("SOHBET_TORCH_THREADS", value)
    assert torch_threads_setting() == expected


def test_a_bad_value_falls_back_to_the_default(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    monkeypatch.setenv("SOHBET_TORCH_THREADS", "many")
    with caplog.at_level(logging.WARNING, logger="bot.ai.local_engine"):
        assert torch_threads_setting() == 1
    assert "not a number" in caplog.text
