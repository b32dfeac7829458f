from pathlib import Path

import pytest

from bot.nlp.errors import EngineUnavailable
from plugins.summarize.engines import Seq2SeqSummarizer, build_summarizer
from tests.summarize.texts import ENGLISH_ARTICLE


@pytest.fixture(scope="module")
def t5(t5_dir: Path) -> Seq2SeqSummarizer:
    summarizer = Seq2SeqSummarizer(t5_dir, chunk_tokens=64, num_beams=1)
    summarizer.load_sync()
    return summarizer


async def test_t5_summary_runs_with_prefix_and_length_cap(t5: Seq2SeqSummarizer) -> None:
    summary = await t5.summarize(ENGLISH_ARTICLE, max_words=10)
    assert t5.prefix == "summarize: "
    assert summary.engine.startswith("seq2seq:")
    assert 0 < len(summary.text.split()) <= 11  # 10 words and the cut mark at most


async def test_long_input_is_chunked_within_the_token_budget(t5: Seq2SeqSummarizer) -> None:
    chunks = t5._chunks(ENGLISH_ARTICLE * 3, "en")
    assert len(chunks) > 1
    assert all(t5.count_tokens("summarize: " + c) <= 64 for c in chunks)
    assert "".join(chunks).replace(" ", "") == (ENGLISH_ARTICLE * 3).replace(" ", "")


async def test_missing_model_falls_back_to_extractive(tmp_path: Path) -> None:
    with pytest.raises(EngineUnavailable):
        await Seq2SeqSummarizer(tmp_path / "missing").summarize(ENGLISH_ARTICLE)
    summarizer = build_summarizer("seq2seq", seq2seq_model=str(tmp_path / "missing"))
    summary = await summarizer.summarize(ENGLISH_ARTICLE, max_sentences=2)
    assert summary.engine == "extractive"
