"""The neutral markup: command references per platform, members' text shown as typed, and
the model's answer shaped while it streams."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.platforms.discord.render import for_discord
from bot.platforms.telegram.render import render_html
from bot.shared.markup import ModelText, command_ref, literal, model_text, plain, render_commands
from tests.telegram.fakeapi import check_html

MARKDOWN_TEXT = st.lists(
    st.sampled_from([*"ab_*~|<>[]()#@`\\!:/.- \n12&", "https://x.io/a_b_", "**", "```"]),
    max_size=40,
).map("".join)


def test_a_command_reference_in_each_platforms_form() -> None:
    ref = command_ref("plugins config set", plugin="ai", key="model", value="fake:small one")
    assert for_discord(f"Use {ref}.") == (
        'Use `/plugins config set plugin:ai key:model value:"fake:small one"`.'
    )
    assert render_html(f"Use {ref}.") == (
        'Use /plugins_config_set <code>plugin=ai key=model value="fake:small one"</code>.'
    )
    assert plain(f"See {command_ref('docs list')}") == "See `/docs list`"
    # a member can't forge a reference: the characters that make one are dropped from text
    forged = literal("\x02plugins disable\x1fplugin\x1ehelp\x03")
    assert render_commands(forged) == "plugins disableplugin" + "help"


@settings(max_examples=300, deadline=None)
@given(MARKDOWN_TEXT)
def test_literal_text_shows_on_telegram_exactly_as_typed(text: str) -> None:
    rendered = render_html(literal(text))
    visible, problem = check_html(rendered)
    assert not problem, rendered
    assert visible == text, rendered
    assert "tg://" not in rendered and "<a " not in rendered
    assert plain(literal(text)) == text


@settings(max_examples=300, deadline=None)
@given(MARKDOWN_TEXT, st.lists(st.integers(min_value=1, max_value=7), min_size=1, max_size=30))
def test_a_streamed_answer_is_shaped_as_the_whole_one(text: str, sizes: list[int]) -> None:
    typed = ["say **stars** and <@42> [x](https://e.io) ||s||", text]
    answer = f"You said: {text} **stars** ok <@7> [x](https://e.io) **mine**"
    pieces, rest = [], answer
    for size in sizes * 20:
        if not rest:
            break
        pieces.append(rest[:size])
        rest = rest[size:]
    pieces.append(rest)
    shaper = ModelText(typed)
    streamed = "".join(shaper.feed(piece) for piece in pieces) + shaper.end()
    assert streamed == model_text(answer, typed)


def test_the_models_formatting_renders_and_copies_do_not() -> None:
    typed = ["what does **stars** do? ask <@42>"]
    answer = model_text("**stars** makes text bold; **Note:** ask <@42> or <#9>.", typed)
    assert answer == r"\*\*stars\*\* makes text bold; **Note:** ask \<@42> or \<#9>."
    assert render_html(answer) == (
        "**stars** makes text bold; <b>Note:</b> ask &lt;@42&gt; or &lt;#9&gt;."
    )
