"""Message catalogues: Sohbet's own and those plugins ship, loaded once per language.

A catalogue is a gettext folder, `<dir>/<locale>/LC_MESSAGES/<domain>.po`, compiled to `.mo`
by `make setup` (`pybabel compile`). A `.mo` older than its `.po` (or missing: a fresh clone
before `make setup`, a plugin that ships only `.po`) is compiled in memory from the `.po`, so a
running bot never shows a stale or absent translation.
"""

from __future__ import annotations

import io
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

__all__ = ["SOHBET_CATALOGUE", "Catalogue", "Catalogues"]

log = logging.getLogger(__name__)

SOHBET_DOMAIN = "sohbet"


@dataclass(frozen=True)
class Catalogue:
    """A gettext folder and its domain (a plugin's domain is usually its package name)."""

    directory: Path
    domain: str

    def po_path(self, locale: str) -> Path:
        return self.directory / locale / "LC_MESSAGES" / f"{self.domain}.po"

    def locales(self) -> set[str]:
        if not self.directory.is_dir():
            return set()
        return {
            child.name
            for child in self.directory.iterdir()
            if (child / "LC_MESSAGES" / f"{self.domain}.po").is_file()
            or (child / "LC_MESSAGES" / f"{self.domain}.mo").is_file()
        }

    def load(self, locale: str) -> Translations | None:
        po = self.po_path(locale)
        mo = po.with_suffix(".mo")
        try:
            if mo.is_file() and (not po.is_file() or mo.stat().st_mtime >= po.stat().st_mtime):
                with mo.open("rb") as file:
                    return Translations(file, domain=self.domain)
            if po.is_file():
                return _compile(po, locale, self.domain)
        except Exception:  # a broken catalogue costs its translations, never a reply
            log.exception("could not load the %s catalogue %s", locale, po)
        return None


SOHBET_CATALOGUE = Catalogue(Path(__file__).parent / "locale", SOHBET_DOMAIN)


def _compile(po: Path, locale: str, domain: str) -> Translations:
    with po.open("rb") as file:
        catalog = read_po(file, locale=locale, domain=domain)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)  # fuzzy entries are left out, as `pybabel compile` does
    buffer.seek(0)
    log.debug("compiled %s in memory (no current .mo beside it)", po)
    return Translations(buffer, domain=domain)


class Catalogues:
    """Every catalogue in use, merged per language: plugins' first (in the order they were
    added), Sohbet's last, so a plugin's own wording of a message wins over Sohbet's."""

    def __init__(self, base: Catalogue = SOHBET_CATALOGUE) -> None:
        self._catalogues: list[Catalogue] = [base]
        self._merged: dict[str, NullTranslations] = {}
        self._lock = threading.Lock()

    def add(self, catalogue: Catalogue) -> None:
        with self._lock:
            if catalogue not in self._catalogues:
                self._catalogues.insert(len(self._catalogues) - 1, catalogue)
                self._merged.clear()

    def locales(self) -> set[str]:
        found: set[str] = set()
        for catalogue in self._catalogues:
            found |= catalogue.locales()
        return found

    def translations(self, locale: str) -> NullTranslations:
        merged = self._merged.get(locale)
        if merged is not None:
            return merged
        with self._lock:
            merged = self._merged.get(locale)
            if merged is None:
                merged = self._merge(locale)
                self._merged[locale] = merged
        return merged

    def _merge(self, locale: str) -> NullTranslations:
        merged: NullTranslations = NullTranslations()
        for catalogue in self._catalogues:
            loaded = catalogue.load(locale)
            if loaded is None:
                continue
            if isinstance(merged, Translations):
                merged.add_fallback(loaded)  # later catalogues answer what earlier ones lack
            else:
                merged = loaded
        return merged
