"""Turning sentiment results into replies: one text's label, a channel's overall mood.

Excerpts of members' messages are shortened and defused (no mentions, no markdown that could
break the reply) before they are shown.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from bot.core.events import Message
from bot.i18n import N_, _, format_percent, ngettext
from bot.shared.markup import literal
from plugins.sentiment.engines import LABELS, Label, SentimentResult

__all__ = ["EMOJI", "Mood", "Scored", "excerpt", "format_mood", "format_result", "summarize"]

Overall = Literal["positive", "neutral", "negative", "mixed"]
EMOJI: dict[str, str] = {"positive": "🙂", "neutral": "😐", "negative": "🙁", "mixed": "🤔"}

_USER = re.compile(r"<@!?\d+>")
_ROLE = re.compile(r"<@&\d+>")
_CHANNEL = re.compile(r"<#\d+>")
_CUSTOM_EMOJI = re.compile(r"<a?(:\w+:)\d+>")
_EVERYONE = re.compile(r"@(everyone|here)\b", re.IGNORECASE)
_MARKUP = re.compile(r"[`*~|]")


def excerpt(text: str, limit: int = 80) -> str:
    """A one-line, mention-free, markdown-free quote of at most ``limit`` characters."""
    text = _USER.sub("@user", text)
    text = _ROLE.sub("@role", text)
    text = _CHANNEL.sub("#channel", text)
    text = _CUSTOM_EMOJI.sub(r"\1", text)
    text = _EVERYONE.sub("@\u200b\\1", text)  # a zero-width space: shown, never a ping
    text = _MARKUP.sub("", text)
    text = " ".join(text.split()).lstrip(">").strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return f"“{text}”"


# The labels as members read them (the engines' labels stay English internally).
LABEL_NAMES = {"positive": N_("positive"), "neutral": N_("neutral"), "negative": N_("negative")}


def format_result(result: SentimentResult) -> str:
    """``🙂 **positive** · confidence 93% · engine `vader` ``; no confidence where the engine
    has no calibrated one (the chat model); "can't tell" with the lean below the measured
    confidence floor."""
    if result.unsure:
        return _(
            "🤷 **can't tell** · leaning {label} ({share}) · engine `{engine}`",
            label=_(LABEL_NAMES[result.label]),
            share=format_percent(result.score),
            engine=result.engine,
        )
    confidence = (
        " · " + _("confidence {share}", share=format_percent(result.score))
        if result.calibrated
        else ""
    )
    label = _(LABEL_NAMES[result.label])
    engine = _("engine `{engine}`", engine=result.engine)
    return f"{EMOJI[result.label]} **{label}**{confidence} · {engine}"


@dataclass(frozen=True)
class Scored:
    message: Message
    result: SentimentResult

    @property
    def polarity(self) -> float:
        """-1 (surely negative) .. 0 (neutral) .. +1 (surely positive)."""
        sign = {"positive": 1.0, "neutral": 0.0, "negative": -1.0}[self.result.label]
        return sign * self.result.score


@dataclass(frozen=True)
class Mood:
    overall: Overall
    balance: float  # mean polarity, -1..1
    counts: dict[Label, int]
    total: int
    most_positive: Scored | None
    most_negative: Scored | None
    engines: tuple[str, ...]


def summarize(
    scored: Sequence[Scored], *, threshold: float = 0.15, mixed_share: float = 0.25
) -> Mood:
    """The overall mood: positive/negative when the mean polarity leans past ``threshold``,
    mixed when it does not but both polar labels have at least ``mixed_share`` of messages,
    neutral otherwise."""
    if not scored:
        raise ValueError("no messages to summarize")
    total = len(scored)
    counts: dict[Label, int] = {label: 0 for label in LABELS}
    counts.update(Counter(s.result.label for s in scored))
    balance = sum(s.polarity for s in scored) / total
    overall: Overall
    if balance >= threshold:
        overall = "positive"
    elif balance <= -threshold:
        overall = "negative"
    elif min(counts["positive"], counts["negative"]) / total >= mixed_share:
        overall = "mixed"
    else:
        overall = "neutral"
    positives = [s for s in scored if s.result.label == "positive"]
    negatives = [s for s in scored if s.result.label == "negative"]
    return Mood(
        overall=overall,
        balance=balance,
        counts=counts,
        total=total,
        most_positive=max(positives, key=lambda s: s.polarity) if positives else None,
        most_negative=min(negatives, key=lambda s: s.polarity) if negatives else None,
        engines=tuple(sorted({s.result.engine for s in scored})),
    )


def _quote(label: str, item: Scored | None) -> str | None:
    if item is None:
        return None
    author = excerpt(item.message.author.name, 40).strip("“”")
    return f"{label}: {literal(excerpt(item.message.content))} — {literal(author)}"


def format_mood(mood: Mood, *, note: str = "") -> str:
    overall = f"{EMOJI[mood.overall]} **{_(LABEL_NAMES[mood.overall])}**"
    balance = f"{mood.balance:+.2f}"
    lines = [
        ngettext(
            "**Channel mood** over the last {n} message from members: {mood} (balance "
            "{balance})",
            "**Channel mood** over the last {n} messages from members: {mood} (balance "
            "{balance})",
            mood.total,
            mood=overall,
            balance=balance,
        ),
        " · ".join(
            f"{EMOJI[label]} {_(LABEL_NAMES[label])} {mood.counts[label]} "
            f"({format_percent(mood.counts[label] / mood.total)})"
            for label in LABELS
        ),
    ]
    lines.extend(
        line
        for line in (
            _quote(_("Most positive"), mood.most_positive),
            _quote(_("Most negative"), mood.most_negative),
        )
        if line
    )
    engines = ", ".join(f"`{name}`" for name in mood.engines)
    lines.append(_("Engine: {engines}", engines=engines) + (f" · {note}" if note else ""))
    return "\n".join(lines)
