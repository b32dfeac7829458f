"""docs/architecture.md draws the layers of .importlinter, and every part of bot/ is in one.

`lint-imports` (in `make test`) checks the imports against the contract; these tests check that
the contract covers the whole tree and that the diagram newcomers read is the contract.
"""

from __future__ import annotations

import configparser
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONTRACT = ROOT / ".importlinter"
DOC = ROOT / "docs" / "architecture.md"


def contract_layers() -> list[str]:
    parser = configparser.ConfigParser()
    parser.read(CONTRACT)
    raw = parser["importlinter:contract:layers"]["layers"]
    return [line.strip() for line in raw.splitlines() if line.strip()]


def diagram_layers() -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    block = re.search(r"<!-- layers:.*?-->\n```text\n(.*?)```", text, re.S)
    assert block, "docs/architecture.md lost its layer diagram"
    # Each line: the layer (names joined by " | " or " : "), then its description; an indented
    # line continues the description above it.
    lines = block.group(1).splitlines()
    return [re.split(r"\s{2,}", line)[0] for line in lines if line and not line[0].isspace()]


def layer_members(layer: str) -> set[str]:
    return {name.strip() for name in re.split(r"[|:]", layer)}


def test_the_diagram_is_the_contract() -> None:
    assert diagram_layers() == contract_layers()


def test_every_part_of_bot_is_in_a_layer() -> None:
    named = set().union(*(layer_members(layer) for layer in contract_layers()))
    parts = {
        f"bot.{path.stem if path.is_file() else path.name}"
        for path in (ROOT / "bot").iterdir()
        if (path.suffix == ".py" and path.stem != "__init__")
        or (path.is_dir() and (path / "__init__.py").exists())
    }
    assert parts - named == set(), "add these to a layer in .importlinter and the diagram"


def test_every_package_folder_is_a_package() -> None:
    """A folder without __init__.py is a namespace package, which the contract can't see."""
    for top in ("bot", "plugins", "tools", "bench"):
        for folder in (ROOT / top).rglob("*"):
            if folder.is_dir() and any(folder.glob("*.py")):
                assert (folder / "__init__.py").exists(), f"{folder} has no __init__.py"


@pytest.mark.skipif(
    not (Path(sys.executable).parent / "lint-imports").exists(), reason="import-linter missing"
)
def test_a_broken_layer_fails_lint_imports(tmp_path: Path) -> None:
    """The contract bites: the store importing the core is reported."""
    copy = tmp_path / "contract.ini"
    text = CONTRACT.read_text()
    # Swap core and store: the real store -> core-free code now breaks "core above store".
    swapped = text.replace("    bot.core\n    bot.store\n", "    bot.store\n    bot.core\n")
    assert swapped != text
    copy.write_text(swapped)
    run = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache", str(copy)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 1
    assert "bot.core" in run.stdout and "BROKEN" in run.stdout
