"""Chat: conversation with persistent memory, persona per server/channel, streamed replies."""

from __future__ import annotations

from typing import Annotated, Literal

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from pydantic import Field, field_validator

from bot.ai.history import condense_history
from bot.ai.models import ModelConfig
from bot.ai.tokens import acounter_for
from bot.core import (
    ALLOWED_MODEL,
    Context,
    ConversationKey,
    Message,
    Option,
    Plugin,
    PluginSettings,
    SohbetError,
    command,
    listener,
)
from bot.core.registry import PluginRegistry
from bot.i18n import _
from bot.nlp import UnknownLanguage, normalize_language
from bot.nlp.reply_language import reply_language_instruction
from bot.providers import AIProviders, check_model_setting
from bot.store.repositories import HistoryTurn
from bot.teaching import TeachingService
from plugins.chat.reply_chain import reply_chain

__all__ = ["LINK_ROLE", "ChatPlugin", "ChatSettings", "conversation_key"]

# An answer split into several platform messages is stored once, under its first message id;
# each further id gets an empty row of this role, so a reply to any part finds the
# conversation (`find_by_platform_message`). These rows never reach the model.
LINK_ROLE = "link"

DEFAULT_PERSONA = (
    "You are Sohbet, a friendly and helpful assistant in a chat server. "
    "Answer clearly and concisely, in the language the person writes in."
)


class ChatSettings(PluginSettings):
    persona: str = Field(DEFAULT_PERSONA, max_length=4000, description="System prompt")
    model: Annotated[str, ALLOWED_MODEL] = Field(
        "", description="Model for chat here (empty: the server's `ai` model)"
    )
    conversation_mode: Literal["user", "channel", "reply"] = Field(
        "user", description="Private per member, shared per channel/thread, or per reply chain"
    )
    history_turns: int = Field(40, ge=0, le=200, description="Most turns read back per answer")
    example_tokens: int = Field(
        300,
        ge=0,
        le=2000,
        description="Most tokens of the example exchanges admins taught (/teach persona) "
        "in each prompt",
    )
    reply_language: str = Field(
        "auto",
        description="Language of answers: `auto` (the member's own) or a language such as tr",
    )

    @field_validator("reply_language")
    @classmethod
    def _language(cls, value: str) -> str:
        if value.strip().lower() in ("", "auto"):
            return "auto"
        try:
            return normalize_language(value)
        except UnknownLanguage as exc:
            raise ValueError(exc.user_message) from None


def conversation_key(ctx: Context, mode: str) -> ConversationKey:
    """The adapter's key when it knows one (thread, reply chain); else by the server's mode."""
    event = ctx.event
    if event.conversation is not None and not event.conversation.scope.startswith("user:"):
        return event.conversation
    loc = ctx.location
    if mode == "channel":
        return ConversationKey(loc.server_id, f"channel:{loc.effective_channel_id}")
    if mode == "reply" and isinstance(event, Message):
        return ConversationKey(loc.server_id, f"reply:{event.id}")
    return ConversationKey(loc.server_id, f"user:{ctx.author.id}:chan:{loc.effective_channel_id}")


def _as_message(turn: HistoryTurn, shared: bool) -> BaseMessage:
    if turn.role == "assistant":
        return AIMessage(turn.content)
    text = f"{turn.author_name}: {turn.content}" if shared and turn.author_name else turn.content
    return HumanMessage(text)


class ChatPlugin(Plugin):
    name = "chat"
    description = "Talk with the assistant; it remembers the conversation"
    stored_data = (
        "Your messages to the assistant and its replies, until you `/reset` or `/privacy "
        "forget` (none with `/privacy memory off`)."
    )
    uses_model = True
    Settings = ChatSettings

    async def check_setting(self, ctx: Context, key: str, settings: PluginSettings) -> None:
        await check_model_setting(ctx, key, settings)

    @listener()
    async def on_message(self, ctx: Context, message: Message) -> None:
        if message.content.strip():
            await self._converse(ctx, message.content, message.id)

    @command("chat", description="Say something to the assistant", cooldown=1)
    async def chat(
        self, ctx: Context, message: Annotated[str, Option("Your message", max_length=4000)]
    ) -> None:
        if not message.strip():
            raise SohbetError(_("Your message is empty: write something for me to answer."))
        await self._converse(ctx, message, None)

    @command("reset", description="Forget the current conversation")
    async def reset(self, ctx: Context) -> None:
        settings: ChatSettings = ctx.settings
        key = conversation_key(ctx, settings.conversation_mode)
        shared = not key.scope.startswith("user:") and not ctx.location.is_dm
        if shared and not ctx.author.is_admin:
            raise SohbetError(
                _(
                    "This conversation is shared by everyone here, so only admins (Manage "
                    "Server) can reset it."
                )
            )
        removed = await ctx.services.store.conversations.reset(key)
        text = (
            _("Done — I've forgotten our conversation here.")
            if removed
            else _("There was nothing to forget.")
        )
        await ctx.reply(text, ephemeral=True)

    async def _converse(self, ctx: Context, text: str, message_id: int | None) -> None:
        settings: ChatSettings = ctx.settings
        # Documents in chat: the docs plugin answers (with citations) when it is set to and
        # finds something relevant; a plugin that isn't loaded simply isn't asked.
        docs = ctx.services.get("registry", PluginRegistry).plugins.get("docs")
        from_documents = getattr(docs, "answer_in_chat", None)
        if from_documents is not None and await from_documents(ctx, text):
            return
        ai = ctx.services.get("ai", AIProviders)
        store = ctx.services.store
        key = conversation_key(ctx, settings.conversation_mode)
        shared = not key.scope.startswith("user:")
        await ctx.defer()
        cfg = await ai.model_for(ctx)
        # A member who chose not to be remembered (`/privacy memory off`, or a server where
        # memory is opt-in) is answered from this message and the platform's reply chain.
        remembered = await ctx.may_remember()
        summary, rows = "", list[HistoryTurn]()
        if remembered:
            summary, rows = await store.conversations.history(
                key, limit=2 * settings.history_turns
            )
        turns = [t for t in rows if t.role != LINK_ROLE]
        turns = turns[len(turns) - settings.history_turns :]  # the newest history_turns
        history = [_as_message(t, shared) for t in turns] if remembered else await reply_chain(ctx)
        new_text = f"{ctx.author.name}: {text}" if shared else text
        instruction = await reply_language_instruction(text, settings.reply_language)
        # The language named, at the end of the instructions: "the person's language" alone
        # is not enough for small models.
        persona = settings.persona + await _taught_examples(ctx, cfg, settings.example_tokens)
        persona = f"{persona}\n\n{instruction}" if instruction else persona
        fitted = await condense_history(
            ai.runner, cfg, persona, history, new_text, summary=summary or None
        )
        if fitted.summarized and turns:
            await ctx.remember_summary(
                key, fitted.summary or "", turns[len(fitted.summarized) - 1].id
            )
        if fitted.summary_tokens_in or fitted.summary_tokens_out:
            await store.usage.add(
                ctx.server_id, ctx.author.id, fitted.summary_tokens_in, fitted.summary_tokens_out
            )
        earlier = len(ctx.sent_message_ids)
        reply = await ctx.stream(
            ai.stream(fitted.messages, cfg, server_id=ctx.server_id, user_id=ctx.author.id)
        )
        sent = ctx.sent_message_ids[earlier:]  # the answer's platform messages
        await ctx.remember_turns(  # nothing, when the member chose not to be remembered
            [
                (key, "user", text, ctx.author.id, ctx.author.name, 0, message_id),
                (key, "assistant", reply, 0, "", 0, sent[0] if sent else None),
                *((key, LINK_ROLE, "", 0, "", 0, extra) for extra in sent[1:]),
            ]
        )


async def _taught_examples(ctx: Context, cfg: ModelConfig, max_tokens: int) -> str:
    """The example exchanges this server's admins taught (`/teach persona`), this channel's
    first, within `max_tokens`; "" when there are none."""
    teaching = ctx.services.extras.get("teaching")
    if not isinstance(teaching, TeachingService) or not ctx.server_id or max_tokens <= 0:
        return ""
    channel = ctx.location.effective_channel_id
    if not await teaching.has_persona(ctx.server_id, channel):
        return ""  # the common case: no tokenizer, no query (cached per server)
    counter = await acounter_for(cfg)
    examples = await teaching.persona_examples(
        ctx.server_id, ctx.location.effective_channel_id, counter.count_text, max_tokens
    )
    if not examples:
        return ""
    shown = "\n".join(f"Member: {member}\nYou: {bot}" for member, bot in examples)
    return (
        "\n\nExample exchanges from this server's admins (follow their tone and wording; "
        f"they are examples, not this conversation):\n{shown}"
    )
