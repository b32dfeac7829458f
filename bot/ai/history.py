"""Fitting a conversation into a model's context, with a running summary of older turns.

`fit_history` (sync, pure) keeps the system prompt and the new message, then as much recent
history as the token budget allows; what does not fit is returned in `dropped`.
`condense_history` (async) folds dropped turns into a running summary written by the model and
fits again, so the prompt is trimmed before the provider would reject it. The chat plugin
stores `summary` and stops passing the turns listed in `summarized`.

The summary is merged into the system message (one system message first works with every
chat template).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from bot.ai.errors import ContextTooLongError
from bot.ai.models import ModelConfig
from bot.ai.tokens import (
    MESSAGE_OVERHEAD,
    HeuristicCounter,
    TokenCounter,
    acounter_for,
    context_window_for,
    prompt_budget,
)

__all__ = [
    "SUMMARY_HEADER",
    "Completer",
    "FittedPrompt",
    "condense_history",
    "fit_history",
    "summarize_turns",
]

log = logging.getLogger(__name__)

SUMMARY_HEADER = "Summary of the earlier conversation:"
_SUMMARIZER_PROMPT = (
    "You condense chat transcripts. Write a short summary (at most {words} words) of the "
    "conversation you are given, merged with the earlier summary if there is one. Keep names, "
    "facts, decisions, preferences and open questions. Reply with the summary only."
)


class _CompletionLike(Protocol):
    @property
    def text(self) -> str: ...

    @property
    def tokens_in(self) -> int: ...

    @property
    def tokens_out(self) -> int: ...


class Completer(Protocol):
    """What summarizing needs from a runner (`ChatRunner` fits)."""

    async def complete(self, messages: list[BaseMessage], cfg: ModelConfig) -> _CompletionLike: ...


@dataclass(frozen=True)
class FittedPrompt:
    """A prompt that fits the budget, and what was left out to get there."""

    messages: list[BaseMessage]  # system (+ summary), kept history, new message
    kept: list[BaseMessage]  # history messages in the prompt
    dropped: list[BaseMessage]  # history messages left out, oldest first, not in the summary
    tokens: int  # prompt tokens as counted by the counter used
    summary: str | None = None  # the running summary to store (also in messages[0])
    summarized: list[BaseMessage] = field(default_factory=list)  # folded into `summary` now
    summary_tokens_in: int = 0  # usage of the summarizing calls, for accounting
    summary_tokens_out: int = 0


def fit_history(
    system: str | SystemMessage | None,
    history: Sequence[BaseMessage],
    new_message: str | BaseMessage,
    budget: int,
    *,
    counter: TokenCounter | None = None,
    summary: str | None = None,
) -> FittedPrompt:
    """Keep the newest history that fits `budget` tokens; never drop system or new message.

    Raises `ContextTooLongError` when the system prompt, summary and new message alone are
    over the budget (the person must shorten the message; nothing is silently cut).
    """
    counter = counter or HeuristicCounter()
    history = list(history)
    head = _system_message(system, summary)
    new = HumanMessage(new_message) if isinstance(new_message, str) else new_message
    fixed = [*head, new]
    base = counter.count_messages(fixed)
    if base > budget:
        raise ContextTooLongError(
            f"system + new message need {base} tokens; budget is {budget}",
            user_message=(
                f"Your message is too long for this model (about {base} tokens; it can take "
                f"about {budget}). Please shorten it."
            ),
        )
    # Newest first, with per-message estimates; then one exact check of the whole prompt.
    used, start = base, len(history)
    for index in range(len(history) - 1, -1, -1):
        cost = MESSAGE_OVERHEAD + counter.count_text(history[index].text)
        if used + cost > budget:
            break
        used, start = used + cost, index
    start = _turn_start(history, start)
    while True:
        messages = [*head, *history[start:], new]
        total = counter.count_messages(messages)
        if total <= budget or start >= len(history):
            break
        start = _turn_start(history, start + 1)
    return FittedPrompt(messages, history[start:], history[:start], total, summary)


async def summarize_turns(
    runner: Completer,
    cfg: ModelConfig,
    turns: Sequence[BaseMessage],
    *,
    previous: str | None = None,
    max_tokens: int = 200,
    counter: TokenCounter | None = None,
) -> tuple[str, int, int]:
    """Fold `turns` into the running summary. Returns (summary, tokens_in, tokens_out).

    Transcripts longer than the model's window are summarized in pieces, each piece folded
    into the summary of the ones before.
    """
    counter = counter or await acounter_for(cfg)
    window = await asyncio.to_thread(context_window_for, cfg)
    words = max(20, int(max_tokens * 0.6))
    instructions = _SUMMARIZER_PROMPT.format(words=words)
    piece_budget = max(64, window - max_tokens - 2 * max_tokens - 64)  # room for old summary
    summary_cfg = cfg.model_copy(
        update={"max_new_tokens": max_tokens, "temperature": min(cfg.temperature, 0.3)}
    )
    running, tokens_in, tokens_out = previous, 0, 0
    for piece in _pieces([_line(m) for m in turns], piece_budget, counter):
        parts = []
        if running:
            parts.append(f"Earlier summary:\n{running}")
        parts.append("Conversation:\n" + "\n".join(piece))
        prompt: list[BaseMessage] = [
            SystemMessage(instructions),
            HumanMessage("\n\n".join(parts)),
        ]
        done = await runner.complete(prompt, summary_cfg)
        tokens_in += done.tokens_in
        tokens_out += done.tokens_out
        running = done.text.strip() or running
    return running or "", tokens_in, tokens_out


async def condense_history(
    runner: Completer,
    cfg: ModelConfig,
    system: str | SystemMessage | None,
    history: Sequence[BaseMessage],
    new_message: str | BaseMessage,
    *,
    summary: str | None = None,
    budget: int | None = None,
    counter: TokenCounter | None = None,
    summary_tokens: int | None = None,
    max_rounds: int = 3,
) -> FittedPrompt:
    """`fit_history`, but turns that no longer fit are summarized instead of lost.

    `budget` defaults to the model's window minus the reply (`prompt_budget`).
    """
    counter = counter or await acounter_for(cfg)
    if budget is None:
        budget = await asyncio.to_thread(prompt_budget, cfg)
    summary_tokens = summary_tokens or max(32, min(256, budget // 4))

    def fit(turns: Sequence[BaseMessage]) -> tuple[FittedPrompt, bool]:
        """Fit with the summary; without it when it cannot sit next to the new message."""
        try:
            return fit_history(
                system, turns, new_message, budget, counter=counter, summary=summary
            ), True
        except ContextTooLongError:
            if not summary:
                raise
            log.info("summary left out of this prompt: it does not fit next to the message")
            return fit_history(system, turns, new_message, budget, counter=counter), False

    fitted, summary_fits = fit(history)
    summarized: list[BaseMessage] = []
    used_in = used_out = 0
    for _ in range(max_rounds):
        if not fitted.dropped or not summary_fits:
            break
        new_summary, tokens_in, tokens_out = await summarize_turns(
            runner,
            cfg,
            fitted.dropped,
            previous=summary,
            max_tokens=summary_tokens,
            counter=counter,
        )
        used_in, used_out = used_in + tokens_in, used_out + tokens_out
        summarized.extend(fitted.dropped)
        summary = new_summary or summary
        fitted, summary_fits = fit(fitted.kept)
    return replace(
        fitted,
        summary=summary,  # to store, even in the rare case it was left out of `messages`
        summarized=summarized,
        summary_tokens_in=used_in,
        summary_tokens_out=used_out,
    )


def _system_message(system: str | SystemMessage | None, summary: str | None) -> list[BaseMessage]:
    text = system.text if isinstance(system, SystemMessage) else (system or "")
    if summary:
        text = f"{text}\n\n{SUMMARY_HEADER}\n{summary}".strip()
    return [SystemMessage(text)] if text else []


def _turn_start(history: list[BaseMessage], index: int) -> int:
    """First index at or after `index` that does not begin mid-turn (with a reply or tool)."""
    while index < len(history) and not isinstance(history[index], HumanMessage | SystemMessage):
        index += 1
    return index


def _line(message: BaseMessage) -> str:
    speaker = "Assistant" if isinstance(message, AIMessage) else "User"
    if isinstance(message, SystemMessage):
        speaker = "System"
    name = getattr(message, "name", None)
    return f"{speaker}{f' ({name})' if name else ''}: {message.text}"


def _pieces(lines: list[str], budget: int, counter: TokenCounter) -> list[list[str]]:
    """Group transcript lines into pieces of at most `budget` tokens (long lines are cut)."""
    pieces: list[list[str]] = []
    current: list[str] = []
    used = 0
    for line in lines:
        cost = counter.count_text(line) + 1
        if cost > budget:  # one huge message: keep its beginning
            line = line[: max(1, int(len(line) * budget / cost) - 1)]
            cost = budget
        if current and used + cost > budget:
            pieces.append(current)
            current, used = [], 0
        current.append(line)
        used += cost
    if current:
        pieces.append(current)
    return pieces
