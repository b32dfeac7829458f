import pytest

from bot.nlp.chunking import chunk_texts, reassemble, segment_text

TEXT = (
    "Merhaba <@123>! Nasılsın? Bugün hava çok güzel.\n\n"
    "- Birinci madde burada.\n"
    "- İkinci madde.\n"
    "```py\nprint('kod. Bu cümle değil.')\n```\n"
    "Son cümle. " + "uzun " * 120 + "bitti."
)


@pytest.mark.parametrize("merge", [False, True])
def test_segments_are_lossless_and_bounded(merge: bool) -> None:
    segments = segment_text(TEXT, "tr", max_chars=120, merge=merge)
    assert "".join(s.text for s in segments) == TEXT
    assert all(len(s.text) <= 120 for s in segments if s.process)


def test_sentences_are_units_and_markers_and_code_pass_through() -> None:
    chunks = chunk_texts(segment_text(TEXT, "tr", max_chars=400))
    assert chunks[:5] == [
        "Merhaba <@123>!",
        "Nasılsın?",
        "Bugün hava çok güzel.",
        "Birinci madde burada.",
        "İkinci madde.",
    ]
    assert not any("print" in chunk for chunk in chunks)


def test_merge_packs_paragraphs_but_never_crosses_code() -> None:
    chunks = chunk_texts(segment_text(TEXT, "tr", max_chars=2000, merge=True))
    assert chunks[0].startswith("Merhaba") and chunks[0].endswith("İkinci madde.")
    assert "\n- İkinci" in chunks[0]  # formatting travels with the chunk
    assert chunks[1].startswith("Son cümle.")
    assert len(chunks) == 2


def test_reassemble_keeps_order_and_rejects_wrong_counts() -> None:
    segments = segment_text(TEXT, "tr", max_chars=120)
    chunks = chunk_texts(segments)
    out = reassemble(segments, [f"[{i}]" for i in range(len(chunks))])
    positions = [out.index(f"[{i}]") for i in range(len(chunks))]
    assert positions == sorted(positions)
    assert "```py\nprint('kod. Bu cümle değil.')\n```" in out
    with pytest.raises(ValueError):
        reassemble(segments, ["only one"])
