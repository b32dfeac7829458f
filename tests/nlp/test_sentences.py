from bot.nlp.sentences import sentence_spans, split_sentences


def test_turkish_abbreviations_do_not_end_sentences() -> None:
    text = (
        "Prof. Dr. Ayşe Yılmaz saat 10.30'da geldi. Toplantı 3. katta yapıldı. "
        "T.C. vatandaşları, öğrenciler vb. herkes katıldı. Örn. bu cümle tek parça. "
        "Doç. Dr. Ali Bey de oradaydı."
    )
    assert split_sentences(text, "tr") == [
        "Prof. Dr. Ayşe Yılmaz saat 10.30'da geldi.",
        "Toplantı 3. katta yapıldı.",
        "T.C. vatandaşları, öğrenciler vb. herkes katıldı.",
        "Örn. bu cümle tek parça.",
        "Doç. Dr. Ali Bey de oradaydı.",
    ]


def test_turkish_verbs_are_not_treated_as_abbreviations() -> None:
    # The bundled NLTK model lists "yaşındayım" and "idi" as abbreviations; they end sentences.
    text = "Ben 20 yaşındayım. Ali geldi. Hava güzel idi. Sonra eve döndük."
    assert len(split_sentences(text, "tr")) == 4


def test_quoted_question_followed_by_lowercase_stays_one_sentence() -> None:
    text = "“Geliyor musun?” diye sordu. Evet dedim."
    assert split_sentences(text, "Türkçe") == ["“Geliyor musun?” diye sordu.", "Evet dedim."]


def test_english_and_german_abbreviations() -> None:
    assert split_sentences("Mr. Smith arrived, e.g. at noon. He left.", "en") == [
        "Mr. Smith arrived, e.g. at noon.",
        "He left.",
    ]
    assert split_sentences("Das ist z.B. ein Satz. Am 3. Oktober ist frei.", "de") == [
        "Das ist z.B. ein Satz.",
        "Am 3. Oktober ist frei.",
    ]


def test_chat_lines_are_boundaries_but_hard_wrapped_prose_is_not() -> None:
    chat = "hi all\nwho is coming tonight\nme"
    assert split_sentences(chat, "en") == ["hi all", "who is coming tonight", "me"]
    wrapped = (
        "This paragraph was pasted from an email client that wraps its lines\n"
        "at a fixed width, so the line breaks fall in the middle of sentences\n"
        "and must not split them. It ends here.\n\nA new paragraph."
    )
    sentences = split_sentences(wrapped, "en")
    assert len(sentences) == 3
    assert sentences[0].startswith("This paragraph") and sentences[0].endswith("split them.")


def test_language_is_detected_when_not_given_and_spans_point_into_the_text() -> None:
    text = "Bugün hava çok güzel. Yarın yağmur yağacakmış. Şemsiyeni unutma!"
    spans = sentence_spans(text)
    assert [text[a:b] for a, b in spans] == split_sentences(text, "tr")
    assert len(spans) == 3


def test_scripts_without_a_punkt_model() -> None:
    assert split_sentences("你好世界。你好吗？我很好！", "zh") == [
        "你好世界。",
        "你好吗？",
        "我很好！",
    ]
    assert len(split_sentences("مرحبا بالعالم. كيف حالك؟ أنا بخير!", "ar")) == 3


def test_empty_text_has_no_sentences() -> None:
    assert split_sentences("   \n ", "en") == []
