"""The catalogues are kept complete: every text Sohbet says (marked in code with `_()` and
friends, or declared by a bundled plugin: descriptions, command names, options, choices,
settings) has a Turkish entry, and every translation keeps its English text's placeholders."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from bot.i18n import placeholders
from bot.i18n.catalogues import SOHBET_CATALOGUE
from tools.messages import ROOT, template

LANGUAGES = sorted(SOHBET_CATALOGUE.locales())


@pytest.fixture(scope="module")
def pot() -> Catalog:
    return template()


def _po(locale: str) -> Catalog:
    with SOHBET_CATALOGUE.po_path(locale).open("rb") as file:
        return read_po(file, locale=locale)


def _forms(value: str | tuple[str, ...]) -> tuple[str, ...]:
    return value if isinstance(value, tuple) else (value,)


def test_turkish_and_german_catalogues_exist() -> None:
    assert {"tr", "de"} <= set(LANGUAGES)


def test_every_message_has_a_turkish_entry(pot: Catalog) -> None:
    turkish = _po("tr")
    missing = []
    for message in pot:
        if not message.id:
            continue
        entry = turkish.get(message.id, message.context)
        if entry is None or entry.fuzzy or not all(_forms(entry.string)):
            missing.append(f"{message.context or ''}|{message.id!r} ({message.locations or message.auto_comments})")
    assert not missing, f"{len(missing)} texts have no Turkish (run `make messages`, then translate them):\n" + "\n".join(missing)


@pytest.mark.parametrize("locale", LANGUAGES)
def test_translations_keep_the_placeholders(locale: str) -> None:
    wrong = []
    for entry in _po(locale):
        if not entry.id or entry.fuzzy:
            continue
        ids = _forms(entry.id)
        wanted = set().union(*(placeholders(i) for i in ids))
        both = set.intersection(*(placeholders(i) for i in ids))
        for form in _forms(entry.string):
            if not form:
                continue
            found = placeholders(form)
            # A plural form may leave out the count ("one document"), nothing else.
            if not (both <= found <= wanted) or "<malformed>" in found:
                wrong.append(f"{entry.id!r}: {sorted(found)} instead of {sorted(wanted)}")
    assert not wrong, "\n".join(wrong)


def test_placeholders_are_read_like_str_format() -> None:
    assert placeholders("Deleted **{name}** and its {n:,} chunks.") == {"name", "n"}
    assert placeholders("no {{braces}} here") == set()
    assert "<malformed>" in placeholders("a { broken")


def _modules_using_gettext() -> list[Path]:
    files = []
    for folder in ("bot", "plugins"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if "from bot.i18n import" in text and "_" in text:
                files.append(path)
    return files


def test_no_function_hides_gettext_behind_a_local_underscore() -> None:
    """`kind, _ = ...` in a function makes every `_()` of that function fail."""
    offenders = []
    for path in _modules_using_gettext():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = any(
            isinstance(node, ast.ImportFrom)
            and node.module == "bot.i18n"
            and any(alias.name == "_" and alias.asname is None for alias in node.names)
            for node in tree.body
        )
        if not imported:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and node.id == "_" and isinstance(node.ctx, ast.Store):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not offenders, "assigns `_` where `_()` translates: " + ", ".join(offenders)


@pytest.mark.parametrize("locale", LANGUAGES)
def test_command_names_follow_discords_rules_and_share_group_names(locale: str) -> None:
    """Every bundled command's translated name: one valid word per level (group, subgroup,
    command), and one name per group (Discord has a single localization per group)."""
    from bot.core.declared import COMMAND
    from bot.platforms.discord.localize import valid_command_name, valid_menu_name
    from tools.messages import bundled_plugins

    catalog = _po(locale)
    groups: dict[str, set[str]] = {}
    wrong = []
    for plugin in bundled_plugins():
        for spec in plugin.commands():
            entry = catalog.get(spec.name, COMMAND)
            if entry is None or not entry.string:
                continue  # completeness is checked above (Turkish); German may lack it
            if spec.kind == "message":
                if not valid_menu_name(entry.string):
                    wrong.append(f"{spec.name!r} -> {entry.string!r}")
                continue
            words, english = entry.string.split(), spec.name.split()
            if len(words) != len(english) or not all(map(valid_command_name, words)):
                wrong.append(f"{spec.name!r} -> {entry.string!r}")
                continue
            for depth in range(1, len(english)):
                groups.setdefault(" ".join(english[:depth]), set()).add(" ".join(words[:depth]))
    wrong += [f"group {g!r} -> {sorted(t)}" for g, t in groups.items() if len(t) > 1]
    assert not wrong, "\n".join(wrong)
