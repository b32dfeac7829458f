"""The sentiment plugin end to end: console line or platform call -> Router -> plugin -> real
engines (VADER, the shipped multilingual classifier, a tiny transformers classifier, chat
models through AIProviders: LangChain's fake model and a fake OpenAI server on 127.0.0.1)."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.config import Config
from bot.core.events import Author, CommandCall, Message
from bot.core.registry import PluginRegistry
from bot.core.router import Cooldowns
from bot.platforms.console import CONSOLE_SERVER_ID, ConsoleAdapter
from plugins.admin import AdminPlugin
from plugins.ai import AIPlugin
from plugins.sentiment import SentimentPlugin, SentimentSettings
from plugins.sentiment.engines import SentimentResult
from plugins.sentiment.mood import Scored, excerpt, summarize
from tests.ai.models_support import fake_openai_server
from tests.core.helpers import RecordingResponder, here, member
from tests.sentiment.conftest import ticks_while
from tests.sentiment.tiny_bert import build_classifier


class Console:
    """A console session; cooldowns are reset before each line (tests type fast)."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.out = io.StringIO()
        self.adapter = ConsoleAdapter(app.router, out=self.out, user_name="tester", admin=True)

    async def say(self, line: str) -> str:
        self.app.router.cooldowns = Cooldowns()
        start = self.out.tell()
        await self.adapter.handle_line(line)
        return self.out.getvalue()[start:]

    async def configure(self, **values: Any) -> None:
        for key, value in values.items():
            out = await self.say(f"/plugins config set plugin:sentiment key:{key} value:{value}")
            assert "is now" in out, out


@pytest.fixture
async def app(make_app: Any) -> App:
    app: App = await make_app(SentimentPlugin(), AdminPlugin(), AIPlugin())
    return app


@pytest.fixture
def console(app: App) -> Console:
    return Console(app)


async def platform_call(app: App, call: CommandCall, history: list[Message] | None = None) -> Any:
    """Run a command as a platform adapter would; returns what the bot showed."""
    app.router.cooldowns = Cooldowns()
    responder = RecordingResponder(history=list(history or []))
    await app.router.handle_command(call, responder)
    return responder


def posted(text: str, author: Author | None = None) -> Message:
    return Message(
        id=hash(text) & 0xFFFF, content=text, author=author or member(8), location=here()
    )


# ----- /sentiment text and the context menu -----------------------------------------------


@pytest.mark.parametrize(
    ("text", "label", "engine"),
    [
        ("I love this, it is wonderful!", "positive", "vader"),
        ("This is the worst service ever, I hate it.", "negative", "vader"),
        ("Bu harika, çok güzel, teşekkürler!", "positive", "multilingual"),
        ("Rezalet, nefret ettim.", "negative", "multilingual"),
        ("Hiç beğenmedim, berbattı.", "negative", "multilingual"),
    ],
)
async def test_text_with_the_default_offline_engine(
    console: Console, text: str, label: str, engine: str
) -> None:
    out = await console.say(f"/sentiment text {text}")
    assert out.startswith(f"sohbet> {'🙂' if label == 'positive' else '🙁'} **{label}**"), out
    assert f"engine `{engine}`" in out
    confidence = int(out.split("confidence ")[1].split("%")[0])
    assert 50 <= confidence <= 100


async def test_context_menu_reads_the_target_message_privately(app: App) -> None:
    target = posted("<@123> @everyone this update is awful, I hate it", member(9))
    call = CommandCall("Analyze sentiment", {}, member(7), here(), target=target)
    responder = await platform_call(app, call)
    reply = responder.last
    assert reply.ephemeral and responder.deferred
    assert "🙁 **negative**" in reply.text and "engine `vader`" in reply.text
    assert reply.text.startswith("user9's message “@user @\u200beveryone this update is awful")
    assert "<@123>" not in reply.text and "@everyone" not in reply.text

    empty = CommandCall("Analyze sentiment", {}, member(7), here(), target=posted("   "))
    assert "no text for me to analyse" in (await platform_call(app, empty)).last.text


async def test_oversized_and_empty_input_get_a_clear_message(console: Console) -> None:
    out = await console.say("/sentiment text " + "good " * 500)
    assert "2,499 characters long; I analyse at most 2,000 here" in out
    assert out.startswith("sohbet> (only you)")
    await console.configure(max_chars=100)
    assert "at most 100 here" in await console.say("/sentiment text " + "a" * 101)
    assert "**positive**" in await console.say("/sentiment text " + "lovely " * 14)
    assert "`text` is too long (max 5000" in await console.say("/sentiment text " + "a" * 5001)
    assert "There is no text to analyse" in await console.say('/sentiment text text:" "')


# ----- /sentiment channel -------------------------------------------------------------------


async def test_channel_mood_over_console_history(console: Console) -> None:
    for line in [
        "I love this project, great work everyone!",
        "Harika bir iş çıkardınız, tebrikler!",
        "Muhteşem bir film.",
        "This is terrible, I hate the new design.",
        "Toplantı yarın saat onda başlayacak.",
    ]:
        await console.say(line)  # no listener answers: they are just channel messages
    out = await console.say("/sentiment channel")
    lines = out.removeprefix("sohbet> ").splitlines()
    assert lines[0].startswith(
        "**Channel mood** over the last 5 messages from members: 🙂 **positive**"
    )
    assert lines[1] == "🙂 positive 3 (60%) · 😐 neutral 1 (20%) · 🙁 negative 1 (20%)"
    assert lines[2].startswith("Most positive: “") and lines[2].endswith("” — tester")
    assert lines[3] == "Most negative: “This is terrible, I hate the new design.” — tester"
    assert lines[4] == "Engine: `multilingual`, `vader`"

    # The bot's own reply is in the history now, and is skipped.
    again = await console.say("/sentiment channel")
    assert "over the last 5 messages from members" in again
    # The last 3 messages of the channel: a member's message and the bot's two replies.
    assert "over the last 1 message from members: 😐 **neutral**" in await console.say(
        "/sentiment channel 3"
    )


async def test_channel_limits_messages_and_cuts_long_ones(console: Console) -> None:
    await console.configure(max_messages=2, max_chars=40)
    await console.say("Rezalet, nefret ettim. " + "x" * 500)  # cut to 40 characters, not refused
    await console.say("Hiç beğenmedim, berbattı.")
    out = await console.say("/sentiment channel messages:50")
    assert "over the last 2 messages from members: 🙁 **negative**" in out
    assert "🙁 negative 2 (100%)" in out
    assert "I read at most 2 messages here" in out


async def test_empty_channel(console: Console, app: App) -> None:
    out = await console.say("/sentiment channel")
    assert out == (
        "sohbet> (only you) There are no messages from members here for me to read yet "
        "(I skip bots and messages without text).\n"
    )
    bots_only = [posted("I love it!", member(5, bot=True)), posted("", member(6))]
    responder = await platform_call(
        app, CommandCall("sentiment channel", {}, member(), here()), bots_only
    )
    assert "no messages from members" in responder.last.text and responder.last.ephemeral


async def test_channel_history_from_a_platform_responder(app: App) -> None:
    people = [member(21), member(22), member(23)]
    history = [
        posted("Great job, this is amazing! @here", people[0]),
        posted("Awful, broken, a total disaster.", people[1]),
        posted("Worst release ever, I am so angry.", people[2]),
        posted("Thanks, glad you like it!", member(0, bot=True)),
    ]
    responder = await platform_call(
        app, CommandCall("sentiment channel", {"messages": 10}, member(), here()), history
    )
    text = responder.last.text
    assert not responder.last.ephemeral and responder.deferred
    assert "over the last 3 messages from members: 🙁 **negative**" in text
    assert "Most positive: “Great job, this is amazing! @\u200bhere” — user21" in text
    assert "Most negative: “" in text
    assert "— user22" in text or "— user23" in text


async def test_channel_analysis_runs_off_the_event_loop(console: Console) -> None:
    await console.configure(engine="multilingual")
    for i in range(40):
        await console.say(f"Mesaj {i}: kargo bugün geldi, ürün harika ve çok memnunum.")
    await console.say("/sentiment text ısınma")  # loads the embedder
    assert await ticks_while(console.say("/sentiment channel")) > 5
    assert "🙂 positive 40 (100%)" in console.out.getvalue()


# ----- other engines and failures -----------------------------------------------------------


async def test_a_local_model_path_needs_the_operators_allow_list(
    console: Console, tmp_path: Path
) -> None:
    folder = build_classifier(tmp_path / "clf", {0: "NEGATIVE", 1: "POSITIVE"})
    await console.configure(engine="transformers")
    key = "/plugins config set plugin:sentiment key:transformers_model"
    out = await console.say(f"{key} value:{folder}")
    assert f"The sentiment model `{folder}` isn't allowed here" in out  # refused when set...
    await console.app.services.settings.set(  # ...and at run time, if stored before
        SentimentPlugin, "transformers_model", str(folder), server_id=CONSOLE_SERVER_ID, actor_id=1
    )
    out = await console.say("/sentiment text I love it")
    assert f"The sentiment model `{folder}` isn't allowed here" in out
    assert "positive**" not in out and "negative**" not in out


async def test_transformers_engine_with_a_local_model_and_a_missing_one(
    make_app: Any, config: Config, tmp_path: Path
) -> None:
    folder = build_classifier(tmp_path / "clf", {0: "NEGATIVE", 1: "POSITIVE"})
    allowed = config.model_copy(update={"allowed_models": [str(folder)]})
    console = Console(await make_app(SentimentPlugin(), AdminPlugin(), AIPlugin(), config=allowed))
    await console.configure(engine="transformers", transformers_model=str(folder))
    out = await console.say("/sentiment text I love it")
    assert f"engine `transformers:{folder}`" in out  # random weights: any polar label,
    # near 50 %, so below the confidence floor: a lean, not an answer
    assert re.search(r"\*\*(positive|negative)\*\*|can't tell\*\* · leaning (positive|negative)", out)

    refused = await console.say(
        "/plugins config set plugin:sentiment key:transformers_model value:no-such-org/no-such-model"
    )
    assert "isn't on this machine" in refused  # refused when set; stored before, explained:
    await console.app.services.settings.set(
        SentimentPlugin,
        "transformers_model",
        "no-such-org/no-such-model",
        server_id=CONSOLE_SERVER_ID,
        actor_id=1,
    )
    out = await console.say("/sentiment text I love it")
    assert out.startswith("sohbet> (only you) The `transformers:no-such-org/no-such-model` engine")
    assert "isn't available right now (the model could not be loaded" in out


async def test_llm_engine_uses_the_servers_chat_model(make_app: Any, config: Config) -> None:
    # LangChain's fake chat model answers with its model name: here, a one-word sentiment.
    app: App = await make_app(
        SentimentPlugin(),
        AdminPlugin(),
        AIPlugin(),
        config=config.model_copy(update={"model_provider": "fake", "model_name": "Negative."}),
    )
    console = Console(app)
    await console.configure(engine="llm")
    out = await console.say("/sentiment text I love it")  # the model decides, not a lexicon
    # No "confidence 100%": a one-word model answer carries no probability.
    assert out.startswith("sohbet> 🙁 **negative** · engine `llm:Negative.`")
    assert "confidence" not in out
    used = await app.store.usage.tokens_today(CONSOLE_SERVER_ID, 1)
    assert used > 0  # usage is recorded for the ai plugin's budgets

    for line in ["Harika!", "Süper!"]:
        await console.say(line)
    assert "🙁 negative 2 (100%)" in await console.say("/sentiment channel")

    # Budgets of the `ai` plugin apply to the llm engine only.
    assert "is now" in await console.say(
        f"/plugins config set plugin:ai key:daily_user_tokens value:{used}"
    )
    assert "used your" in await console.say("/sentiment text I love it")
    await console.configure(engine="vader")
    assert "**positive**" in await console.say("/sentiment text I love it")


@pytest.mark.parametrize(
    ("model", "message"),
    [
        ("ok", "answered with something that isn't a sentiment"),  # "Hello from the server."
        ("broken", "The AI model"),
        ("unauthorized", "rejected the bot's credentials"),
        ("hang", "took longer than 1 s and was stopped"),
    ],
)
async def test_llm_failures_are_explained(
    make_app: Any, config: Config, model: str, message: str
) -> None:
    with fake_openai_server() as server:
        app: App = await make_app(
            SentimentPlugin(),
            AdminPlugin(),
            config=config.model_copy(
                update={
                    "model_provider": "openai",
                    "model_name": model,
                    "model_base_url": server.base_url,
                }
            ),
        )
        console = Console(app)
        await console.configure(engine="llm", timeout=1 if model == "hang" else 30)
        out = await console.say("/sentiment text I love it")
        server.release.set()
    assert out.startswith("sohbet> (only you) ") and message in out, out


# ----- pieces -------------------------------------------------------------------------------


def test_settings_plugin_facts_and_discovery() -> None:
    defaults = SentimentSettings()
    assert (defaults.engine, defaults.max_messages, defaults.max_chars, defaults.timeout) == (
        "auto",
        50,
        2000,
        30.0,
    )
    with pytest.raises(ValueError):
        SentimentSettings(engine="magic")  # type: ignore[arg-type]
    assert SentimentPlugin.stored_data == ""  # nothing stored
    names = {s.name: s.kind for s in SentimentPlugin.commands()}
    assert names == {
        "sentiment text": "slash",
        "sentiment channel": "slash",
        "Analyze sentiment": "message",
    }
    assert "sentiment" in PluginRegistry.discover(only=["sentiment"]).plugins


def test_excerpts_never_ping_and_stay_short() -> None:
    text = "**Hey** <@!42> <@&7> <#9> <:party:123> @everyone `code` " + "long " * 40
    quoted = excerpt(text, 60)
    assert quoted.startswith("“Hey @user @role #channel :party: @\u200beveryone code long")
    assert quoted.endswith("long…”") and len(quoted) <= 62
    assert "@everyone" not in quoted and "<" not in quoted


def test_overall_mood_rules() -> None:
    def mood(*labels: tuple[str, float]) -> str:
        scored = [
            Scored(posted(f"m{i}"), SentimentResult(label, score, "x"))  # type: ignore[arg-type]
            for i, (label, score) in enumerate(labels)
        ]
        return summarize(scored).overall

    assert mood(("positive", 0.9), ("neutral", 0.8)) == "positive"
    assert mood(("negative", 0.9), ("neutral", 0.8), ("neutral", 0.8)) == "negative"
    assert mood(("positive", 0.9), ("negative", 0.9), ("neutral", 0.5)) == "mixed"
    assert (
        mood(("neutral", 0.9), ("neutral", 0.9), ("positive", 0.5), ("neutral", 0.9)) == "neutral"
    )
    with pytest.raises(ValueError):
        summarize([])


def test_low_confidence_is_a_lean_not_an_answer() -> None:
    from plugins.sentiment.engines import SentimentResult
    from plugins.sentiment.engines.base import UNSURE_BELOW
    from plugins.sentiment.mood import format_result

    sure = format_result(SentimentResult("negative", 0.93, "multilingual"))
    assert sure.startswith("🙁 **negative** · confidence 93%")
    lean = format_result(SentimentResult("positive", UNSURE_BELOW - 0.06, "multilingual"))
    assert "can't tell" in lean and "leaning positive (64%)" in lean
    assert "**positive**" not in lean
    # The chat model's one-word answer has no probability: shown as is, never "can't tell".
    llm = format_result(SentimentResult("positive", 1.0, "llm", calibrated=False))
    assert llm.startswith("🙂 **positive**") and "confidence" not in llm


async def test_auto_asks_the_model_only_when_the_eval_measured_it_better(
    make_app: Any, config: Config
) -> None:
    import json

    from bot.ai.models import ModelConfig
    from bot.ai.readiness import eval_file

    cfg = config.model_copy(update={"model_provider": "fake", "model_name": "Negative."})
    console = Console(await make_app(SentimentPlugin(), AdminPlugin(), AIPlugin(), config=cfg))
    # Nothing measured: the offline default reads "I love it" as positive.
    out = await console.say("/sentiment text I love it")
    assert "**positive**" in out and "llm" not in out

    saved = eval_file(cfg.data_dir, ModelConfig(provider="fake", model="Negative."))
    saved.parent.mkdir(parents=True, exist_ok=True)
    verdict = {"ready": False, "reason": "llm engine 50.0 % vs default engine 70.0 %"}
    saved.write_text(json.dumps({"readiness": {"sentiment (llm better than default)": verdict}}))
    out = await console.say("/sentiment text I love it")
    assert "**positive**" in out and "llm" not in out  # measured worse: not asked

    verdict = {"ready": True, "reason": "llm engine 85.0 % vs default engine 70.0 %"}
    saved.write_text(json.dumps({"readiness": {"sentiment (llm better than default)": verdict}}))
    out = await console.say("/sentiment text I love it")
    assert "🙁 **negative** · engine `llm:Negative.`" in out  # the model now decides
