"""`ai`: the server's model choice and token budgets; `/ai status` shows usage."""

from __future__ import annotations

import asyncio
from typing import Annotated, Literal

from pydantic import Field

from bot.ai.readiness import readiness_table
from bot.core import (
    ALLOWED_MODEL,
    Context,
    Plugin,
    PluginSettings,
    Router,
    Services,
    SohbetError,
    command,
)
from bot.core.services import TOKEN_BUDGET
from bot.i18n import N_, _, format_number
from bot.providers import AIProviders
from bot.shared.markup import command_ref

__all__ = ["AIPlugin", "AISettings", "budget_guard", "budget_refusal"]

# The tasks of bot.ai.readiness, as /ai status names them.
TASKS = {
    "chat": N_("chat"),
    "translation": N_("translation"),
    "summarization": N_("summarization"),
    "sentiment": N_("sentiment"),
    "documents": N_("documents"),
}


class AISettings(PluginSettings):
    provider: Literal["", "transformers", "openai", "llamacpp"] = Field(
        "", description="Model provider (empty: the operator's default)"
    )
    model: Annotated[str, ALLOWED_MODEL] = Field(
        "", description="Model from the operator's allow list (empty: default)"
    )
    temperature: float | None = Field(None, ge=0, le=2, description="Sampling temperature")
    max_new_tokens: int | None = Field(
        None, ge=16, le=4096, description="Longest answer, in tokens"
    )
    daily_user_tokens: int = Field(0, ge=0, description="Tokens per member per day (0: no limit)")
    daily_server_tokens: int = Field(0, ge=0, description="Tokens per server per day (0: no limit)")


class AIPlugin(Plugin):
    name = "ai"
    description = "Model choice and daily token budgets for this server"
    stored_data = "How many model tokens you used per day (for budgets)."
    Settings = AISettings

    async def check_setting(self, ctx: Context, key: str, settings: PluginSettings) -> None:
        assert isinstance(settings, AISettings)
        if key not in ("provider", "model"):
            return
        ai = ctx.services.get("ai", AIProviders)
        try:
            await ai.check_choice(ctx, provider=settings.provider, model=settings.model or None)
        except SohbetError as exc:
            if key != "provider":
                raise
            raise SohbetError(
                exc.user_message
                + " "
                + _(
                    "To switch provider and model together, set the model as `provider:model`, "
                    "e.g. {example}.",
                    example=command_ref(
                        "plugins config set", plugin="ai", key="model", value="openai:gpt-4o-mini"
                    ),
                )
            ) from None

    async def setup(self, services: Services) -> None:
        await super().setup(services)
        services.get("router", Router).guards.append(budget_guard)
        services.extras[TOKEN_BUDGET] = budget_refusal  # Context.budget_refusal() asks it

    @command("ai status", description="Which model answers here and today's token use")
    async def status(self, ctx: Context) -> None:
        ai = ctx.services.get("ai", AIProviders)
        cfg = await ai.model_for(ctx)
        settings: AISettings = ctx.settings
        mine = await ctx.services.store.usage.tokens_today(ctx.server_id, ctx.author.id)
        server = await ctx.services.store.usage.tokens_today(ctx.server_id)
        no_limit = _("no limit")
        user_limit = settings.daily_user_tokens
        server_limit = settings.daily_server_tokens
        where = "".join(f"{line}\n" for line in ai.status_lines(cfg))
        table = await asyncio.to_thread(readiness_table, cfg, ctx.services.config.data_dir)
        tasks = "\n".join(f"{r.mark} {_(TASKS.get(r.task, r.task))}: {_(r.reason)}" for r in table)
        lines = [
            _("Model: `{provider}` / `{model}`", provider=cfg.provider, model=cfg.model),
            where.rstrip("\n"),
            _(
                "Your tokens today: {used} (limit: {limit})",
                used=format_number(mine),
                limit=format_number(user_limit) if user_limit else no_limit,
            ),
            _(
                "Server tokens today: {used} (limit: {limit})",
                used=format_number(server),
                limit=format_number(server_limit) if server_limit else no_limit,
            ),
            (await _jobs_line(ctx)).rstrip("\n"),
            _("**Tasks with this model**"),
            tasks,
        ]
        await ctx.reply("\n".join(line for line in lines if line), ephemeral=True)


async def _jobs_line(ctx: Context) -> str:
    """Queue depth, oldest job's wait and workers (bot.jobs); empty when unavailable."""
    jobs = ctx.services.extras.get("jobs")
    if jobs is None:
        return ""
    try:
        return f"{(await jobs.stats()).line()}\n"
    except Exception:  # the broker is down: the rest of the status still helps
        return _("Jobs: the broker does not answer") + "\n"


async def budget_refusal(ctx: Context) -> str | None:
    """Why a model call here would exceed a daily token budget of the `ai` plugin; None when
    it is within them (or the plugin isn't installed). For plugins that check themselves."""
    from bot.core.registry import PluginRegistry

    ai_plugin = ctx.services.get("registry", PluginRegistry).plugins.get("ai")
    if ai_plugin is None:
        return None
    settings = await ctx.services.settings.resolve(
        type(ai_plugin), ctx.server_id, ctx.location.effective_channel_id
    )
    assert isinstance(settings, AISettings)
    usage = ctx.services.store.usage
    if settings.daily_user_tokens:
        used = await usage.tokens_today(ctx.server_id, ctx.author.id)
        if used >= settings.daily_user_tokens:
            return _(
                "You've used your {tokens} AI tokens for today on this server. The budget "
                "resets at midnight UTC.",
                tokens=format_number(settings.daily_user_tokens),
            )
    if settings.daily_server_tokens:
        used = await usage.tokens_today(ctx.server_id)
        if used >= settings.daily_server_tokens:
            return _(
                "This server has used its AI token budget for today. It resets at midnight UTC."
            )
    return None


async def budget_guard(ctx: Context) -> None:
    """Router guard: refuse model-using plugins once a daily token budget is spent."""
    if not type(ctx.plugin).uses_model:
        return
    refusal = await budget_refusal(ctx)
    if refusal is not None:
        raise SohbetError(refusal)
