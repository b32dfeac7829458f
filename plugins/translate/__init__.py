"""Translate: `/translate` and the "Translate message" context menu.

The source language is detected offline when not given; text already in the target language
is answered without a model call. The default engine is this server's chat model (through
`AIProviders`, so model choice, timeouts and token budgets apply); a seq2seq translation model
can be configured instead, with the chat model as fallback. Nothing is stored.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from typing import Annotated

from bot.ai.models import ModelConfig
from bot.ai.readiness import SETUP_HINT, readiness
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
from bot.i18n import _
from bot.nlp import Detected, EmptyText, detect_language, normalize_language
from bot.nlp.errors import TextTooLong
from bot.providers import AIProviders, check_model_setting
from bot.shared.markup import command_ref, model_text
from bot.teaching import Glossary, TeachingService
from plugins.translate.engines import ChatModelTranslator, FallbackTranslator, Translator
from plugins.translate.model import ProviderChatModel
from plugins.translate.pipeline import LimitedTranslator, Seq2SeqPool, check_seq2seq_model
from plugins.translate.presentation import (
    format_translation,
    same_language_text,
    suggest_languages,
)
from plugins.translate.settings import MAX_INPUT_CHARS, TranslateSettings

__all__ = ["TranslatePlugin", "TranslateSettings"]

log = logging.getLogger(__name__)


def chunk_chars(cfg: ModelConfig) -> int:
    """Characters per chat-model call, so a chunk's translation fits the answer token limit
    (about 1.5 characters per token leaves room for wordier target languages)."""
    return max(200, min(1500, int(cfg.max_new_tokens * 1.5)))


class TranslatePlugin(Plugin):
    name = "translate"
    description = "Translate text between languages"
    stored_data = ""  # nothing: texts are translated and forgotten (token counts belong to `ai`)
    Settings = TranslateSettings  # token budgets: checked here, for the chat engine only

    async def check_setting(self, ctx: Context, key: str, settings: PluginSettings) -> None:
        await check_model_setting(
            ctx, key, settings, task_field="seq2seq_model", task="translation"
        )

    def __init__(self) -> None:
        super().__init__()
        self.seq2seq = Seq2SeqPool()

    async def close(self) -> None:
        self.seq2seq.clear()

    # ----- commands ------------------------------------------------------------------------

    @command("translate", description="Translate text into another language", cooldown=2)
    async def translate(
        self,
        ctx: Context,
        text: Annotated[str, Option("The text to translate", max_length=MAX_INPUT_CHARS)],
        to: Annotated[
            str | None,
            Option(
                "Language to translate into, e.g. en, Turkish, Türkçe (default: the server's)",
                autocomplete="complete_to",
            ),
        ] = None,
        source: Annotated[
            str | None,
            Option(
                "Language of the text (default: detected)",
                name="from",
                autocomplete="complete_source",
            ),
        ] = None,
    ) -> None:
        await self._translate(ctx, text, to, source, ephemeral=False)

    @message_command("Translate message", cooldown=2, ephemeral=True)
    async def translate_message(self, ctx: Context, message: Message) -> None:
        if not message.content.strip():
            raise SohbetError(_("That message has no text I can translate."))
        await self._translate(ctx, message.content, None, None, ephemeral=True)

    async def complete_to(self, ctx: Context, partial: str) -> list[str]:
        return suggest_languages(partial)

    async def complete_source(self, ctx: Context, partial: str) -> list[str]:
        return suggest_languages(partial)

    # ----- the work ------------------------------------------------------------------------

    async def _translate(
        self, ctx: Context, text: str, to: str | None, source: str | None, *, ephemeral: bool
    ) -> None:
        settings: TranslateSettings = ctx.settings
        target = normalize_language(to) if to else settings.default_target
        source_code = normalize_language(source) if source else None
        if not text.strip():
            raise EmptyText("translate")
        if len(text) > settings.max_input_chars:
            raise TextTooLong(len(text), settings.max_input_chars, "translate")
        detected: Detected | None = None
        if source_code is None:
            detected = await detect_language(text)  # LanguageNotDetected: a friendly error
        already = same_language_text(target, detected=detected is not None)
        same = source_code or (detected.code if detected and detected.reliable else None)
        if same == target:  # no model call for text already in the target language
            await ctx.reply(already, ephemeral=True)
            return
        await ctx.defer(ephemeral=ephemeral)
        glossary = await _glossary(ctx, source_code or same, target)
        translator, preferred = await self._translator(ctx, settings, glossary)
        result = await translator.translate(text, target, source_code)
        if result.same_language:
            await ctx.reply(already, ephemeral=True)
            return
        fallback_from = None
        if preferred != "chat" and result.engine == "chat":
            log.info("translate: %s did not answer; the chat model did", preferred)
            fallback_from = preferred
        # The model's text: it may not mention anyone, nor format what the member typed.
        result = replace(result, text=model_text(result.text, [text]))
        reply = format_translation(result, detected=detected, fallback_from=fallback_from)
        await ctx.reply(reply, ephemeral=ephemeral)

    async def _translator(
        self, ctx: Context, settings: TranslateSettings, glossary: Glossary | None = None
    ) -> tuple[Translator, str]:
        """The engine(s) for this request, and the name of the configured one."""
        engines: list[Translator] = []
        if settings.engine == "seq2seq":
            try:
                model_id = check_seq2seq_model(
                    settings.seq2seq_model, ctx.services.config.allowed_models
                )
                seq2seq = self.seq2seq.get(model_id)
                engines.append(
                    LimitedTranslator(
                        seq2seq,
                        timeout=settings.timeout_s,
                        max_input_chars=settings.max_input_chars,
                    )
                )
            except SohbetError:
                if not settings.fallback:
                    raise
        refusal = await ctx.budget_refusal()  # only the chat model spends tokens
        if refusal is not None and not engines:
            raise SohbetError(refusal)
        if (settings.engine == "chat" or settings.fallback) and refusal is None:
            ai = ctx.services.get("ai", AIProviders)
            cfg = await ai.model_for(ctx)
            # A saved evaluation is a file: read it off the event loop.
            verdict = await asyncio.to_thread(
                readiness, cfg, "translation", ctx.services.config.data_dir
            )
            if not verdict.ready and not engines:
                # Measured worse than copying the text: say so, don't show it as a translation.
                raise SohbetError(
                    _(
                        "The current AI model (`{model}`) can't translate well enough to help "
                        "({reason}). {hint}, or a translation model: {command} with "
                        "`seq2seq_model` (Opus-MT, NLLB).",
                        command=command_ref(
                            "plugins config set", plugin="translate", key="engine", value="seq2seq"
                        ),
                        model=cfg.model,
                        reason=_(verdict.reason),
                        hint=_(SETUP_HINT),
                    )
                )
            chat_model = ProviderChatModel(
                providers=ai, cfg=cfg, server_id=ctx.server_id, user_id=ctx.author.id
            )
            engines.append(
                ChatModelTranslator(
                    chat_model,
                    max_chunk_chars=chunk_chars(cfg),
                    timeout=settings.timeout_s,
                    max_input_chars=settings.max_input_chars,
                    check_output=True,
                    glossary=glossary,
                )
            )
        translator = engines[0] if len(engines) == 1 else FallbackTranslator(engines)
        return translator, ("chat" if settings.engine == "chat" else "seq2seq")


async def _glossary(ctx: Context, source: str | None, target: str) -> Glossary | None:
    """This server's glossary for the language pair, when its admins taught one
    (`/teach glossary`); None when the source language is unknown or nothing was taught."""
    teaching = ctx.services.extras.get("teaching")
    if source is None or not ctx.server_id or not isinstance(teaching, TeachingService):
        return None
    glossary = await teaching.glossary(ctx.server_id, source, target)
    return glossary if glossary.terms else None
