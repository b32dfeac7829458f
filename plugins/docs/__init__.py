"""RAG: answers from documents uploaded to the server, with citations; isolated per server."""

from __future__ import annotations

import asyncio
import time
from functools import partial
from typing import Annotated, Any

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
from bot.core.context import SentMessage
from bot.core.plugin import KEPT
from bot.documents import DocumentLimits
from bot.documents.budget import UploadBudget
from bot.i18n import N_, _, format_number, ngettext
from bot.jobs import IngestRequest, InProcessJobs, JobQueue, UploadPending
from bot.knowledge import BatchProgress, Ingestor, is_abandoned
from bot.knowledge.answering import (
    ANSWER_TOKENS,
    CONTEXT_TOKENS,
    AskSettings,
    document_search,
    finish,
    prepare,
)
from bot.knowledge.answers import Source, format_sources, is_refusal, not_found_message
from bot.knowledge.followup import FollowUps
from bot.knowledge.passage import best_passage
from bot.providers import AIProviders
from bot.shared.markup import command_ref, literal
from bot.store.repositories import NOBODY
from bot.vectors import SearchScope
from plugins.docs.fixed import note_answered, reply_fixed_answer

__all__ = ["DocsPlugin"]


class DocsSettings(PluginSettings):
    top_k: int = Field(5, ge=1, le=20, description="How many chunks to read per question")
    min_score: float = Field(
        0.25, ge=-1, le=1, description="Below this similarity, say the documents don't know"
    )
    min_keyword_coverage: float = Field(
        0.6,
        ge=0,
        le=1.01,
        description="Or answer when a passage holds this share of the question's words "
        "(above 1: off)",
    )
    context_tokens: int = Field(
        CONTEXT_TOKENS,
        ge=0,
        le=4000,
        description="How much of the documents the model reads per question, in tokens: the "
        "sentences that matter most (0: whole passages; more is slower on a small CPU)",
    )
    answer_in_chat: bool = Field(
        False,
        description="Mentions and replies are answered from the documents (with sources) "
        "when they hold something relevant; otherwise chat answers as usual",
    )
    max_file_mb: float = Field(20, gt=0, le=100, description="Largest accepted upload")
    max_pages: int = Field(500, ge=1, le=5000, description="Most pages per document")
    upload_cpu_seconds: int = Field(
        30,
        ge=1,
        le=3600,
        description="Processing time one upload may use to be read (the operator's "
        "SOHBET_UPLOAD_MAX_CPU_S caps it)",
    )
    upload_memory_mb: int = Field(
        512,
        ge=64,
        le=65536,
        description="Memory one upload may use to be read (the operator's "
        "SOHBET_UPLOAD_MAX_MEMORY_MB caps it)",
    )


def upload_budget(ctx: Context, settings: DocsSettings) -> UploadBudget:
    """The server's budget per upload, within the operator's ceiling."""
    config = ctx.services.config
    ceiling = UploadBudget(config.upload_max_cpu_s, config.upload_max_memory_mb)
    return UploadBudget(settings.upload_cpu_seconds, settings.upload_memory_mb).within(ceiling)


def ingest_request(
    ctx: Context,
    settings: DocsSettings,
    file: Attachment,
    channel_only: bool,
    source_url: str | None,
) -> IngestRequest:
    """One file's upload, with this server's limits and budget."""
    budget = upload_budget(ctx, settings)
    return IngestRequest(
        file.name,
        server_id=ctx.server_id,
        uploader_id=ctx.author.id,
        channel_id=ctx.location.effective_channel_id if channel_only else None,
        source_url=source_url,
        content_type=file.content_type,
        max_bytes=int(settings.max_file_mb * 1_000_000),
        max_pages=settings.max_pages,
        cpu_seconds=budget.cpu_seconds,
        memory_mb=budget.memory_mb,
    )


# Upload progress by stage (bot.knowledge.ingest reports "parsing", "embedding", "storing").
_STAGES = {
    "parsing": N_("📄 Parsing **{name}**… {done}/{total}"),
    "embedding": N_("📄 Embedding **{name}**… {done}/{total}"),
    "storing": N_("📄 Storing **{name}**… {done}/{total}"),
}


class _ProgressMessage:
    """One status message, edited at most about once a second."""

    def __init__(self, ctx: Context, interval: float = 1.0) -> None:
        self.ctx = ctx
        self.interval = interval
        self.message: SentMessage | None = None
        self.last = 0.0

    @property
    def link(self) -> str | None:
        return self.message.link if self.message is not None else None

    async def show(self, text: str, force: bool = False) -> None:
        now = time.monotonic()
        if self.message is None:
            self.message = await self.ctx.reply(text)
            self.last = now
        elif force or now - self.last >= self.interval:
            await self.message.edit(text)
            self.last = now


class DocsPlugin(Plugin):
    name = "docs"
    description = "Answers from documents uploaded to this server, with sources"
    stored_data = (
        "Documents you upload (their text, split into chunks and vectors) and who uploaded them."
    )
    uses_model = True  # /ask streams a model answer: the server's token budgets apply
    Settings = DocsSettings

    def __init__(self) -> None:
        super().__init__()
        self.followups = FollowUps()  # in memory: the last questions, for follow-ups

    def _ai(self, ctx: Context) -> AIProviders:
        return ctx.services.get("ai", AIProviders)

    def _jobs(self, ctx: Context) -> JobQueue:
        """In this process, or on a worker when a broker is configured (bot.jobs)."""
        jobs: JobQueue | None = ctx.services.extras.get("jobs")
        return jobs or InProcessJobs(ctx.services.store, self._ai(ctx))

    async def _ingestor(self, ctx: Context) -> Ingestor:
        ai = self._ai(ctx)
        settings: DocsSettings = ctx.settings
        limits = DocumentLimits(
            max_bytes=int(settings.max_file_mb * 1_000_000), max_pages=settings.max_pages
        )
        return Ingestor(
            ctx.services.store,
            await ai.vectors(),
            await ai.embedder(),
            limits=limits,
            budget=upload_budget(ctx, settings),
        )

    # ----- upload ----------------------------------------------------------------------------

    @command(
        "docs upload",
        description="Add a document (PDF, DOCX, TXT, Markdown, HTML, CSV)",
        cooldown=5,
    )
    async def upload(
        self,
        ctx: Context,
        file: Annotated[Attachment, Option("The document to add")],
        channel_only: Annotated[bool, Option("Only answer from it in this channel")] = False,
        file2: Annotated[Attachment | None, Option("Another document")] = None,
        file3: Annotated[Attachment | None, Option("Another document")] = None,
        file4: Annotated[Attachment | None, Option("Another document")] = None,
        file5: Annotated[Attachment | None, Option("Another document")] = None,
        file6: Annotated[Attachment | None, Option("Another document")] = None,
        file7: Annotated[Attachment | None, Option("Another document")] = None,
        file8: Annotated[Attachment | None, Option("Another document")] = None,
        file9: Annotated[Attachment | None, Option("Another document")] = None,
        file10: Annotated[Attachment | None, Option("Another document")] = None,
    ) -> None:
        link = getattr(ctx.event, "link", None)
        more = [file2, file3, file4, file5, file6, file7, file8, file9, file10]
        files = [file, *(f for f in more if f is not None)]
        if len(files) == 1:
            await self._ingest_attachment(ctx, file, channel_only, link)
        else:
            await self._ingest_attachments(ctx, files, channel_only, link)

    @message_command("Add to documents", cooldown=5)
    async def add_from_message(self, ctx: Context, message: Message) -> None:
        if not message.attachments:
            raise SohbetError(_("That message has no attached file to add."))
        if len(message.attachments) == 1:
            await self._ingest_attachment(ctx, message.attachments[0], False, message.link)
        else:  # one ingestion run for all of them, one status message
            await self._ingest_attachments(ctx, list(message.attachments), False, message.link)

    async def _ingest_attachments(
        self, ctx: Context, files: list[Attachment], channel_only: bool, link: str | None
    ) -> None:
        """Several files in one run (one job on a worker): one status message for them all,
        each file's refusal told privately, the others added."""
        if ctx.location.is_dm:
            raise SohbetError(_("Documents belong to a server: upload them in a server channel."))
        settings: DocsSettings = ctx.settings
        await ctx.defer()
        max_bytes = int(settings.max_file_mb * 1_000_000)
        status = _ProgressMessage(ctx)
        await status.show(_("📄 Reading {n} files…", n=len(files)))
        refusals: list[str] = []
        requests: list[IngestRequest] = []
        blobs: list[bytes] = []
        for file in files:
            try:
                blobs.append(await file.read(max_bytes=max_bytes))
            except SohbetError as exc:
                refusals.append(exc.user_message)
                continue
            requests.append(
                ingest_request(ctx, settings, file, channel_only, link or status.link or file.url)
            )
        report = None
        if requests:
            latest: list[BatchProgress] = []
            changed = asyncio.Event()

            def progress(state: BatchProgress) -> None:
                latest[:] = [state]
                changed.set()

            async def relay() -> None:
                while True:
                    await changed.wait()
                    changed.clear()
                    state = latest[0]
                    text = _(
                        "📄 Adding {n} files: {progress} — {done}/{total}",
                        n=len(files),
                        progress=state.line(),
                        done=state.files_done,
                        total=state.files,
                    )
                    await status.show(text)

            relay_task = asyncio.create_task(relay())
            try:
                jobs = self._jobs(ctx)
                report = await jobs.ingest_many(requests, blobs, progress)
            except Exception:
                relay_task.cancel()
                await status.show(_("❌ The {n} files were not added.", n=len(files)), force=True)
                raise
            finally:
                relay_task.cancel()
            refusals += [o.sentence for o in report.outcomes if o.status != "added"]
        lines = []
        if report is not None:
            added = [o for o in report.outcomes if o.status == "added"]
            lines = [f"✅ {o.sentence}" for o in added[:10]]
            if len(added) > 10:
                lines.append(_("… and {n} more.", n=len(added) - 10))
            lines.append(report.summary())
        else:
            lines = [_("❌ None of the {n} files was added.", n=len(files))]
        await status.show("\n".join(lines), force=True)
        if refusals:
            await ctx.reply("\n".join(refusals), ephemeral=True)

    async def _ingest_attachment(
        self, ctx: Context, file: Attachment, channel_only: bool, link: str | None
    ) -> None:
        if ctx.location.is_dm:
            raise SohbetError(_("Documents belong to a server: upload them in a server channel."))
        settings: DocsSettings = ctx.settings
        await ctx.defer()
        data = await file.read(max_bytes=int(settings.max_file_mb * 1_000_000))
        status = _ProgressMessage(ctx)
        await status.show(_("📄 Reading **{name}**…", name=file.name))
        loop = asyncio.get_running_loop()
        updates: asyncio.Queue[str] = asyncio.Queue()

        def progress(stage: str, done: int, total: int) -> None:  # may run in a worker thread
            text = _(
                _STAGES.get(stage, "📄 {stage} **{name}**… {done}/{total}"),
                stage=stage.capitalize(),
                name=file.name,
                done=format_number(done),
                total=format_number(total),
            )
            loop.call_soon_threadsafe(updates.put_nowait, text)

        async def relay() -> None:
            while True:
                await status.show(await updates.get())

        relay_task = asyncio.create_task(relay())
        try:
            # A slash-command upload has no message of its own: cite the bot's status message
            # (permanent) rather than the file's CDN URL (which expires).
            request = ingest_request(
                ctx, settings, file, channel_only, link or status.link or file.url
            )
            jobs = self._jobs(ctx)
            result = await jobs.ingest(request, data, progress)
        except UploadPending:  # the queue went away: neither added nor refused yet
            relay_task.cancel()
            await status.show(_("⏳ **{name}** is not added yet.", name=file.name), force=True)
            raise  # the router tells the uploader what may still happen
        except Exception:  # a refusal or a crash: either way the status must not hang
            relay_task.cancel()
            await status.show(_("❌ **{name}** was not added.", name=file.name), force=True)
            raise  # the router tells the uploader why, privately
        finally:
            relay_task.cancel()
        await status.show("✅ " + result.summary(), force=True)

    # ----- questions ---------------------------------------------------------------------

    @command("ask", description="Ask a question answered from this server's documents", cooldown=2)
    async def ask(
        self,
        ctx: Context,
        question: Annotated[str, Option("Your question", max_length=1000)],
        this_channel: Annotated[bool, Option("Only use documents of this channel")] = False,
    ) -> None:
        if ctx.location.is_dm:
            raise SohbetError(_("Ask in a server channel: documents belong to a server."))
        if not question.strip():
            raise SohbetError(_("Write a question for me to look up in this server's documents."))
        settings: DocsSettings = ctx.settings
        await ctx.defer()
        await self._answer(ctx, question, settings, this_channel=this_channel)
        note_answered(ctx, question)  # for the admins' "Teach Sohbet" corrections

    async def answer_in_chat(self, ctx: Context, text: str) -> bool:
        """For the chat plugin: answer a mention or reply from this server's documents, with
        the same search and citations as /ask, when the `answer_in_chat` setting is on here
        and the documents hold something relevant. False: chat answers as usual."""
        if ctx.location.is_dm or not text.strip():
            return False
        services = ctx.services
        if not await services.settings.is_enabled(ctx.server_id, DocsPlugin):
            return False
        settings: DocsSettings = await services.settings.resolve(
            DocsPlugin, ctx.server_id, ctx.location.effective_channel_id
        )
        if not settings.answer_in_chat:
            return False
        return await self._answer(ctx, text, settings, quiet=True)

    async def _answer(
        self,
        ctx: Context,
        question: str,
        settings: DocsSettings,
        *,
        this_channel: bool = False,
        quiet: bool = False,
    ) -> bool:
        """Search, answer and cite; False (and, when `quiet`, no reply) when nothing relevant
        was found."""
        if await reply_fixed_answer(ctx, question):  # the admins' own answer comes first
            return True
        ai = self._ai(ctx)
        channel = ctx.location.effective_channel_id
        # Server-wide documents plus this channel's; never another channel's channel-only ones.
        search = document_search(
            await ai.vectors(),
            await ai.embedder(),
            SearchScope(ctx.server_id, channel, channel_only=this_channel),
            AskSettings(settings.top_k, settings.min_score, settings.min_keyword_coverage),
            # Only chunks of documents listed as ready here, from the first request on.
            ready_documents=partial(ctx.services.store.documents.ready_ids, ctx.server_id),
        )
        key = (ctx.server_id, channel, ctx.author.id)
        # bot.knowledge.answering: follow-up decision, search, what the model reads, prompt.
        prepared = await prepare(
            question, self.followups.previous(key), search, context_tokens=settings.context_tokens
        )
        if await ctx.may_remember():  # kept in memory only, but not even that when asked
            self.followups.remember(key, question)
        if prepared is None:
            if not quiet:
                await ctx.reply(await not_found_message(question))
            return False
        sources = prepared.sources
        if not await self._model_answers_well(ctx, ai):
            return await self._quote_passage(ctx, question, sources, quiet=quiet)
        answer = await ctx.stream(
            ai.stream_for(ctx, prepared.messages, max_new_tokens=ANSWER_TOKENS),
            quoted=[s.text for s in sources],
        )
        if is_refusal(answer):
            return True  # the model's own "the documents don't cover it" is the one answer
        checked = await asyncio.to_thread(finish, answer, prepared)  # sentence splitting
        await ctx.reply(format_sources(checked.cited, sources, checked.changes))
        return True

    @staticmethod
    async def _model_answers_well(ctx: Context, ai: AIProviders) -> bool:
        """What `sohbet eval` measured (or ships, for the bundled model) for this model."""
        from bot.ai.readiness import readiness

        cfg = await ai.model_for(ctx)
        verdict = await asyncio.to_thread(readiness, cfg, "documents", ctx.services.config.data_dir)
        return verdict.ready

    async def _quote_passage(
        self, ctx: Context, question: str, sources: list[Source], *, quiet: bool
    ) -> bool:
        """The model can't write answers from documents: the closest passage, cited."""
        passage = await asyncio.to_thread(best_passage, question, sources)  # sentence splitting
        if passage is None:
            if not quiet:
                await ctx.reply(await not_found_message(question))
            return False
        quoted = "\n".join(
            f"> {literal(line)}" for line in passage.text.splitlines() if line.strip()
        )
        await ctx.reply(
            f"{quoted}\n{format_sources([passage.source], sources)}\n"
            + _(
                "*The closest passage in the documents: this server's AI model can't write "
                "answers from documents well (measured), so it is quoted as it is.*"
            )
        )
        return True

    # ----- management --------------------------------------------------------------------

    @command("docs list", description="Documents of this server")
    async def list_documents(self, ctx: Context) -> None:
        docs = [
            d for d in await ctx.services.store.documents.list(ctx.server_id) if d.status == "ready"
        ]
        if not docs:
            await ctx.reply(
                _("No documents yet. Add one with {command}.", command=command_ref("docs upload")),
                ephemeral=True,
            )
            return
        lines = ["**" + ngettext("{n} document", "{n} documents", len(docs)) + "**"]
        for d in docs[:25]:
            where = _(" (channel <#{channel}>)", channel=d.channel_id) if d.channel_id else ""
            lines.append(
                _(
                    "`{id}` **{name}** — {pages} p., {chunks}, by <@{uploader}>{where}",
                    id=d.id[:8],
                    name=literal(d.name),
                    pages=format_number(d.pages),
                    chunks=ngettext("{n} chunk", "{n} chunks", d.chunks),
                    uploader=d.uploader_id,
                    where=where,
                )
                if d.uploader_id != NOBODY
                else _(
                    "`{id}` **{name}** — {pages} p., {chunks}, kept for everyone after its "
                    "uploader deleted their data{where}",
                    id=d.id[:8],
                    name=literal(d.name),
                    pages=format_number(d.pages),
                    chunks=ngettext("{n} chunk", "{n} chunks", d.chunks),
                    where=where,
                )
            )
        await ctx.reply("\n".join(lines), ephemeral=True)

    @command("docs delete", description="Delete a document (its uploader or an admin)")
    async def delete_document(
        self,
        ctx: Context,
        document: Annotated[str, Option("Document id or name", autocomplete="complete_document")],
    ) -> None:
        wanted = document.strip().lower()
        if not wanted:
            raise SohbetError(
                _(
                    "Say which document: its id or name from {command}.",
                    command=command_ref("docs list"),
                )
            )
        docs = await ctx.services.store.documents.list(ctx.server_id)
        match = [d for d in docs if d.name.lower() == wanted] or [
            d for d in docs if len(wanted) >= 4 and d.id.startswith(wanted)
        ]
        if not match:
            raise SohbetError(
                _(
                    "No document `{name}` on this server. See {command}.",
                    name=document,
                    command=command_ref("docs list"),
                )
            )
        if len(match) > 1:
            raise SohbetError(
                _(
                    "Several documents match; use the id from {command}.",
                    command=command_ref("docs list"),
                )
            )
        doc = match[0]
        if doc.uploader_id != ctx.author.id and not ctx.author.is_admin:
            raise SohbetError(
                _("Only the person who uploaded it or an admin (Manage Server) can delete it.")
            )
        if doc.status != "ready" and not await is_abandoned(ctx.services.store, doc):
            # Deleting now would race the upload: its next batches would land without a row.
            raise SohbetError(
                _("**{name}** is still being added; delete it once it's ready.", name=doc.name)
            )
        removed = await (await self._ingestor(ctx)).delete(ctx.server_id, doc.id)
        await ctx.reply(
            ngettext(
                "Deleted **{name}** and its {n} chunk.",
                "Deleted **{name}** and its {n} chunks.",
                removed,
                name=literal(doc.name),
            ),
            ephemeral=True,
        )

    async def complete_document(self, ctx: Context, partial: str) -> list[str]:
        docs = await ctx.services.store.documents.list(ctx.server_id)
        return [d.name for d in docs if partial.lower() in d.name.lower()][:25]

    async def export_user(self, user_id: int, server_id: int | None) -> dict[str, Any]:
        """The documents they uploaded: metadata and their text as stored (chunks)."""
        assert self.services is not None
        store = self.services.store
        if server_id is not None:
            servers = {server_id}
        else:
            servers = {server for _doc, server, _state in await store.documents.states()}
        mine = [
            d
            for server in sorted(servers)
            for d in await store.documents.list(server, uploader_id=user_id)
        ]
        if not mine:
            return {}
        vectors = await self.services.get("ai", AIProviders).vectors()
        documents = []
        for d in mine:
            chunks = await vectors.document_chunks(d.server_id, d.id)
            documents.append(
                {
                    "server_id": str(d.server_id),
                    "id": d.id,
                    "name": d.name,
                    "kind": d.kind,
                    "size_bytes": d.size,
                    "pages": d.pages,
                    "uploaded_at": d.created_at.isoformat(),
                    "source": d.source_url,
                    # The stored chunks as they are (neighbours overlap by a few words).
                    "chunks": [{"page": c.page, "text": c.text} for c in chunks],
                }
            )
        return {"documents": documents}

    async def keep_shared(self, user_id: int, server_id: int | None) -> dict[str, int]:
        """Documents stay for the server's members, uploaded by no one (NOBODY)."""
        assert self.services is not None
        if not await self.services.store.documents.count_by_uploader(user_id, server_id):
            return {}
        # Vectors first: should the rows fail, the chunks already don't name the member.
        vectors = await self.services.get("ai", AIProviders).vectors()
        await vectors.disown(user_id, server_id)
        kept = await self.services.store.documents.disown_by_uploader(user_id, server_id)
        return {f"{KEPT}documents": kept}

    async def forget_user(self, user_id: int, server_id: int | None) -> dict[str, int]:
        assert self.services is not None
        self.followups.forget_user(user_id)
        if not await self.services.store.documents.count_by_uploader(user_id, server_id):
            return {}  # nothing uploaded: no need for the vector store (which may be down)
        ai = self.services.get("ai", AIProviders)
        # Vectors first: a row without vectors is harmless, vectors without a row are not.
        vectors = await ai.vectors()
        chunks = await vectors.delete_by_uploader(user_id, server_id)
        docs = await self.services.store.documents.delete_by_uploader(user_id, server_id)
        compact = getattr(vectors, "compact", None)
        if chunks and compact is not None:  # the embedded store keeps deleted text on disk
            await compact()
        return {"documents": len(docs), "document chunks": chunks}
