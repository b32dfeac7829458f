"""`make messages`: collect every user-facing text into the catalogues.

    python -m tools.messages            # update bot/i18n/locale/sohbet.pot and each .po
    python -m tools.messages --check    # exit 1 when a .po lacks a text (CI-friendly)

Texts come from two places: calls of `_`, `ngettext`, `pgettext` and `N_` in bot/ and
plugins/ (and `{{ _("...") }}` in the dashboard's templates), found by Babel's extractors; and
the declarations of the bundled plugins (descriptions, command names, options, choices,
settings; bot.core.declared), which are English text on the plugin classes. New msgids land in
every .po untranslated: write their translations by hand (tests/i18n fails until Turkish has
them), then `make setup` compiles.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po, write_po

from bot.core.declared import declared_messages
from bot.core.language import CorePlugin
from bot.core.registry import PluginRegistry
from bot.i18n.catalogues import SOHBET_CATALOGUE

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("bot", "plugins")
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]


def source_messages(root: Path = ROOT) -> Iterable[tuple[str | tuple[str, ...], str | None, str]]:
    """(msgid or (singular, plural), context, "file:line") of every marked text."""
    for folder in SOURCES:
        for filename, lineno, message, _comments, context in extract_from_dir(
            root / folder,
            METHODS,
            keywords=DEFAULT_KEYWORDS,
            options_map={"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}},
        ):
            yield message, context, f"{folder}/{filename}:{lineno}"


def bundled_plugins() -> list[type]:
    registry = PluginRegistry.discover()
    return [CorePlugin, *(type(p) for p in registry.plugins.values())]


def template(root: Path = ROOT) -> Catalog:
    """The .pot: every text, English, with where it comes from."""
    catalog = Catalog(
        project="Sohbet",
        msgid_bugs_address="",
        creation_date=datetime(2026, 1, 1),  # fixed: the .pot changes only when texts do
        fuzzy=False,
    )
    for message, context, where in source_messages(root):
        if isinstance(message, tuple):
            message = message[:2]
        if not message or (isinstance(message, tuple) and not all(message)):
            continue
        path, line = where.rsplit(":", 1)
        catalog.add(message, locations=[(path, int(line))], context=context)
    for declared in declared_messages(bundled_plugins()):
        catalog.add(declared.msgid, context=declared.context, auto_comments=[declared.where])
    return catalog


def update(pot: Catalog, check: bool = False) -> list[str]:
    """Bring every language's .po up to the template; returns the msgids a .po lacked."""
    lacking: list[str] = []
    for locale in sorted(SOHBET_CATALOGUE.locales()):
        po_path = SOHBET_CATALOGUE.po_path(locale)
        with po_path.open("rb") as file:
            catalog = read_po(file, locale=locale)
        for message in pot:
            if message.id and catalog.get(message.id, message.context) is None:
                lacking.append(f"{locale}: {message.id!r}")
        if check:
            continue
        catalog.update(pot, no_fuzzy_matching=True, update_header_comment=False)
        with po_path.open("wb") as file:
            write_po(file, catalog, width=100, omit_header=False, include_previous=False)
    return lacking


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report texts a .po lacks")
    args = parser.parse_args(argv)
    pot = template()
    if not args.check:
        with (SOHBET_CATALOGUE.directory / "sohbet.pot").open("wb") as file:
            write_po(file, pot, width=100)
    lacking = update(pot, check=args.check)
    for entry in lacking:
        print(("missing " if args.check else "new ") + entry)
    return 1 if args.check and lacking else 0


if __name__ == "__main__":
    sys.exit(main())
