"""Teach: a server's admins adapt Sohbet to their community.

`/teach sentiment` labels texts (or the message picked with "Teach Sohbet") and trains the
server's own sentiment head; `/teach glossary` adds term pairs translations must use;
`/teach answer` fixes the answer to a question /ask is asked; `/teach persona` adds example
exchanges for chat; `/teach import` reads a CSV; `/teach status`, `rollback`, `confirm`,
`list` and `remove` manage it all. The work is the teaching service's (bot.teaching); this
plugin is its commands, shared by Discord, Telegram, the console, the dashboard and
`sohbet teach`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

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
from bot.core.settings import quoted
from bot.i18n import _, format_number
from bot.nlp.languages import normalize_language
from bot.store.teaching import TermRow
from bot.teaching import MIN_PER_CLASS, HeadReport, Pending, TeachingService
from bot.teaching.csv_rows import MAX_BYTES, read_answers, read_examples, read_terms
from plugins.teach.render import (
    counts_text,
    label_name,
    list_items,
    render_report,
    render_status,
    short,
)

__all__ = ["TeachPlugin", "TeachSettings"]

Label = Literal["positive", "neutral", "negative"]
ImportTask = Literal["sentiment", "glossary", "answers"]
Kind = Literal["sentiment", "glossary", "answers", "persona"]
_KIND = {"sentiment": "example", "glossary": "term", "answers": "answer", "persona": "persona"}


class TeachSettings(PluginSettings):
    min_examples_per_class: int = Field(
        MIN_PER_CLASS,
        ge=5,
        le=1000,
        description="Labelled examples each sentiment label needs before the server's own "
        "classifier is trained",
    )
    glossary_from: str = Field("en", max_length=16, description="Glossary source language")
    glossary_to: str = Field("tr", max_length=16, description="Glossary target language")


def _teaching(ctx: Context) -> TeachingService:
    try:
        return ctx.services.get("teaching", TeachingService)
    except LookupError:
        raise SohbetError(_("Teaching is not available on this bot.")) from None


def _server(ctx: Context) -> int:
    if ctx.location.is_dm or not ctx.server_id:
        raise SohbetError(_("Teach me in a server: what is taught belongs to one server."))
    return ctx.server_id


class TeachPlugin(Plugin):
    name = "teach"
    description = "Teach Sohbet this server's sentiment labels, terms, answers and tone"
    stored_data = (
        "Texts admins labelled for sentiment (with who wrote them), glossary terms, fixed "
        "answers (with who asked) and example exchanges admins wrote, per server."
    )
    Settings = TeachSettings

    # ----- sentiment ----------------------------------------------------------------------

    @command("teach sentiment", description="Label a text's sentiment for this server", admin=True)
    async def teach_sentiment(
        self,
        ctx: Context,
        label: Annotated[Label, Option("positive, neutral or negative")],
        text: Annotated[
            str | None,
            Option("The text (default: the message picked with “Teach Sohbet”)", max_length=2000),
        ] = None,
    ) -> None:
        server = _server(ctx)
        teaching = _teaching(ctx)
        writer: int | None = ctx.author.id
        source = "command"
        if text is None or not text.strip():
            pending = teaching.take_pending(server, ctx.author.id)
            if pending is None or pending.question is not None:
                raise SohbetError(
                    _(
                        "Give the text (`text:`), or first pick a message with the "
                        "“Teach Sohbet” message command."
                    )
                )
            text, writer, source = pending.text, pending.writer_id, "message"
        await ctx.defer(ephemeral=True)
        row = teaching.example(text, label, writer_id=writer, source=source)
        added, relabelled = await teaching.teach_sentiment(server, [row], ctx.author.id)
        shown = {"text": short(text), "label": label_name(label)}
        if relabelled:
            first = _("{text} is now **{label}** (relabelled).", **shown)
        elif added:
            first = _("{text} is **{label}** (taught).", **shown)
        else:
            first = _("{text} is **{label}** (already known).", **shown)
        await ctx.reply(f"{first}\n{await self._train(ctx, teaching)}", ephemeral=True)

    @command("teach train", description="Retrain this server's sentiment classifier", admin=True)
    async def train(self, ctx: Context) -> None:
        _server(ctx)
        await ctx.defer(ephemeral=True)
        await ctx.reply(await self._train(ctx, _teaching(ctx)), ephemeral=True)

    async def _train(self, ctx: Context, teaching: TeachingService) -> str:
        settings: TeachSettings = ctx.settings
        report: HeadReport | None = await teaching.train_sentiment(
            ctx.server_id, ctx.author.id, min_per_class=settings.min_examples_per_class
        )
        if report is None:
            counts = (await teaching.status(ctx.server_id)).counts
            return _(
                "This server has {counts} examples. Its own sentiment classifier is trained "
                "once at least two labels have {n} examples each.",
                counts=counts_text(counts),
                n=settings.min_examples_per_class,
            )
        return render_report(report)

    @command("teach status", description="What this server has taught Sohbet", admin=True)
    async def status(self, ctx: Context) -> None:
        status = await _teaching(ctx).status(_server(ctx))
        await ctx.reply(render_status(status), ephemeral=True)

    @command(
        "teach rollback",
        description="Go back to the previous sentiment classifier of this server",
        admin=True,
    )
    async def rollback(self, ctx: Context) -> None:
        undone, now = await _teaching(ctx).rollback(_server(ctx), ctx.author.id)
        if undone is None:
            raise SohbetError(_("This server has no sentiment classifier of its own to roll back."))
        if now:
            text = _(
                "Rolled back version {undone}: version {now} is current again.",
                undone=undone,
                now=now,
            )
        else:
            text = _(
                "Rolled back version {undone}: the default engine answers again.", undone=undone
            )
        await ctx.reply(text, ephemeral=True)

    @command(
        "teach confirm",
        description="Use this server's sentiment classifier although its bias check failed",
        admin=True,
    )
    async def confirm(self, ctx: Context) -> None:
        version = await _teaching(ctx).confirm(_server(ctx), ctx.author.id)
        if version is None:
            raise SohbetError(_("This server has no sentiment classifier of its own to confirm."))
        await ctx.reply(
            _(
                "Version {version} is confirmed: `auto` uses it wherever it beat the default "
                "engine.",
                version=version,
            ),
            ephemeral=True,
        )

    # ----- glossary, answers, persona -----------------------------------------------------

    @command("teach glossary", description="How this server translates a term", admin=True)
    async def glossary(
        self,
        ctx: Context,
        source: Annotated[str, Option("The term, e.g. Raid", max_length=200)],
        target: Annotated[str, Option("Its translation, e.g. Baskın", max_length=200)],
        from_: Annotated[
            str | None, Option("Language of the term (default: the setting)", name="from")
        ] = None,
        to: Annotated[str | None, Option("Language of the translation")] = None,
    ) -> None:
        settings: TeachSettings = ctx.settings
        src = normalize_language(from_ or settings.glossary_from)
        tgt = normalize_language(to or settings.glossary_to)
        if src == tgt:
            raise SohbetError(_("The term and its translation need two different languages."))
        if not source.strip() or not target.strip():
            raise SohbetError(_("Give both the term and its translation."))
        row = TermRow(src, tgt, source.strip(), target.strip())
        added, _changed = await _teaching(ctx).add_terms(_server(ctx), [row], ctx.author.id)
        values = {
            "pair": f"{src} → {tgt}",
            "source": quoted(source.strip()),
            "target": quoted(target.strip()),
        }
        if added:
            text = _("Glossary term added ({pair}): {source} → {target}.", **values)
        else:
            text = _("Glossary term updated ({pair}): {source} → {target}.", **values)
        await ctx.reply(text, ephemeral=True)

    @command("teach answer", description="Fix the answer to a question /ask gets", admin=True)
    async def answer(
        self,
        ctx: Context,
        answer: Annotated[str, Option("The right answer", max_length=4000)],
        question: Annotated[
            str | None,
            Option(
                "The question (default: the answer picked with “Teach Sohbet”)", max_length=2000
            ),
        ] = None,
    ) -> None:
        server = _server(ctx)
        teaching = _teaching(ctx)
        asker: int | None = None
        if question is None or not question.strip():
            pending = teaching.take_pending(server, ctx.author.id)
            if pending is None or pending.question is None:
                raise SohbetError(
                    _(
                        "Give the question (`question:`), or first pick my answer with the "
                        "“Teach Sohbet” message command."
                    )
                )
            question, asker = pending.question, pending.asker_id
        await ctx.defer(ephemeral=True)
        answer_id = await teaching.fix_answer(server, question, answer, ctx.author.id, asker)
        await ctx.reply(
            _(
                "Saved answer #{id}: /ask {question} (and questions that mean the same) is "
                "answered with it, marked as set by the server's admins.",
                id=answer_id,
                question=short(question),
            ),
            ephemeral=True,
        )

    @command("teach edit-answer", description="Change a fixed answer, by its id", admin=True)
    async def edit_answer(
        self,
        ctx: Context,
        item: Annotated[int, Option("Its id (see /teach list)", min_value=1)],
        answer: Annotated[str | None, Option("The new answer", max_length=4000)] = None,
        question: Annotated[str | None, Option("The new question", max_length=2000)] = None,
    ) -> None:
        server = _server(ctx)
        if not (answer or "").strip() and not (question or "").strip():
            raise SohbetError(_("Give the new answer, the new question, or both."))
        await ctx.defer(ephemeral=True)
        changed = await _teaching(ctx).edit_answer(
            server, item, ctx.author.id, question=question, answer=answer
        )
        if not changed:
            raise SohbetError(_("This server has no fixed answer #{id}.", id=item))
        await ctx.reply(_("Fixed answer #{id} is changed.", id=item), ephemeral=True)

    @command("teach persona", description="An example exchange for chat's tone", admin=True)
    async def persona(
        self,
        ctx: Context,
        member_says: Annotated[str, Option("What a member writes", max_length=1000)],
        bot_says: Annotated[str, Option("How Sohbet should answer", max_length=2000)],
        this_channel: Annotated[bool, Option("Only in this channel")] = False,
    ) -> None:
        if not member_says.strip() or not bot_says.strip():
            raise SohbetError(_("Give both what a member writes and how I should answer."))
        channel = ctx.location.effective_channel_id if this_channel else 0
        item = await _teaching(ctx).add_persona(
            _server(ctx), channel, member_says, bot_says, ctx.author.id
        )
        if channel:
            text = _("Example exchange #{id} added: chat follows it in this channel.", id=item)
        else:
            text = _("Example exchange #{id} added: chat follows it in this server.", id=item)
        await ctx.reply(text, ephemeral=True)

    # ----- import, list, remove -----------------------------------------------------------

    @command("teach import", description="Teach from a CSV file", admin=True)
    async def import_csv(
        self,
        ctx: Context,
        file: Annotated[Attachment, Option("CSV: text,label | source,target | question,answer")],
        task: Annotated[ImportTask, Option("What the file teaches")],
        from_: Annotated[str | None, Option("Glossary: language of the terms", name="from")] = None,
        to: Annotated[str | None, Option("Glossary: language of the translations")] = None,
    ) -> None:
        server = _server(ctx)
        teaching = _teaching(ctx)
        data = await file.read(max_bytes=MAX_BYTES)
        await ctx.defer(ephemeral=True)
        await ctx.reply(
            await self.import_rows(ctx, teaching, server, data, task, from_, to), ephemeral=True
        )

    async def import_rows(
        self,
        ctx: Context,
        teaching: TeachingService,
        server: int,
        data: bytes,
        task: ImportTask,
        from_: str | None,
        to: str | None,
    ) -> str:
        """Check every row, then store them all (CsvRejected: nothing stored)."""
        settings: TeachSettings = ctx.settings
        if task == "sentiment":
            examples = read_examples(data)
            rows = [
                teaching.example(e.text, e.label, writer_id=None, source="import") for e in examples
            ]
            added, relabelled = await teaching.teach_sentiment(server, rows, ctx.author.id)
            first = _(
                "Imported {added} new examples and relabelled {relabelled}.",
                added=format_number(added),
                relabelled=format_number(relabelled),
            )
            return f"{first}\n{await self._train(ctx, teaching)}"
        if task == "glossary":
            terms = read_terms(
                data,
                normalize_language(from_ or settings.glossary_from),
                normalize_language(to or settings.glossary_to),
            )
            added, changed = await teaching.add_terms(
                server,
                [TermRow(t.source_lang, t.target_lang, t.source, t.target) for t in terms],
                ctx.author.id,
            )
            return _(
                "Imported {added} new glossary terms and updated {changed}.",
                added=format_number(added),
                changed=format_number(changed),
            )
        answers = read_answers(data)
        for item in answers:  # checked above: these only fail if the database does
            await teaching.fix_answer(server, item.question, item.answer, ctx.author.id)
        return _("Imported {n} fixed answers.", n=format_number(len(answers)))

    @command("teach list", description="What this server taught, with ids", admin=True)
    async def list_taught(self, ctx: Context, what: Annotated[Kind, Option("Which kind")]) -> None:
        server = _server(ctx)
        repo = _teaching(ctx).repo
        items: list[tuple[int, str]]
        if what == "sentiment":
            items = [
                (e.id, f"{e.label}: {short(e.text, 80)}")
                for e in await repo.examples(server, "sentiment")
            ]
        elif what == "glossary":
            items = [
                (t.id, f"{t.source_lang}→{t.target_lang} {t.source_term} → {t.target_term}")
                for t in await repo.terms(server)
            ]
        elif what == "answers":
            items = [
                (a.id, f"{short(a.question, 60)} → {short(a.answer, 60)}")
                for a in await repo.answers(server)
            ]
        else:
            items = [
                (
                    p.id,
                    f"{'#' + str(p.channel_id) + ' ' if p.channel_id else ''}"
                    f"{short(p.user_text, 50)} → {short(p.bot_text, 50)}",
                )
                for p in await repo.persona(server)
            ]
        await ctx.reply(list_items(items), ephemeral=True)

    @command("teach remove", description="Remove something taught, by its id", admin=True)
    async def remove(
        self,
        ctx: Context,
        what: Annotated[Kind, Option("Which kind")],
        item: Annotated[int, Option("Its id (see /teach list)", min_value=1)],
    ) -> None:
        server = _server(ctx)
        teaching = _teaching(ctx)
        if not await teaching.remove(_KIND[what], server, item, ctx.author.id):
            raise SohbetError(_("This server has nothing taught with id #{id} there.", id=item))
        extra = ""
        if what == "sentiment":
            extra = "\n" + await self._train(ctx, teaching)
        await ctx.reply(_("Removed #{id}.", id=item) + extra, ephemeral=True)

    # ----- the message command ------------------------------------------------------------

    @message_command("Teach Sohbet", admin=True, ephemeral=True)
    async def pick(self, ctx: Context, message: Message) -> None:
        server = _server(ctx)
        teaching = _teaching(ctx)
        if message.author.is_bot:
            noted = teaching.answered_question(server, message.id)
            if noted is None:
                raise SohbetError(
                    _(
                        "I don't know which question that message answered. Fix it with "
                        "`/teach answer question:… answer:…`."
                    )
                )
            question, asker = noted
            teaching.pend(server, ctx.author.id, Pending(message.content, None, question, asker))
            await ctx.reply(
                _(
                    "That was my answer to {question}. Send the right answer with "
                    "`/teach answer answer:…`.",
                    question=short(question),
                ),
                ephemeral=True,
            )
            return
        if not message.content.strip():
            raise SohbetError(_("That message has no text to teach with."))
        teaching.pend(
            server, ctx.author.id, Pending(message.content, message.author.id, None, None)
        )
        await ctx.reply(
            _(
                "Picked {text}. Label it with `/teach sentiment label:positive` (or neutral, "
                "or negative).",
                text=short(message.content),
            ),
            ephemeral=True,
        )

    # ----- privacy ------------------------------------------------------------------------

    async def forget_user(self, user_id: int, server_id: int | None) -> dict[str, int]:
        teaching = self._service()
        return await teaching.forget_member(user_id, server_id) if teaching else {}

    async def export_user(self, user_id: int, server_id: int | None) -> dict[str, Any]:
        teaching = self._service()
        return await teaching.export_member(user_id, server_id) if teaching else {}

    def _service(self) -> TeachingService | None:
        if self.services is None:
            return None
        found = self.services.extras.get("teaching")
        return found if isinstance(found, TeachingService) else None
