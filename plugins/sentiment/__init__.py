"""Sentiment: is a text, a message or a channel's recent talk positive, neutral or negative?

`/sentiment text`, the "Analyze sentiment" context-menu command and `/sentiment channel`. The
default engine (`auto`: VADER for English, the shipped multilingual classifier otherwise) works
offline, and asks the chat model instead when `sohbet eval` measured the model above it;
`transformers` runs a Hugging Face classifier and `llm` asks the server's chat model. A server
whose admins taught labels (`/teach sentiment`, bot.teaching) gets its own classifier in
`auto` where it measured better than the default engine on their examples. Nothing is stored:
texts are analysed in memory and forgotten.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from pydantic import Field

from bot.ai.model_policy import check_task_model
from bot.core import (
    Context,
    Message,
    Option,
    Plugin,
    PluginSettings,
    SohbetError,
    command,
    message_command,
)
from bot.core.services import Services
from bot.i18n import _, format_number
from bot.nlp.errors import EmptyText, TextTooLong
from bot.nlp.runtime import TASK_ENGINES, with_timeout
from bot.teaching import TeachingService
from plugins.sentiment.engines import (
    EngineChoice,
    Limits,
    SentimentEngine,
    SentimentResult,
    create_engine,
)
from plugins.sentiment.engines.taught import TaughtEngine
from plugins.sentiment.mood import Scored, excerpt, format_mood, format_result, summarize

__all__ = ["SentimentPlugin", "SentimentSettings"]

MAX_MESSAGES = 200  # hard ceiling of the `max_messages` setting (one engine batch)
MAX_CHARS = 5000  # hard ceiling of the `max_chars` setting
# The engines' own guard rails are the settings' ceilings; handlers apply the actual settings.
ENGINE_LIMITS = Limits(timeout=300.0, max_chars=MAX_CHARS, max_batch=MAX_MESSAGES)
DEFAULT_TRANSFORMERS_MODEL = "cardiffnlp/twitter-xlm-roberta-base-sentiment"


class SentimentSettings(PluginSettings):
    engine: EngineChoice = Field(
        "auto",
        description="auto (VADER for English, multilingual otherwise), vader, multilingual, "
        "transformers (a Hugging Face model) or llm (this server's chat model)",
    )
    transformers_model: str = Field(
        DEFAULT_TRANSFORMERS_MODEL,
        max_length=300,
        description="Hugging Face model id or folder for the transformers engine",
    )
    max_messages: int = Field(
        50, ge=1, le=MAX_MESSAGES, description="Most messages /sentiment channel reads"
    )
    max_chars: int = Field(
        2000, ge=20, le=MAX_CHARS, description="Longest text analysed, in characters"
    )
    timeout: float = Field(30.0, ge=1, le=300, description="Seconds before giving up")


class SentimentPlugin(Plugin):
    name = "sentiment"
    description = "How positive or negative a text, a message or this channel sounds"
    stored_data = ""  # nothing: texts are analysed in memory and forgotten
    Settings = SentimentSettings

    async def check_setting(self, ctx: Context, key: str, settings: PluginSettings) -> None:
        from bot.providers import check_model_setting  # LangChain: only when admins change

        await check_model_setting(
            ctx, key, settings, task_field="transformers_model", task="sentiment"
        )

    async def setup(self, services: Services) -> None:
        await super().setup(services)
        teaching = services.extras.get("teaching")
        if isinstance(teaching, TeachingService):
            # A server's taught head must beat this engine on the server's own examples.
            teaching.set_sentiment_baseline("auto", self._default_labels)

    async def _default_labels(self, texts: Sequence[str]) -> list[str]:
        engine = self._offline_engine("auto", "")
        return [r.label for r in await engine.analyze_many([t[:MAX_CHARS] for t in texts])]

    def _offline_engine(self, choice: EngineChoice, model: str) -> SentimentEngine:
        # Offline and transformers engines, in the task plugins' shared pool: models load once.
        return TASK_ENGINES.get(
            "sentiment",
            (choice, model),
            lambda: create_engine(choice, model=model, limits=ENGINE_LIMITS),
        )

    async def close(self) -> None:
        TASK_ENGINES.drop("sentiment")

    # ----- commands ------------------------------------------------------------------------

    @command("sentiment text", description="Is a text positive, neutral or negative?", cooldown=1)
    async def analyze_text(
        self,
        ctx: Context,
        text: Annotated[str, Option("The text to analyse", max_length=MAX_CHARS)],
    ) -> None:
        settings: SentimentSettings = ctx.settings
        text = text.strip()
        if not text:
            raise EmptyText("analyse")
        if len(text) > settings.max_chars:
            raise TextTooLong(len(text), settings.max_chars, "analyse")
        await ctx.defer()
        (result,) = await self._analyze(ctx, [text])
        await ctx.reply(format_result(result))

    @message_command("Analyze sentiment", cooldown=1, ephemeral=True)
    async def analyze_message(self, ctx: Context, message: Message) -> None:
        settings: SentimentSettings = ctx.settings
        text = message.content.strip()
        if not text:
            raise SohbetError(_("That message has no text for me to analyse."))
        await ctx.defer(ephemeral=True)
        (result,) = await self._analyze(ctx, [text[: settings.max_chars]])
        cut = (
            "\n"
            + _(
                "(I read its first {n} characters.)",
                n=format_number(settings.max_chars),
            )
            if len(text) > settings.max_chars
            else ""
        )
        author = excerpt(message.author.name, 40).strip("“”")
        heading = _("{author}'s message {quote}", author=author, quote=excerpt(text))
        await ctx.reply(f"{heading}\n{format_result(result)}{cut}", ephemeral=True)

    @command(
        "sentiment channel",
        description="The mood of this channel's recent messages",
        cooldown=10,
    )
    async def analyze_channel(
        self,
        ctx: Context,
        messages: Annotated[
            int | None,
            Option("How many recent messages to read", min_value=1, max_value=MAX_MESSAGES),
        ] = None,
    ) -> None:
        settings: SentimentSettings = ctx.settings
        wanted = messages or settings.max_messages
        limit = min(wanted, settings.max_messages)
        await ctx.defer()
        history = await ctx.channel_history(limit)
        readable = [m for m in history if not m.author.is_bot and m.content.strip()]
        if not readable:
            raise SohbetError(
                _(
                    "There are no messages from members here for me to read yet (I skip bots "
                    "and messages without text)."
                )
            )
        texts = [m.content.strip()[: settings.max_chars] for m in readable]
        results = await self._analyze(ctx, texts)
        mood = summarize([Scored(m, r) for m, r in zip(readable, results, strict=True)])
        note = (
            _("I read at most {n} messages here", n=settings.max_messages)
            if wanted > limit
            else ""
        )
        await ctx.reply(format_mood(mood, note=note))

    # ----- engines -------------------------------------------------------------------------

    async def _analyze(self, ctx: Context, texts: Sequence[str]) -> list[SentimentResult]:
        settings: SentimentSettings = ctx.settings
        engine = await self._engine(ctx, settings)
        return await with_timeout(
            engine.analyze_many(texts), engine=engine.name, seconds=settings.timeout
        )

    async def _engine(self, ctx: Context, settings: SentimentSettings) -> SentimentEngine:
        if settings.engine == "auto":
            # Measured on this server's own examples: the most relevant evidence there is.
            taught = await self._taught_engine(ctx)
            if taught is not None:
                return taught
        if settings.engine == "llm" or (
            settings.engine == "auto" and await self._model_measured_better(ctx)
        ):
            return await self._llm_engine(ctx, settings)
        # Kept per engine and model only: the handlers apply this channel's size limit and
        # timeout themselves, so a model is never loaded twice for different settings.
        key = (
            settings.engine,
            settings.transformers_model if settings.engine == "transformers" else "",
        )
        if key[1]:
            check_task_model(key[1], ctx.services.config.allowed_models, what="sentiment")
        return self._offline_engine(settings.engine, key[1])

    @staticmethod
    async def _taught_engine(ctx: Context) -> SentimentEngine | None:
        """This server's own classifier, when its admins taught one that measured better
        than the default engine on their examples (bot.teaching decides)."""
        teaching = ctx.services.extras.get("teaching")
        if not isinstance(teaching, TeachingService) or not ctx.server_id:
            return None
        head = await teaching.sentiment_head(ctx.server_id)
        return TaughtEngine(head, limits=ENGINE_LIMITS) if head is not None else None

    @staticmethod
    async def _model_measured_better(ctx: Context) -> bool:
        """`auto` asks the chat model when `sohbet eval` measured it clearly above the
        offline default on the same texts (never without a measurement)."""
        import asyncio

        from bot.ai.readiness import eval_folder, llm_sentiment_preferred

        if not await asyncio.to_thread(eval_folder(ctx.services.config.data_dir).is_dir):
            return False  # nothing measured here: LangChain isn't even loaded
        from bot.providers import AIProviders

        try:
            ai = ctx.services.get("ai", AIProviders)
        except LookupError:
            return False
        cfg = await ai.model_for(ctx)
        return await asyncio.to_thread(
            llm_sentiment_preferred, cfg, ctx.services.config.data_dir
        )

    async def _llm_engine(self, ctx: Context, settings: SentimentSettings) -> SentimentEngine:
        from bot.providers import AIProviders  # LangChain: loaded only when the llm is chosen
        from plugins.sentiment.llm_provider import ProviderLLMEngine

        await self._check_budget(ctx)
        ai = ctx.services.get("ai", AIProviders)
        cfg = await ai.model_for(ctx)
        return ProviderLLMEngine(
            ai,
            cfg,
            server_id=ctx.server_id,
            user_id=ctx.author.id,
            max_concurrency=1 if cfg.is_local else 4,
            limits=Limits(settings.timeout, settings.max_chars, MAX_MESSAGES),
        )

    @staticmethod
    async def _check_budget(ctx: Context) -> None:
        """The `ai` plugin's daily token budgets apply to the llm engine (the others spend no
        tokens, so the plugin as a whole is not marked ``uses_model``)."""
        refusal = await ctx.budget_refusal()
        if refusal is not None:
            raise SohbetError(refusal)
