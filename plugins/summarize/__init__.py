"""Summaries of a text, a message, the channel's recent conversation, or a document.

The default engine (extractive LexRank) needs no model and answers in well under a second;
admins can switch a server or channel to the chat model or a seq2seq summarization model,
with the extractive engine as the fallback. Nothing is stored.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from bot.core import (
    Attachment,
    Context,
    Message,
    Option,
    Plugin,
    PluginSettings,
    SohbetError,
    command,
    message_command,
)
from bot.core.errors import BadOption
from bot.i18n import _, format_number, ngettext
from bot.nlp.errors import TextTooLong
from bot.nlp.runtime import in_thread
from bot.nlp.sentences import split_sentences
from bot.providers import AIProviders, check_model_setting
from bot.shared.markup import command_ref, literal, model_text
from plugins.summarize.engines import ChatLine, latest_within, summarize_chat
from plugins.summarize.runner import Engines, Outcome
from plugins.summarize.settings import SummarizeSettings
from plugins.summarize.since import describe_duration, parse_since
from plugins.summarize.sources import (
    attachment_text,
    clip,
    document_text,
    find_document,
    operator_budget,
    visible_documents,
)

__all__ = ["SummarizePlugin", "SummarizeSettings"]

Sentences = Annotated[
    int | None, Option("Most sentences in the summary", min_value=1, max_value=30)
]


def target_length(settings: SummarizeSettings, asked: int | None, units: int) -> int:
    """Sentences (or messages) to keep: the option, else the settings (`ratio` of the input)."""
    if asked is not None:
        return asked
    if settings.ratio > 0:
        return max(1, min(settings.sentences, round(settings.ratio * units)))
    return settings.sentences


def _summary_heading(what: str, sentences: int) -> str:
    return ngettext(
        "**Summary of {what}** ({n} sentence)",
        "**Summary of {what}** ({n} sentences)",
        sentences,
        what=what,
    )


class SummarizePlugin(Plugin):
    name = "summarize"
    description = "Summaries of texts, messages, the recent conversation and documents"
    stored_data = ""  # nothing: texts, messages and documents are read, summarized and dropped
    Settings = SummarizeSettings

    async def check_setting(self, ctx: Context, key: str, settings: PluginSettings) -> None:
        await check_model_setting(
            ctx, key, settings, task_field="seq2seq_model", task="summarization"
        )

    def __init__(self) -> None:
        super().__init__()
        self.engines = Engines()

    async def close(self) -> None:
        self.engines.clear()

    # ----- commands ------------------------------------------------------------------------

    @command("summarize text", description="Summarize a text", cooldown=2)
    async def summarize_text(
        self,
        ctx: Context,
        text: Annotated[str, Option("The text to summarize")],
        sentences: Sentences = None,
    ) -> None:
        await self._summarize(ctx, text, sentences, _("your text"))

    @message_command("Summarize message", cooldown=2)
    async def summarize_message(self, ctx: Context, message: Message) -> None:
        text = message.content
        if not text.strip() and message.attachments:  # a file posted without words
            file = message.attachments[0]
            text = await attachment_text(file, self._max_bytes(ctx), operator_budget(ctx))
            await self._summarize(ctx, text, None, f"`{file.name}`", clip_long=True)
            return
        await self._summarize(
            ctx, text, None, _("{author}'s message", author=literal(message.author.name))
        )

    @command("summarize channel", description="Summarize the recent conversation here", cooldown=10)
    async def summarize_channel(
        self,
        ctx: Context,
        messages: Annotated[
            int | None, Option("How many recent messages to read", min_value=1, max_value=1000)
        ] = None,
        since: Annotated[str | None, Option("How far back, e.g. 30m, 2h or 1d")] = None,
        sentences: Sentences = None,
    ) -> None:
        settings: SummarizeSettings = ctx.settings
        limit = messages or settings.max_messages
        if limit > settings.max_messages:
            raise BadOption(
                _("`messages` can be at most {n} here.", n=format_number(settings.max_messages))
            )
        window = parse_since(since) if since else None
        start = datetime.now(UTC) - window if window else None
        await ctx.defer()
        history = await ctx.channel_history(limit=limit, since=start)
        people = [
            m for m in history if not m.author.is_bot and (start is None or m.created_at >= start)
        ]
        lines = [ChatLine(m.author.name, m.content) for m in people if m.content.strip()]
        span = (
            _(" from the last {duration}", duration=describe_duration(window))
            if window
            else ""
        )
        if not lines:
            await ctx.reply(self._nothing_to_read(people, span), ephemeral=True)
            return
        lines = latest_within(lines, settings.max_input_chars)
        keep = target_length(settings, sentences, len(lines))
        outcome = await self.engines.run(
            ctx, lambda engine: summarize_chat(engine, lines, max_sentences=keep)
        )
        heading = ngettext(
            "**Summary of {n} message{span}**", "**Summary of {n} messages{span}**", len(lines),
            span=span,
        )
        await ctx.reply(self._render(heading, outcome, [line.text for line in lines]))

    @command(
        "summarize document",
        description="Summarize a document uploaded to this server (see /docs list)",
        cooldown=5,
    )
    async def summarize_document(
        self,
        ctx: Context,
        document: Annotated[str, Option("Document name or id", autocomplete="complete_document")],
        sentences: Sentences = None,
    ) -> None:
        if ctx.location.is_dm:
            raise SohbetError(_("Documents belong to a server: ask in one of its channels."))
        store = ctx.services.store
        doc = await find_document(store, ctx.server_id, ctx.location.effective_channel_id, document)
        await ctx.defer()
        vectors = await ctx.services.get("ai", AIProviders).vectors()
        text = await document_text(vectors, doc, ctx.server_id)
        await self._summarize(ctx, text, sentences, f"`{doc.name}`", clip_long=True)

    @command(
        "summarize file", description="Summarize an attached PDF, DOCX, TXT or web page", cooldown=5
    )
    async def summarize_file(
        self,
        ctx: Context,
        file: Annotated[Attachment, Option("The document to summarize")],
        sentences: Sentences = None,
    ) -> None:
        await ctx.defer()
        text = await attachment_text(file, self._max_bytes(ctx), operator_budget(ctx))
        await self._summarize(ctx, text, sentences, f"`{file.name}`", clip_long=True)

    async def complete_document(self, ctx: Context, partial: str) -> list[str]:
        docs = await visible_documents(
            ctx.services.store, ctx.server_id, ctx.location.effective_channel_id
        )
        return [d.name for d in docs if partial.casefold() in d.name.casefold()][:25]

    # ----- shared steps --------------------------------------------------------------------

    async def _summarize(
        self,
        ctx: Context,
        text: str,
        sentences: int | None,
        what: str,
        *,
        clip_long: bool = False,
    ) -> None:
        settings: SummarizeSettings = ctx.settings
        text = text.strip()
        if not text:
            raise SohbetError(_("There is no text to summarize in {what}.", what=what))
        cut = False
        if clip_long:
            text, cut = clip(text, settings.max_input_chars)
        elif len(text) > settings.max_input_chars:
            raise TextTooLong(
                len(text),
                settings.max_input_chars,
                "summarize",
                _(
                    "Attach it as a file with {command} to summarize its beginning.",
                    command=command_ref("summarize file"),
                ),
            )
        await ctx.defer()
        count = len(await in_thread(split_sentences, text))
        keep = target_length(settings, sentences, count)
        if count <= keep and settings.engine == "extractive":
            # Already as short as its summary: the text itself is the summary, not a refusal.
            heading = _summary_heading(what, count)
            shown = _("*(already as short as a summary: shown as it is)*")
            await ctx.reply(f"{heading}\n{literal(text)}\n{shown}")
            return
        outcome = await self.engines.run(
            ctx, lambda engine: engine.summarize(text, max_sentences=keep)
        )
        heading = _summary_heading(what, count)
        if cut:
            heading += _(" — only its first {n} characters", n=format_number(len(text)))
        await ctx.reply(self._render(heading, outcome, [text]))

    @staticmethod
    def _nothing_to_read(messages: list[Message], span: str) -> str:
        if any(not m.attachments for m in messages):  # text messages whose text we don't get
            return ngettext(
                "I can see {n} message{span} here but not its text: I may lack access to "
                "message content (on Discord, the bot needs the Message Content intent).",
                "I can see {n} messages{span} here but not their text: I may lack access to "
                "message content (on Discord, the bot needs the Message Content intent).",
                len(messages),
                span=span,
            )
        return _("There are no messages{span} to summarize here.", span=span)

    @staticmethod
    def _render(heading: str, outcome: Outcome, read: list[str]) -> str:
        """The summary is the model's text or sentences members wrote (`read`): either way it
        mentions no one, and what members formatted shows as they typed it."""
        lines = [heading, model_text(outcome.summary.text, read)]
        footer = outcome.note or _("{engine} summary", engine=outcome.summary.engine)
        lines.append(f"*({footer})*")
        return "\n".join(lines)

    @staticmethod
    def _max_bytes(ctx: Context) -> int:
        settings: SummarizeSettings = ctx.settings
        return int(settings.max_file_mb * 1_000_000)
