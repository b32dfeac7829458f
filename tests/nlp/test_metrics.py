import pytest

from bot.nlp.metrics import chrf, rouge, sentence_chrf


def test_chrf_bounds_and_reference_value() -> None:
    assert chrf(["aynı metin"], ["aynı metin"]) == pytest.approx(100.0)
    assert chrf(["xyz"], ["abc"]) == 0.0
    hyps = ["Merhaba dünya, bugün hava güzel.", "Kedi masanın üstünde.", "Tamamen farklı bir şey"]
    refs = ["Merhaba dünya, bugün hava çok güzel.", "Kedi masanın altında uyuyor.", "Bambaşka"]
    # Values computed with sacrebleu 2.6 (corpus_chrf / sentence_chrf, default settings).
    assert chrf(hyps, refs) == pytest.approx(58.38296021316752)
    assert sentence_chrf(hyps[1], refs[1]) == pytest.approx(43.05191235299527)


def test_chrf_ranks_a_closer_translation_higher() -> None:
    ref = ["The cat sleeps on the sofa."]
    assert chrf(["The cat sleeps on the couch."], ref) > chrf(["A dog runs outside."], ref)


def test_rouge_by_hand() -> None:
    scores = rouge(["the cat sat"], ["the cat sat on the mat"])
    # unigrams: 3 matches, P=1, R=0.5 -> F1=2/3; bigrams: 2 matches, P=1, R=0.4 -> 4/7
    assert scores.rouge1 == pytest.approx(200 / 3)
    assert scores.rouge2 == pytest.approx(400 / 7)
    assert scores.rougeL == pytest.approx(200 / 3)
    assert rouge(["a b c"], ["c b a"]).rougeL == pytest.approx(100 / 3)


def test_rouge_is_turkish_aware() -> None:
    assert rouge(["İSTANBUL ILIK"], ["istanbul ılık"], lang="tr").rouge1 == pytest.approx(100.0)
