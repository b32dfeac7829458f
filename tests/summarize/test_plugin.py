"""The summarize plugin end to end: console or SimCord -> Router -> plugin -> real engines,
store, vector store and document parser (nothing mocked; the chat model is LangChain's fake)."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.config import Config
from bot.core.errors import SohbetError
from bot.core.events import Author, CommandCall, Location, Message
from bot.core.router import Cooldowns
from bot.documents import Page, ParsedDocument, split_document
from bot.nlp.sentences import split_sentences
from bot.platforms.console import ConsoleAdapter
from bot.providers import AIProviders
from bot.vectors import SearchHit
from plugins.admin import AdminPlugin
from plugins.ai import AIPlugin
from plugins.docs import DocsPlugin
from plugins.privacy import PrivacyPlugin
from plugins.summarize import SummarizePlugin
from plugins.summarize.since import parse_since
from plugins.summarize.sources import document_text, join_chunks
from tests.discord.conftest import StartWorld, start_world  # noqa: F401  (fixture)
from tests.summarize.texts import ENGLISH_ARTICLE, TURKISH_ARTICLE


class Console:
    """A console session (server 1, channel 1 unless moved) whose output is read per line."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.out = io.StringIO()
        self.adapter = ConsoleAdapter(app.router, out=self.out, user_name="tester")

    async def say(self, line: str) -> str:
        self.app.router.cooldowns = Cooldowns()  # tests type faster than the cooldowns allow
        start = self.out.tell()
        await self.adapter.handle_line(line)
        return self.out.getvalue()[start:]

    def move_to(self, server_id: int, channel_id: int) -> None:
        self.adapter.location = Location(server_id, channel_id)

    def chat(self, author: str, text: str, minutes_ago: float, *, bot: bool = False) -> None:
        """A message in the channel's history, written some minutes ago."""
        self.adapter.history.append(
            Message(
                id=len(self.adapter.history) + 1000,
                content=text,
                author=Author(id=hash(author) % 10_000 + 2, name=author, is_bot=bot),
                location=self.adapter.location,
                created_at=datetime.now(UTC) - timedelta(minutes=minutes_ago),
            )
        )


def summary_of(out: str) -> tuple[str, str, str]:
    """(heading, summary text, footer) of a summary reply."""
    lines = out.removeprefix("sohbet> ").rstrip("\n").split("\n")
    return lines[0], "\n".join(lines[1:-1]), lines[-1]


@pytest.fixture
async def console(make_app: Any) -> Console:
    app: App = await make_app(SummarizePlugin(), AdminPlugin(), DocsPlugin())
    return Console(app)


# ----- text and messages ------------------------------------------------------------------


@pytest.mark.parametrize(("text", "lang"), [(ENGLISH_ARTICLE, "en"), (TURKISH_ARTICLE, "tr")])
async def test_text_summary_is_shorter_and_made_of_its_sentences(
    console: Console, text: str, lang: str
) -> None:
    out = await console.say(f'/summarize text text:"{text}" sentences:2')
    heading, summary, footer = summary_of(out)
    originals = split_sentences(text, lang)
    picked = split_sentences(summary, lang)
    assert heading == f"**Summary of your text** ({len(originals)} sentences)"
    assert footer == "*(extractive summary)*"
    assert len(picked) == 2 and len(summary) < len(text) / 2
    assert all(sentence in originals for sentence in picked)
    for off_topic in ("fence", "rained", "kedisi", "kahvaltıda"):
        assert off_topic not in summary


async def test_turkish_defaults_and_ratio_setting(console: Console) -> None:
    _, summary, _ = summary_of(await console.say(f"/summarize text {TURKISH_ARTICLE}"))
    assert len(split_sentences(summary, "tr")) == 3  # the default length
    assert "İstanbul" in summary
    await console.say("/plugins config set plugin:summarize key:ratio value:0.1")
    out = await console.say(f"/summarize text {TURKISH_ARTICLE}")
    _, summary, _ = summary_of(out)
    assert len(split_sentences(summary, "tr")) == 1  # 10% of 10 sentences


async def test_short_empty_and_too_long_texts_are_explained(console: Console) -> None:
    out = await console.say("/summarize text Merhaba. Yarın görüşürüz.")
    assert out == (  # returned as it is, not refused
        "sohbet> **Summary of your text** (2 sentences)\nMerhaba. Yarın görüşürüz.\n"
        "*(already as short as a summary: shown as it is)*\n"
    )
    assert "`text` is required" in await console.say("/summarize text")
    await console.say("/plugins config set plugin:summarize key:max_input_chars value:1000")
    out = await console.say(f"/summarize text {ENGLISH_ARTICLE * 2}")
    assert (
        "(only you)" in out and "I summarize at most 1,000 here" in out and "/summarize file" in out
    )


async def test_context_menu_summarizes_the_message_on_discord(
    start_world: StartWorld,  # noqa: F811
) -> None:
    world = await start_world(message_content_intent=True)
    await world.restart(SummarizePlugin())
    target = await world.bob.send(world.general, ENGLISH_ARTICLE)
    result = await world.alice.context_menu(world.general, "Summarize message", target)
    assert result.response is not None
    heading, summary, footer = summary_of(result.response.content)
    assert heading == "**Summary of bob's message** (8 sentences)"
    originals = split_sentences(ENGLISH_ARTICLE, "en")
    assert [s in originals for s in split_sentences(summary, "en")] == [True] * 3
    assert footer == "*(extractive summary)*"

    # A file posted without words: the menu summarizes the attached document.
    target = await world.bob.send(
        world.general, attachments=[("notes.txt", TURKISH_ARTICLE.encode())]
    )
    result = await world.admin.context_menu(world.general, "Summarize message", target)
    assert result.response is not None
    heading, summary, _ = summary_of(result.response.content)
    assert heading == "**Summary of `notes.txt`** (10 sentences)"
    assert "İstanbul" in summary and "kahvaltıda" not in summary


# ----- channel summaries ------------------------------------------------------------------


def _conversation(console: Console) -> set[str]:
    """Lunch talk three hours ago, a bot message, the release in the last hour (its lines)."""
    old = [  # three hours ago: lunch plans
        ("ayse", "Should we order pizza for lunch today?"),
        ("mehmet", "Pizza sounds good, the place near the office has a lunch menu."),
        ("zeynep", "I would rather have soup than pizza for lunch."),
    ]
    recent = [  # the last hour: the release
        ("ayse", "The release build failed on the payment tests this morning."),
        ("mehmet", "I fixed the payment tests, the release build is green again."),
        ("zeynep", "Great, then we ship the release to customers at five."),
        ("ayse", "I will write the release notes for the customers."),
        ("mehmet", "ok"),
    ]
    for i, (author, text) in enumerate(old):
        console.chat(author, text, minutes_ago=200 - i)
    console.chat("sohbet", "Pizza summary from the bot, not a person.", 90, bot=True)
    for i, (author, text) in enumerate(recent):
        console.chat(author, text, minutes_ago=50 - i)
    return {f"{author}: {text}" for author, text in recent}


async def test_channel_summary_over_history_since(console: Console) -> None:
    recent = _conversation(console)
    heading, _, _ = summary_of(await console.say("/summarize channel messages:4"))
    assert heading == "**Summary of 4 messages**"

    heading, summary, footer = summary_of(
        await console.say("/summarize channel since:2h sentences:2")
    )
    assert heading == "**Summary of 5 messages from the last 2 h**"
    picked = summary.split("\n")
    assert len(picked) == 2 and set(picked) <= recent
    assert "release" in summary and "pizza" not in summary.casefold()
    assert footer == "*(extractive summary)*"

    # Everything: the bot's own messages (its earlier summaries too) are left out.
    heading, summary, _ = summary_of(await console.say("/summarize channel sentences:4"))
    assert heading == "**Summary of 8 messages**"
    assert "from the bot" not in summary and "Summary of" not in summary
    out = await console.say("/summarize channel messages:500")
    assert out == "sohbet> (only you) `messages` can be at most 200 here.\n"


@pytest.mark.parametrize(
    ("since", "message"),
    [
        ("soon", "`since` must be a duration such as `30m`, `2h`, `1d` or `1h30m`, not `soon`."),
        ("5 parsecs", "I don't know the time unit `parsecs` in `since`."),
        ("0m", "`since` must be longer than zero"),
        ("45d", "`since` can reach back at most 30 days"),
    ],
)
async def test_bad_since_is_explained(console: Console, since: str, message: str) -> None:
    _conversation(console)
    out = await console.say(f"/summarize channel since:{since}")
    assert out.startswith("sohbet> (only you) ") and message in out


def test_since_accepts_friendly_durations() -> None:
    assert parse_since("2h") == timedelta(hours=2)
    assert parse_since(" 1h30m ") == timedelta(minutes=90)
    assert parse_since("1d") == parse_since("24 hours") == parse_since("1 gün")
    assert parse_since("45 dk") == timedelta(minutes=45)
    assert parse_since("1.5h") == timedelta(minutes=90)


async def test_empty_channel_and_empty_window(console: Console) -> None:
    out = await console.say("/summarize channel")
    assert out == "sohbet> (only you) There are no messages to summarize here.\n"
    console.chat("ayse", "An old message about something.", minutes_ago=300)
    out = await console.say("/summarize channel since:1h")
    assert out == "sohbet> (only you) There are no messages from the last 1 h to summarize here.\n"
    console.chat("ayse", "", minutes_ago=5)  # text the bot may not read (no content intent)
    out = await console.say("/summarize channel since:1h")
    assert "I can see 1 message from the last 1 h here but not its text" in out


# ----- documents --------------------------------------------------------------------------

REPORT = "\n\n".join(
    [
        "Annual transport report. " + ENGLISH_ARTICLE,
        "The transport budget also funds forty electric buses for the city. Electric buses cut "
        "noise and pollution on busy streets. The first electric buses arrive in spring, and "
        "the rest follow before winter. Drivers are trained on the electric buses this summer.",
        "Ridership on the tram network grew every month of the year. The council expects the "
        "tram network to carry more passengers once the airport line opens. Trams now run "
        "every six minutes at peak hours. Night trams were added on weekends in March.",
        "Ticket prices stay the same for the third year in a row. Students and pensioners keep "
        "their discount on monthly transport passes. A new phone app sells tickets for buses "
        "and trams. Paper tickets will be phased out within two years.",
        "Cycling groups asked the council to build protected bike lanes. The council promised "
        "a study of bike lanes on the main avenues next year. Bike parking at tram stations "
        "doubled this year. Shared bikes were used for a million trips.",
        "The office plants were watered on Friday. The coffee machine on the second floor was "
        "repaired. The annual staff picnic took place in the park by the river.",
        "The transport department will publish a detailed budget plan in the autumn. Public "
        "meetings about the new tram and bus lines start in September. Residents can comment "
        "on the transport plans online until the end of October.",
    ]
)


async def _upload(console: Console, tmp_path: Path, name: str, text: str, extra: str = "") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    out = await console.say(f"/docs upload file:{path} {extra}".strip())
    assert f"Added **{name}**" in out, out
    return out


async def test_document_summary_is_scoped_to_its_server(console: Console, tmp_path: Path) -> None:
    await _upload(console, tmp_path, "report.txt", REPORT)
    [doc] = await console.app.store.documents.list(1)
    assert doc.chunks >= 3  # overlapping chunks, joined back into the document's text
    vectors = await console.app.services.get("ai", AIProviders).vectors()
    assert (await document_text(vectors, doc, 1)).split() == REPORT.split()
    with pytest.raises(SohbetError, match="couldn't find the text"):
        await document_text(vectors, doc, 2)  # even knowing the id, never across servers

    heading, summary, footer = summary_of(
        await console.say("/summarize document document:report.txt sentences:4")
    )
    assert heading.startswith("**Summary of `report.txt`** (")
    originals = split_sentences(REPORT, "en")
    picked = split_sentences(summary, "en")
    assert len(picked) == 4 and all(s in originals for s in picked)
    assert footer == "*(extractive summary)*"
    assert heading == summary_of(await console.say(f"/summarize document {doc.id[:8]}"))[0]

    call = CommandCall("summarize document", {}, console.adapter.author, Location(1, 1))
    assert await console.app.router.autocomplete(call, "document", "REP") == ["report.txt"]
    other_server = CommandCall("summarize document", {}, console.adapter.author, Location(2, 1))
    assert await console.app.router.autocomplete(other_server, "document", "rep") == []

    console.move_to(server_id=2, channel_id=20)  # another server: its name and id mean nothing
    for wanted in ("report.txt", doc.id, "report"):
        out = await console.say(f"/summarize document document:{wanted}")
        assert out == (
            f"sohbet> (only you) There is no document `{wanted}` on this server. "
            "See `/docs list`.\n"
        )
    assert await vectors.document_chunks(2, doc.id) == []
    assert len(await vectors.document_chunks(1, doc.id)) == doc.chunks


async def test_channel_only_document_and_ambiguous_names(console: Console, tmp_path: Path) -> None:
    await _upload(console, tmp_path, "tr-notes.txt", TURKISH_ARTICLE, "channel_only:true")
    await _upload(console, tmp_path, "en-notes.txt", ENGLISH_ARTICLE)
    out = await console.say("/summarize document notes")
    assert "Several documents match `notes`" in out and "**tr-notes.txt**" in out
    _, summary, _ = summary_of(await console.say("/summarize document tr-notes"))
    assert "İstanbul" in summary
    console.move_to(server_id=1, channel_id=2)  # same server, another channel
    assert "There is no document `tr-notes`" in await console.say("/summarize document tr-notes")
    _, summary, _ = summary_of(await console.say("/summarize document notes"))
    assert "transport" in summary


async def test_attached_file_is_parsed_and_long_ones_are_clipped(
    console: Console, tmp_path: Path
) -> None:
    page = tmp_path / "page.html"
    page.write_text(f"<html><body><h1>Report</h1><p>{REPORT}</p></body></html>")
    heading, summary, _ = summary_of(await console.say(f"/summarize file file:{page} sentences:3"))
    assert heading.startswith("**Summary of `page.html`**")
    assert len(split_sentences(summary, "en")) == 3
    await console.say("/plugins config set plugin:summarize key:max_input_chars value:1000")
    heading, _, _ = summary_of(await console.say(f"/summarize file file:{page}"))
    assert heading.endswith("characters") and "only its first" in heading
    assert int(heading.rsplit("first ", 1)[1].split()[0].replace(",", "")) <= 1000
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7 not really")
    out = await console.say(f"/summarize file file:{broken}")
    assert out.startswith("sohbet> (only you) ") and "broken.pdf" in out


def test_chunks_are_joined_back_into_the_page_text() -> None:
    text = " ".join(f"Sentence number {i} talks about topic {i % 7}." for i in range(200))
    doc = ParsedDocument("d.txt", "txt", "0" * 64, len(text), (Page(1, text), Page(2, "End.")))
    chunks = split_document(doc, chunk_size=300, chunk_overlap=80)
    assert len(chunks) > 20
    hits = [
        SearchHit(str(c.position), c.text, 1, None, "d", "d.txt", 1, c.position, c.page, None, 0, 0)
        for c in chunks
    ]
    assert join_chunks(hits) == text + "\n\nEnd."


# ----- engines ----------------------------------------------------------------------------


@pytest.fixture
def fake_model_config(config: Config) -> Config:
    """The operator's chat model: LangChain's fake model answering with a fixed summary."""
    return config.model_copy(
        update={"model_provider": "fake", "model_name": "Özet: İstanbul büyük bir şehirdir."}
    )


async def test_chat_engine_uses_the_configured_model_and_counts_tokens(
    make_app: Any, fake_model_config: Config
) -> None:
    app: App = await make_app(
        SummarizePlugin(), AdminPlugin(), AIPlugin(), config=fake_model_config
    )
    console = Console(app)
    await console.say("/plugins config set plugin:summarize key:engine value:chat")
    _, summary, footer = summary_of(await console.say(f"/summarize text {TURKISH_ARTICLE}"))
    assert (summary, footer) == ("İstanbul büyük bir şehirdir.", "*(chat summary)*")
    used = await app.store.usage.tokens_today(1, 1)
    assert used > 0
    console.chat("ayse", "Toplantı saat üçte mi?", 5)
    console.chat("mehmet", "Evet, saat üçte toplantı odasında.", 4)
    _, summary, _ = summary_of(await console.say("/summarize channel"))
    assert summary == "İstanbul büyük bir şehirdir."
    assert await app.store.usage.tokens_today(1, 1) > used

    # Once the member's daily AI budget is spent, summaries still come: extractive ones.
    await console.say(f"/plugins config set plugin:ai key:daily_user_tokens value:{used}")
    _, summary, footer = summary_of(await console.say(f"/summarize text {TURKISH_ARTICLE}"))
    assert footer == "*(Extractive summary: today's AI token budget is used up.)*"
    assert all(s in TURKISH_ARTICLE for s in split_sentences(summary, "tr"))


async def test_failing_engines_fall_back_to_extractive(
    make_app: Any, fake_model_config: Config
) -> None:
    app: App = await make_app(SummarizePlugin(), AdminPlugin(), config=fake_model_config)
    console = Console(app)
    set_key = "/plugins config set plugin:summarize key:"

    await console.say(f"{set_key}engine value:chat")
    refused = await console.say(f"{set_key}model value:not-allowed-model")
    assert "isn't allowed here" in refused
    # Stored while it was allowed (the operator's list changed since): refused at run time.
    await app.services.settings.set(
        SummarizePlugin, "model", "not-allowed-model", server_id=1, actor_id=1
    )
    _, summary, footer = summary_of(await console.say(f"/summarize text {ENGLISH_ARTICLE}"))
    assert footer == "*(Extractive summary: the `chat` engine isn't available.)*"
    assert all(s in ENGLISH_ARTICLE for s in split_sentences(summary, "en"))

    await console.say(f"{set_key}engine value:seq2seq")
    _, _, footer = summary_of(await console.say(f"/summarize text {ENGLISH_ARTICLE}"))
    assert footer == (
        "*(Extractive summary: the `seq2seq` engine isn't available (no `seq2seq_model` is set).)*"
    )
    refused = await console.say(f"{set_key}seq2seq_model value:nobody/missing-summarizer")
    assert "isn't on this machine, and Sohbet runs offline" in refused  # refused when set
    await app.services.settings.set(  # stored before that check existed: explained when used
        SummarizePlugin, "seq2seq_model", "nobody/missing-summarizer", server_id=1, actor_id=1
    )
    _, summary, footer = summary_of(await console.say(f"/summarize text {ENGLISH_ARTICLE}"))
    assert "the `seq2seq` engine isn't available (its model files could not be loaded)" in footer
    assert len(split_sentences(summary, "en")) == 3
    refused = await console.say(f"{set_key}seq2seq_model value:/etc/some/local/path")
    assert "isn't allowed here" in refused
    await app.services.settings.set(
        SummarizePlugin, "seq2seq_model", "/etc/some/local/path", server_id=1, actor_id=1
    )
    _, _, footer = summary_of(await console.say(f"/summarize text {ENGLISH_ARTICLE}"))
    assert "isn't an allowed model" in footer


async def test_chat_engine_errors_at_run_time_fall_back(make_app: Any, config: Config) -> None:
    # An OpenAI-compatible endpoint that refuses connections: the model fails mid-summary.
    broken = config.model_copy(
        update={
            "model_provider": "openai",
            "model_name": "gpt-test",
            "model_base_url": "http://127.0.0.1:9/v1",
        }
    )
    app: App = await make_app(SummarizePlugin(), AdminPlugin(), config=broken)
    console = Console(app)
    await console.say("/plugins config set plugin:summarize key:engine value:chat")
    _, summary, footer = summary_of(await console.say(f"/summarize text {TURKISH_ARTICLE}"))
    assert footer == "*(Extractive summary: the `chat` engine failed.)*"
    assert all(s in TURKISH_ARTICLE for s in split_sentences(summary, "tr"))


async def test_privacy_lists_nothing_stored_by_summaries(make_app: Any) -> None:
    app: App = await make_app(SummarizePlugin(), DocsPlugin(), PrivacyPlugin())
    out = await Console(app).say("/privacy info")
    assert "• docs: Documents you upload" in out and "summarize" not in out
