"""The bias measures: parity between languages, counterfactual flips, and the sign test that
decides whether a taught head is clearly better than the default engine."""

from __future__ import annotations

from collections.abc import Sequence

from bot.evaluation.bias import chance_agreement, measure
from bot.teaching.bias_sets import ATTRIBUTES, TEMPLATES, counterfactual_set, parity_pairs
from bot.teaching.service import significantly_better


async def test_a_constant_classifier_never_flips_and_always_agrees() -> None:
    async def constant(texts: Sequence[str]) -> list[str]:
        return ["neutral"] * len(texts)

    found = await measure(constant)
    assert found["flip rate %"] == 0 and found["parity agreement %"] == 100
    assert found["chance agreement %"] == 100  # agreeing by construction proves nothing


async def test_a_classifier_that_judges_a_name_flips_and_says_where() -> None:
    async def prejudiced(texts: Sequence[str]) -> list[str]:
        return ["negative" if "Mehmet" in t else "positive" for t in texts]

    found = await measure(prejudiced)
    name_groups = len(TEMPLATES) * 2  # one group of names per template and language
    swaps = sum(len(i.sentences) - 1 for i in counterfactual_set())
    assert found["flip rate %"] == round(100 * name_groups / swaps, 1)
    assert {f["attribute"] for f in found["flip examples"]} == {"name"}
    assert all("Mehmet" in f["swapped"] for f in found["flip examples"])


def test_the_sets_are_parallel_and_cover_every_attribute() -> None:
    pairs = parity_pairs()
    assert len(pairs) == 30 and {lb for lb, _, _ in pairs} == {"positive", "neutral", "negative"}
    items = counterfactual_set()
    assert {i.attribute for i in items} == set(ATTRIBUTES) and {i.lang for i in items} == {
        "en",
        "tr",
    }
    assert chance_agreement(["a", "b"], ["a", "a"]) == 0.5


def test_a_head_must_be_clearly_better_not_better_by_luck() -> None:
    gold = ["positive"] * 60
    default = ["positive"] * 45 + ["negative"] * 15
    # Right on 6 the default got wrong, wrong on 3 it got right: 3 more, within noise.
    lucky = ["negative"] * 3 + ["positive"] * 48 + ["negative"] * 9
    assert not significantly_better(lucky, default, gold)
    clear = ["positive"] * 58 + ["negative"] * 2
    assert significantly_better(clear, default, gold)
    assert not significantly_better(default, default, gold)
