import pytest

from bot.nlp.errors import UnknownLanguage
from bot.nlp.languages import flores_code, language_name, normalize_language


@pytest.mark.parametrize(
    ("given", "code"),
    [
        ("tr", "tr"),
        ("TR", "tr"),
        ("Turkish", "tr"),
        ("türkçe", "tr"),
        ("TÜRKÇE", "tr"),
        ("Turkce", "tr"),
        ("tur", "tr"),
        ("de", "de"),
        ("German", "de"),
        ("Deutsch", "de"),
        ("Almanca", "de"),
        ("ger", "de"),
        ("İngilizce", "en"),
        ("ingilizceye", "en"),
        ("Fransızca'ya", "fr"),
        ("français", "fr"),
        ("en-US", "en"),
        ("pt_BR", "pt"),
        ("zh-Hant", "zh"),
        ("tur_Latn", "tr"),
        ("  spanish language ", "es"),
        ("日本語", "ja"),
        ("Русский", "ru"),
    ],
)
def test_normalize_language_accepts_codes_and_names(given: str, code: str) -> None:
    assert normalize_language(given) == code


@pytest.mark.parametrize("given", ["klingon", "xx", "", "   ", "123"])
def test_unknown_language_is_a_friendly_error(given: str) -> None:
    with pytest.raises(UnknownLanguage) as info:
        normalize_language(given)
    message = info.value.user_message
    assert "`tr`" in message and "Türkçe" in message  # tells how to specify a language


def test_unknown_language_suggests_a_close_name() -> None:
    with pytest.raises(UnknownLanguage) as info:
        normalize_language("Germn")
    assert info.value.suggestion == "German"
    assert "Did you mean `German`?" in info.value.user_message


def test_names_and_flores_codes() -> None:
    assert language_name("tr") == "Turkish"
    assert language_name("tr", native=True) == "Türkçe"
    assert language_name("ceb") == "ceb"  # outside the table: returned unchanged
    assert flores_code("de") == "deu_Latn"
    assert flores_code("zz") is None
