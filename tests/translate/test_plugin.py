"""The translate plugin end to end: console line or context menu -> Router -> plugin -> engine.

The chat engine runs through the real `AIProviders` with the `fake` provider (LangChain's
fake chat model, deterministic) or a model that cannot load; the seq2seq engine loads a tiny
Marian model built from a config. Usage and budgets come from the real SQLite store.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.ai.models import DEFAULT_MODEL
from bot.app import App
from bot.config import Config
from bot.core.router import Cooldowns
from bot.nlp import normalize_language
from bot.platforms.console import CONSOLE_SERVER_ID, ConsoleAdapter
from plugins.admin import AdminPlugin
from plugins.ai import AIPlugin
from plugins.translate import TranslatePlugin, TranslateSettings
from plugins.translate.engines import Seq2SeqTranslator
from tests.core.helpers import SERVER, RecordingResponder, call, member, message

FAKE_REPLY = "Hello world, how are you?"
TURKISH = "Merhaba dünya, nasılsın?"
ENGLISH = "Hello there, how are you today?"
MISSING_MODEL = "/nonexistent/sohbet-test-model.gguf"  # loading it fails at once


class Console:
    """A console session (admin user 1 on server 1) whose replies can be read."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.out = io.StringIO()
        self.adapter = ConsoleAdapter(app.router, out=self.out, user_name="tester", admin=True)

    async def say(self, line: str) -> str:
        self.app.router.cooldowns = Cooldowns()  # /translate has a 2 s cooldown per member
        start = self.out.tell()
        await self.adapter.handle_line(line)
        return self.out.getvalue()[start:]

    async def set(self, key: str, value: Any, *, channel: bool = False) -> None:
        where = " channel:true" if channel else ""
        out = await self.say(f"/plugins config set plugin:translate key:{key} value:{value}{where}")
        assert f"`translate.{key}` is now" in out, out

    async def tokens(self) -> int:
        return await self.app.store.usage.tokens_today(CONSOLE_SERVER_ID)


@dataclass
class MenuResponder(RecordingResponder):
    sent_message_ids: list[int] = field(default_factory=list)


def with_model(config: Config, provider: str, name: str, **extra: Any) -> Config:
    return config.model_copy(update={"model_provider": provider, "model_name": name, **extra})


@pytest.fixture
async def app(make_app: Any, config: Config) -> App:
    """Translate, admin and ai plugins; the chat model always answers FAKE_REPLY."""
    app: App = await make_app(
        TranslatePlugin(), AdminPlugin(), AIPlugin(), config=with_model(config, "fake", FAKE_REPLY)
    )
    return app


@pytest.fixture
def console(app: App) -> Console:
    return Console(app)


@pytest.fixture
async def broken_model_console(make_app: Any, config: Config) -> Console:
    """The configured chat model can't be loaded: any model call fails."""
    app: App = await make_app(
        TranslatePlugin(), AdminPlugin(), config=with_model(config, "transformers", MISSING_MODEL)
    )
    return Console(app)


@pytest.fixture(scope="module")
def marian_reference(marian_dir: Path) -> Seq2SeqTranslator:
    """The tiny tr→en model, loaded outside the plugin, to compute expected outputs."""
    translator = Seq2SeqTranslator(marian_dir)
    translator.load_sync()
    return translator


@pytest.fixture
async def seq2seq_console(make_app: Any, config: Config, marian_dir: Path) -> Console:
    """engine=seq2seq with the tiny Marian model (on the operator's allow list)."""
    allowed = [str(marian_dir), str(marian_dir.parent / "missing-model")]
    app: App = await make_app(
        TranslatePlugin(),
        AdminPlugin(),
        AIPlugin(),
        config=with_model(config, "fake", FAKE_REPLY, allowed_models=allowed),
    )
    console = Console(app)
    await console.set("engine", "seq2seq")
    await console.set("seq2seq_model", str(marian_dir))
    return console


# ----- the chat engine -----------------------------------------------------------------------


async def test_turkish_is_detected_and_translated_into_english(console: Console) -> None:
    out = await console.say(f"/translate {TURKISH}")
    assert out == f"sohbet> 🌐 **Turkish (detected) → English**\n{FAKE_REPLY}\n"
    assert await console.tokens() > 0  # the call went through AIProviders: usage is recorded


async def test_languages_by_name_code_or_turkish_name(console: Console) -> None:
    # The fake model always answers in English: the names are understood (the refusal names
    # the language asked for), and an English answer is never shown as a translation.
    wrong = "didn't translate this into {} (it answered in English)"
    out = await console.say(f"/translate {ENGLISH} to:Türkçe")
    assert wrong.format("Turkish") in out and FAKE_REPLY not in out
    out = await console.say(f"/translate {ENGLISH} to:Almanca from:İngilizce")
    assert wrong.format("German") in out
    out = await console.say(f"/translate text:{TURKISH} to:fr from:tr")
    assert wrong.format("French") in out
    out = await console.say(f"/translate text:{TURKISH} to:İngilizce from:tr")
    assert "🌐 **Turkish → English**" in out and FAKE_REPLY in out


async def test_same_language_is_answered_without_a_model_call(
    broken_model_console: Console,
) -> None:
    console = broken_model_console  # a model call would fail, so these prove there was none
    out = await console.say(f"/translate {ENGLISH}")
    assert out.startswith("sohbet> (only you) That text is already in English")
    out = await console.say("/translate Bugün hava çok güzel, parka gidelim mi? to:Turkish")
    assert "already in Turkish" in out
    out = await console.say("/translate text:Guten Morgen to:de from:Almanca")
    assert "both German: there is nothing to translate" in out
    assert await console.tokens() == 0
    # A text that does need the model gets the model's own clear message.
    out = await console.say(f"/translate {TURKISH}")
    assert "(only you)" in out and "The configured AI model could not be found" in out


async def test_unknown_or_undetectable_languages_get_friendly_errors(console: Console) -> None:
    out = await console.say(f"/translate {TURKISH} to:klingon")
    assert out.startswith("sohbet> (only you) I don't know the language “klingon”.")
    for example in ("`tr`", "`Turkish`", "`Türkçe`"):
        assert example in out
    out = await console.say(f"/translate {TURKISH} to:Turksh")
    assert "Did you mean `Turkish`?" in out
    out = await console.say(f"/translate {TURKISH} to:en from:elvish")
    assert "I don't know the language “elvish”" in out
    out = await console.say("/translate 12345 !!! 678")
    assert "couldn't tell which language" in out
    assert await console.tokens() == 0


async def test_oversized_input_is_refused_before_any_work(console: Console) -> None:
    await console.set("max_input_chars", 100)
    text = ("Bu cümle biraz uzun olmalı. " * 6).strip()
    out = await console.say(f"/translate {text}")
    assert f"{len(text)} characters long; I translate at most 100 here" in out
    assert "(only you)" in out
    assert await console.tokens() == 0
    out = await console.say("/plugins config set plugin:translate key:max_input_chars value:10")
    assert "must be at least 50" in out


async def test_the_limit_members_are_told_is_the_limit_applied(console: Console) -> None:
    (spec,) = [c for c in TranslatePlugin.commands() if c.name == "translate"]
    told = {o.name: o for o in spec.options}["text"].max_length
    assert told == TranslateSettings().max_input_chars  # the command option and the default agree
    text = "Bu cümle biraz uzun olmalı. " * (told // 20)
    out = await console.say(f"/translate {text[: told + 1]}")
    assert f"too long (max {told} characters)" in out
    out = await console.say(
        f"/plugins config set plugin:translate key:max_input_chars value:{told + 1}"
    )
    assert f"must be at most {told}" in out  # no setting promises more than members are told
    assert await console.tokens() == 0


async def test_settings_per_server_and_channel(console: Console) -> None:
    await console.set("default_target", "Almanca")  # stored as the code
    assert "didn't translate this into German" in await console.say(f"/translate {TURKISH}")
    await console.set("default_target", "fr", channel=True)
    assert "didn't translate this into French" in await console.say(f"/translate {TURKISH}")
    out = await console.say("/plugins config set plugin:translate key:default_target value:xx")
    assert "I don't know the language “xx”" in out
    values = await console.app.services.settings.values(TranslatePlugin, CONSOLE_SERVER_ID)
    assert values["default_target"] == "de"


async def test_long_text_is_translated_in_chunks_and_reassembled(console: Console) -> None:
    text = ("Bugün hava çok güzel ve parka gitmek istiyoruz. " * 21).strip()  # 1,007 characters
    out = await console.say(f"/translate {text}")
    header, body = out.removeprefix("sohbet> ").rstrip("\n").split("\n", 1)
    assert header == "🌐 **Turkish (detected) → English**"
    # With the default 256-token answers a chunk holds at most 384 characters, cut between
    # sentences: at least three model calls, each answer put back in its place.
    assert body.count(FAKE_REPLY) >= 3
    assert body.replace(FAKE_REPLY, "").strip() == ""


async def test_token_budgets_apply(console: Console) -> None:
    out = await console.say("/plugins config set plugin:ai key:daily_user_tokens value:1")
    assert "is now `1`" in out
    assert FAKE_REPLY in await console.say(f"/translate {TURKISH}")
    assert await console.tokens() > 1
    out = await console.say(f"/translate {TURKISH}")
    assert "You've used your 1 AI tokens for today" in out


# ----- the context menu ----------------------------------------------------------------------


async def test_context_menu_translates_a_message_for_the_caller(app: App) -> None:
    author, other = member(7), member(8)

    async def menu(content: str) -> MenuResponder:
        app.router.cooldowns = Cooldowns()
        responder = MenuResponder()
        target = message(content, author=other)
        await app.router.handle_command(call("Translate message", author, target=target), responder)
        return responder

    out = await menu("Bugün hava çok güzel, parka gidelim mi?")
    assert out.texts == [f"🌐 **Turkish (detected) → English**\n{FAKE_REPLY}"]
    assert out.last.ephemeral and out.deferred
    assert await app.store.usage.tokens_today(SERVER, author.id) > 0  # charged to the caller
    assert await app.store.usage.tokens_today(SERVER, other.id) == 0
    out = await menu(ENGLISH)
    assert out.last.ephemeral and "already in English" in out.last.text
    out = await menu("   ")
    assert out.texts == ["That message has no text I can translate."]


# ----- the seq2seq engine --------------------------------------------------------------------


async def test_seq2seq_engine_translates_with_a_local_model(
    seq2seq_console: Console, marian_reference: Seq2SeqTranslator
) -> None:
    text = "Merhaba dünya. Bu bir test cümlesidir."
    expected = await marian_reference.translate(text, "en", "tr")
    out = await seq2seq_console.say(f"/translate {text}")
    assert out == f"sohbet> 🌐 **Turkish (detected) → English**\n{expected.text}\n"
    assert expected.text != FAKE_REPLY and await seq2seq_console.tokens() == 0


async def test_a_spent_token_budget_leaves_the_seq2seq_engine_working(
    seq2seq_console: Console, marian_reference: Seq2SeqTranslator
) -> None:
    console = seq2seq_console
    out = await console.say("/plugins config set plugin:ai key:daily_user_tokens value:1")
    assert "is now `1`" in out
    await console.say(f"/translate {TURKISH} to:German")  # the chat model answers: 1+ tokens
    assert await console.tokens() > 1
    text = "Merhaba dünya. Bu bir test cümlesidir."
    expected = await marian_reference.translate(text, "en", "tr")
    out = await console.say(f"/translate {text}")  # no tokens needed
    assert out == f"sohbet> 🌐 **Turkish (detected) → English**\n{expected.text}\n"
    out = await console.say(f"/translate {TURKISH} to:German")  # needs the chat model
    assert "You've used your 1 AI tokens for today" not in out  # no silent fallback...
    assert FAKE_REPLY not in out and "(only you)" in out  # ...but the seq2seq engine's error


async def test_seq2seq_failures_fall_back_or_explain(seq2seq_console: Console) -> None:
    console = seq2seq_console
    # The tiny model only knows Turkish → English: the chat model answers instead.
    out = await console.say(f"/translate {TURKISH} to:German")
    # ... and the fake chat model answers in English: caught, not shown as German.
    assert "didn't translate this into German (it answered in English)" in out
    assert FAKE_REPLY not in out
    await console.set("fallback", "false")
    out = await console.say(f"/translate {TURKISH} to:German")
    assert "(only you)" in out and "Turkish → English" in out  # what the model does know
    await console.set("timeout_s", 0.001)
    out = await console.say("/translate " + "Bugün hava çok güzel, parka gidelim mi? " * 4)
    assert "took longer than 0.001 s and was stopped" in out
    await console.set("timeout_s", 60)
    missing = Path(console.app.config.allowed_models[1])
    out = await console.say(
        f"/plugins config set plugin:translate key:seq2seq_model value:{missing}"
    )
    assert "can't be loaded: there is no model folder" in out  # refused when set ...
    out = await console.say(
        "/plugins config set plugin:translate key:seq2seq_model value:Helsinki-NLP/opus-mt-en-tr"
    )
    assert "isn't on this machine, and Sohbet runs offline" in out
    await console.app.services.settings.set(  # ... and explained at run time if stored before
        TranslatePlugin, "seq2seq_model", str(missing), server_id=CONSOLE_SERVER_ID, actor_id=1
    )
    out = await console.say(f"/translate {TURKISH}")
    assert "isn't available right now" in out
    out = await console.say("/plugins config set plugin:translate key:seq2seq_model value:/etc")
    assert "The translation model `/etc` isn't allowed here" in out  # refused when set...
    await console.app.services.settings.set(  # ...and at run time, if stored before
        TranslatePlugin, "seq2seq_model", "/etc", server_id=CONSOLE_SERVER_ID, actor_id=1
    )
    out = await console.say(f"/translate {TURKISH}")
    assert "The translation model `/etc` isn't allowed here" in out
    await console.set("fallback", "true")
    out = await console.say(f"/translate {TURKISH}")
    assert FAKE_REPLY in out and "couldn't answer" in out
    assert await console.tokens() > 0


# ----- autocomplete --------------------------------------------------------------------------


async def test_autocomplete_suggests_names_that_are_accepted(app: App) -> None:
    async def suggest(option: str, partial: str) -> list[str]:
        return await app.router.autocomplete(call("translate"), option, partial)

    first = await suggest("to", "")
    assert first[:3] == ["English", "Turkish", "German"] and len(first) == 25
    assert (await suggest("to", "tr"))[0] == "Turkish"
    assert (await suggest("to", "alm"))[0] == "Almanca"
    assert "Türkçe" in await suggest("from", "türk")
    assert (await suggest("to", "deu"))[0] == "German"
    assert await suggest("to", "qqqq") == []
    for partial in ("", "a", "in", "çin", "port"):
        for name in await suggest("to", partial):
            normalize_language(name)  # every suggestion is a valid value


# ----- the bundled demo model (bench/results/translate_summarize.md: below copying) ----------


async def test_the_bundled_model_says_it_cannot_translate_and_how_to_set_one_up(
    make_app: Any, config: Config, marian_dir: Path, marian_reference: Seq2SeqTranslator
) -> None:
    bundled = with_model(config, "auto", DEFAULT_MODEL, allowed_models=[str(marian_dir)])
    console = Console(await make_app(TranslatePlugin(), AdminPlugin(), AIPlugin(), config=bundled))
    out = await console.say(f"/translate {TURKISH}")
    assert "can't translate" in out and "copy-source" in out
    for how in ("Ollama", "OpenAI-compatible", "SOHBET_MODEL", "seq2seq_model"):
        assert how in out
    assert out.count("\n") == 1 and await console.tokens() == 0  # one sentence, no model call
    # A configured seq2seq engine is used instead: the demo model's refusal no longer applies.
    await console.set("engine", "seq2seq")
    await console.set("seq2seq_model", str(marian_dir))
    expected = await marian_reference.translate(TURKISH, "en", "tr")
    out = await console.say(f"/translate {TURKISH}")
    assert out == f"sohbet> 🌐 **Turkish (detected) → English**\n{expected.text}\n"
