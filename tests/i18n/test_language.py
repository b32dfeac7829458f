"""Which language Sohbet speaks, decided once: the member's app, else the server's
`core.language` setting, else English; and the console speaking it end to end."""

from __future__ import annotations

import io
import textwrap
from datetime import datetime
from pathlib import Path

import pytest

from bot.core.events import Author
from bot.core.registry import PluginRegistry
from bot.i18n import (
    _,
    current_locale,
    format_number,
    format_size,
    locale_from_accept_language,
    ngettext,
    normalize_locale,
    use_locale,
)
from bot.platforms.console import ConsoleAdapter
from plugins.admin import AdminPlugin
from plugins.help import HelpPlugin
from tests.conftest import AppFactory
from tests.core.helpers import RecordingResponder, call, here, member


def test_tags_from_platforms_are_normalized() -> None:
    assert normalize_locale("tr") == "tr"
    assert normalize_locale("tr-TR") == "tr"
    assert normalize_locale("en-US") == "en"
    assert normalize_locale("de_DE.UTF-8") == "de"
    assert normalize_locale("pt-BR") is None  # no catalogue: not chosen
    assert normalize_locale("") is None and normalize_locale(None) is None


def test_accept_language_picks_the_best_supported_language() -> None:
    assert locale_from_accept_language("tr-TR,tr;q=0.9,en-US;q=0.8,en;q=0.7") == "tr"
    assert locale_from_accept_language("fr-FR,fr;q=0.9,de;q=0.5,tr;q=0.4") == "de"
    assert locale_from_accept_language("en;q=0.2, tr;q=0.8") == "tr"
    assert locale_from_accept_language("fr, *") is None
    assert locale_from_accept_language(None) is None


def test_translation_follows_the_current_language_and_fills_placeholders() -> None:
    english = "I don't know the command `/{name}`. Try {help} to see what I can do."
    assert current_locale() == "en"
    assert _(english, name="zap", help="`/help`") == english.format(name="zap", help="`/help`")
    with use_locale("tr"):
        assert current_locale() == "tr"
        assert _(english, name="zap", help="`/help`") == (
            "`/zap` diye bir komut bilmiyorum. Neler yapabildiğimi görmek için `/help` yazın."
        )
        with use_locale("xx"):  # unknown: English
            assert _(english, name="zap", help="`/help`").startswith("I don't know")
    assert current_locale() == "en"


def test_plurals_and_numbers_follow_the_language() -> None:
    assert ngettext("{n} byte", "{n} bytes", 1) == "1 byte"
    assert format_size(12_500) == "12.5 KB"
    assert format_number(1234567.891, 1) == "1,234,567.9"
    with use_locale("tr"):
        assert ngettext("{n} byte", "{n} bytes", 1234) == "1.234 bayt"
        assert format_size(12_500) == "12,5 KB"
        assert format_number(1234567.891, 1) == "1.234.567,9"
    with use_locale("de"):
        assert format_number(0.5, 1) == "0,5"


async def test_member_app_language_then_server_setting_then_english(make_app: AppFactory) -> None:
    app = await make_app(HelpPlugin(), AdminPlugin())
    router = app.router
    assert "core" in app.registry.plugins  # Sohbet's own settings ride the registry
    assert await router.locale_for(member(), here()) == "en"
    await router.handle_command(
        call("plugins config set", member(admin=True), plugin="core", key="language", value="tr"),
        RecordingResponder(),
    )
    assert await router.locale_for(member(), here()) == "tr"
    german = Author(8, "anna", locale="de")
    assert await router.locale_for(german, here()) == "de"
    brazilian = Author(9, "joao", locale="pt-BR")  # no catalogue: the server's language
    assert await router.locale_for(brazilian, here()) == "tr"
    # Bad values are refused like any setting's.
    responder = RecordingResponder()
    await router.handle_command(
        call("plugins config set", member(admin=True), plugin="core", key="language", value="xx"),
        responder,
    )
    assert "language" in responder.texts[-1]
    assert await router.locale_for(member(), here()) == "tr"


async def test_database_down_still_answers_in_the_members_or_default_language(
    make_app: AppFactory,
) -> None:
    app = await make_app(HelpPlugin())
    await app.store.close()  # nothing to read the setting from
    assert await app.router.locale_for(member(), here()) == "en"
    assert await app.router.locale_for(Author(8, "ayşe", locale="tr"), here()) == "tr"


def _console(app, admin: bool = True) -> tuple[ConsoleAdapter, io.StringIO]:
    out = io.StringIO()
    return ConsoleAdapter(app.router, out=out, user_name="ayşe", admin=admin), out


async def test_console_in_turkish(make_app: AppFactory) -> None:
    app = await make_app(HelpPlugin(), AdminPlugin())
    console, out = _console(app)
    await console.handle_line("/plugins config set plugin:core key:language value:tr")
    assert "`core.language` is now `\"tr\"`" in out.getvalue() or "tr" in out.getvalue()
    out.truncate(0)
    out.seek(0)
    await console.handle_line("/help")
    text = out.getvalue()
    assert "**Neler yapabilirim**" in text
    assert "Bu sunucudaki eklentileri ve ayarlarını yönetin" in text  # admin's description
    assert "Sohbet etmek için benden bahsedin" in text
    out.truncate(0)
    out.seek(0)
    await console.handle_line("/nope")
    assert "`/nope` diye bir komut bilmiyorum" in out.getvalue()
    out.truncate(0)
    out.seek(0)
    await console.handle_line("/help command:help")
    assert "isteğe bağlı" in out.getvalue() and "metin" in out.getvalue()
    member_console, member_out = _console(app, admin=False)
    await member_console.handle_line("/plugins enable plugin:help")
    assert "**Sunucuyu Yönet** izni gerekiyor" in member_out.getvalue()


async def test_cooldown_refusal_in_turkish(make_app: AppFactory) -> None:
    from tests.core.demo_plugin import DemoPlugin

    app = await make_app(DemoPlugin(), AdminPlugin())
    await app.router.handle_command(
        call("plugins config set", member(admin=True), plugin="core", key="language", value="tr"),
        RecordingResponder(),
    )
    cooled = next(s for s in DemoPlugin.commands() if s.cooldown > 0)
    responder = RecordingResponder()
    for _attempt in range(2):
        await app.router.handle_command(call(cooled.name, **_required(cooled)), responder)
    assert "Biraz yavaşlayın" in responder.texts[-1]


def _required(spec) -> dict[str, object]:
    values = {"str": "x", "int": 1, "float": 1.0, "bool": True}
    return {o.name: values[o.kind] for o in spec.options if o.required}


def test_a_third_party_plugin_ships_its_own_catalogue(tmp_path: Path) -> None:
    """docs/plugins.md: a plugin's catalogue folder, found through the class attribute."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    from bot.core import Plugin, command
    from bot.core.declared import describe
    from bot.i18n import Catalogue

    catalog = Catalog(locale="tr", domain="sohbet_dice")
    catalog.add("Roll some dice", "Zar atın")
    catalog.add("{n} dice rolled", "{n} zar atıldı")
    po = tmp_path / "tr" / "LC_MESSAGES" / "sohbet_dice.po"
    po.parent.mkdir(parents=True)
    with po.open("wb") as file:
        write_po(file, catalog)

    class DicePlugin(Plugin):
        name = "dice"
        catalogue = Catalogue(tmp_path, "sohbet_dice")

        @command("roll", description="Roll some dice")
        async def roll(self, ctx) -> None:  # pragma: no cover - not run here
            return None

    PluginRegistry([DicePlugin()])  # registering adds its catalogue
    with use_locale("tr"):
        assert describe(DicePlugin.commands()[0].description) == "Zar atın"
        assert _("{n} dice rolled", n=3) == "3 zar atıldı"
        # Sohbet's own texts still come from Sohbet's catalogue.
        assert _("Mention me or reply to me to chat.").startswith("Sohbet etmek için")


def test_dates_follow_the_language() -> None:
    from bot.i18n import format_when

    moment = datetime(2026, 3, 14, 15, 9)
    assert format_when(moment.date(), "long") == "March 14, 2026"
    with use_locale("tr"):
        assert format_when(moment.date(), "long") == "14 Mart 2026"


@pytest.mark.parametrize("text", [textwrap.dedent("x")])
def test_placeholder_free_text_passes_through(text: str) -> None:
    assert _(text) == text


def test_document_refusals_are_written_in_the_language_of_whoever_reads_them() -> None:
    """Documents are read in a child process (or a Redis worker): the refusal crosses it as a
    template and is written in the uploader's language where it is shown."""
    import pickle

    from bot.documents.errors import MismatchedDocumentType, TooManyPages
    from bot.jobs.models import IngestRequest

    refused = pickle.loads(pickle.dumps(TooManyPages("kılavuz.pdf", 900, 500)))
    assert refused.user_message == (
        "`kılavuz.pdf` has more than 500 pages (it has 900). Split it into smaller files and "
        "upload those."
    )
    with use_locale("tr"):
        assert refused.user_message.startswith("`kılavuz.pdf` içinde 500 sayfa sınırından")
        mismatch = MismatchedDocumentType("notes.pdf", "pdf", "a ZIP archive")
    assert "bir ZIP arşivi" not in mismatch.user_message  # rendered when read, in English here
    with use_locale("tr"):
        assert "içeriği bir ZIP arşivi" in mismatch.user_message
        assert IngestRequest("x.txt", server_id=1, uploader_id=2).locale == "tr"
    assert IngestRequest.from_json({"filename": "x", "server_id": 1, "uploader_id": 2}).locale == "en"
