import pytest

from bot.nlp.errors import EmptyText, InputTooLong, InvalidRequest
from bot.nlp.sentences import split_sentences
from plugins.summarize.engines import (
    ChatLine,
    ExtractiveSummarizer,
    Summarizer,
    build_summarizer,
    summarize_chat,
)
from tests.summarize.texts import ENGLISH_ARTICLE, TURKISH_ARTICLE


@pytest.mark.parametrize(("text", "lang"), [(TURKISH_ARTICLE, "tr"), (ENGLISH_ARTICLE, "en")])
async def test_summary_is_shorter_and_made_of_input_sentences(text: str, lang: str) -> None:
    summarizer = ExtractiveSummarizer()
    assert isinstance(summarizer, Summarizer)
    summary = await summarizer.summarize(text, max_sentences=3)
    picked = split_sentences(summary.text, lang)
    assert summary.engine == "extractive"
    assert len(picked) == 3
    assert len(summary.text) < len(text)
    originals = split_sentences(text, lang)
    assert all(sentence in originals for sentence in picked)
    assert [originals.index(s) for s in picked] == sorted(originals.index(s) for s in picked)


async def test_off_topic_sentences_are_left_out() -> None:
    summary = await ExtractiveSummarizer().summarize(TURKISH_ARTICLE, max_sentences=3, lang="tr")
    assert "kedisi" not in summary.text and "kahvaltıda" not in summary.text
    assert "İstanbul" in summary.text
    summary = await ExtractiveSummarizer().summarize(ENGLISH_ARTICLE, max_sentences=2)
    assert "fence" not in summary.text and "rained" not in summary.text


async def test_word_budget_is_respected() -> None:
    summary = await ExtractiveSummarizer().summarize(ENGLISH_ARTICLE, max_words=25)
    assert 0 < len(summary.text.split()) <= 25
    tiny = await ExtractiveSummarizer().summarize(ENGLISH_ARTICLE, max_words=5)
    assert len(tiny.text.split()) <= 6 and tiny.text.endswith("…")


async def test_default_length_and_bad_requests() -> None:
    summarizer = build_summarizer()
    summary = await summarizer.summarize(TURKISH_ARTICLE)
    assert len(split_sentences(summary.text, "tr")) == 3
    with pytest.raises(InvalidRequest):
        await summarizer.summarize(TURKISH_ARTICLE, max_sentences=0)
    with pytest.raises(EmptyText):
        await summarizer.summarize("  ")
    with pytest.raises(InputTooLong):
        await ExtractiveSummarizer(max_input_chars=50).summarize(TURKISH_ARTICLE)


async def test_channel_summary_picks_whole_messages_with_authors() -> None:
    lines = [
        ChatLine("ayse", "Yarınki toplantıyı saat üçe alalım mı?"),
        ChatLine("mehmet", "Saat üç bana uyar, toplantı odası da boş."),
        ChatLine("zeynep", "lol"),
        ChatLine("ayse", ""),
        ChatLine("can", "Toplantıda bütçe konusunu da konuşalım, saat üç iyi."),
        ChatLine("zeynep", "Kedim yine klavyenin üstünde uyuyor."),
        ChatLine("mehmet", "Tamam, toplantı yarın saat üçte, bütçe de gündemde."),
    ]
    summary = await summarize_chat(ExtractiveSummarizer(), lines, max_sentences=2)
    picked = summary.text.split("\n")
    assert len(picked) == 2
    transcript = {f"{line.author}: {line.text}" for line in lines}
    assert all(line in transcript for line in picked)
    assert not any("Kedim" in line or "lol" in line for line in picked)


def test_lead_bias_favours_the_opening_only_when_asked() -> None:
    import numpy as np

    from plugins.summarize.engines.extractive import lexrank_scores

    similarity = np.ones((4, 4)) - np.eye(4)  # every sentence equally central
    plain = lexrank_scores(similarity)
    biased = lexrank_scores(similarity, lead_bias=1.0)
    assert np.allclose(plain, 0.25)
    assert list(np.argsort(-biased)) == [0, 1, 2, 3]


def test_latest_within_keeps_the_newest_messages_that_fit() -> None:
    from plugins.summarize.engines import format_transcript, latest_within

    lines = [ChatLine(f"user{i}", f"message number {i}") for i in range(50)]
    kept = latest_within(lines, 200)
    assert kept[-1] == lines[-1] and kept == lines[-len(kept) :]
    assert len(format_transcript(kept)) <= 200 < len(format_transcript(lines[-len(kept) - 1 :]))
