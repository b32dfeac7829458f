import socket

import pytest

from bot.nlp.errors import LanguageNotDetected
from bot.nlp.langdetect import clean_for_detection, detect_language


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a connection (e.g. a model download) fails the test."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("language detection tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Hello everyone, the meeting starts at five o'clock today.", "en"),
        ("Merhaba arkadaşlar, toplantı bugün saat beşte başlıyor.", "tr"),
        ("Hallo zusammen, das Treffen beginnt heute um fünf Uhr.", "de"),
        ("Bonjour à tous, la réunion commence aujourd'hui à cinq heures.", "fr"),
        ("Hola a todos, la reunión empieza hoy a las cinco.", "es"),
        ("Всем привет, встреча начнётся сегодня в пять часов.", "ru"),
        ("Ciao a tutti, la riunione inizia oggi alle cinque.", "it"),
        ("こんにちは、会議は今日の五時に始まります。", "ja"),
        ("مرحبا بالجميع، يبدأ الاجتماع اليوم في الساعة الخامسة.", "ar"),
    ],
)
async def test_detects_common_languages_offline(no_network: None, text: str, code: str) -> None:
    detected = await detect_language(text)
    assert detected.code == code
    assert detected.reliable
    assert 0.5 <= detected.confidence <= 1.0


async def test_chat_noise_does_not_decide_the_language() -> None:
    text = (
        "<@123456789> ```python\nprint('hello world')\n``` "
        "https://example.com/a Bugün gelecek misin?"
    )
    assert "print" not in clean_for_detection(text)
    assert (await detect_language(text)).code == "tr"


@pytest.mark.parametrize("text", ["", "   ", "12345 !!!", "😀😀", "<@123> https://x.io"])
async def test_text_without_words_raises_a_friendly_error(text: str) -> None:
    with pytest.raises(LanguageNotDetected) as info:
        await detect_language(text)
    assert "language" in info.value.user_message


async def test_short_text_has_lower_confidence_than_a_sentence() -> None:
    short = await detect_language("ok")
    long = await detect_language("Okay, I will send you the document tomorrow morning.")
    assert short.confidence < long.confidence
