"""How teaching results read in chat (Discord-flavoured Markdown; adapters render it)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.i18n import _, format_number, format_when
from bot.teaching import HeadReport, TeachingStatus
from bot.teaching.service import head_state

__all__ = [
    "counts_text",
    "head_state",
    "label_name",
    "list_items",
    "render_report",
    "render_status",
    "short",
]

LABELS = ("positive", "neutral", "negative")
MAX_LISTED = 40


def short(text: str, limit: int = 60) -> str:
    """A member's text quoted on one line, shortened."""
    flat = " ".join(text.split())
    return f"“{flat}”" if len(flat) <= limit else f"“{flat[: limit - 1]}…”"


def _percent(value: float) -> str:
    return f"{format_number(round(100 * value))} %"


def label_name(label: str) -> str:
    names = {"positive": _("positive"), "neutral": _("neutral"), "negative": _("negative")}
    return names.get(label, label)


def counts_text(counts: dict[str, int]) -> str:
    return _(
        "{positive} positive, {neutral} neutral, {negative} negative",
        positive=format_number(counts.get("positive", 0)),
        neutral=format_number(counts.get("neutral", 0)),
        negative=format_number(counts.get("negative", 0)),
    )


def render_report(report: HeadReport) -> str:
    lines = [
        _(
            "Trained this server's sentiment classifier, version {version}, on {examples} "
            "examples ({counts}) in {seconds} s.",
            version=report.version,
            examples=format_number(report.examples),
            counts=counts_text(report.per_class),
            seconds=format_number(report.seconds, 1),
        ),
        _(
            "Cross-validated on these examples it is right {head} of the time; the default "
            "engine {default}.",
            head=_percent(report.cv_accuracy),
            default=_percent(report.default_accuracy),
        ),
    ]
    if report.left_out:
        few = ", ".join(f"{label_name(label)} ({n})" for label, n in report.left_out.items())
        lines.append(_("Labels with too few examples were left out: {labels}.", labels=few))
    if not report.beats_default:
        lines.append(
            _(
                "It is not clearly better than the default engine here, so the default engine "
                "keeps answering. More (and consistent) examples help."
            )
        )
    elif not report.confirmed:
        lines.append(
            _(
                "⚠️ Swapping a person's name, gender, nationality or religion changes its label "
                "in {head} of test sentences, against {default} for the default engine. It is "
                "not used until an admin confirms it with `/teach confirm`. For example:",
                head=_percent(report.flip_rate),
                default=_percent(report.default_flip_rate),
            )
        )
        for flip in report.flips[:3]:
            lines.append(
                _(
                    "- {reference} → {reference_label}, but {swapped} → {label}",
                    reference=short(flip["reference"], 70),
                    reference_label=label_name(flip["reference_label"]),
                    swapped=short(flip["swapped"], 70),
                    label=label_name(flip["label"]),
                )
            )
    else:
        lines.append(_("`auto` sentiment now answers with it on this server."))
    return "\n".join(lines)


def render_status(status: TeachingStatus) -> str:
    lines = [_("**Sentiment examples:** {counts}.", counts=counts_text(status.counts))]
    if not status.heads:
        lines.append(_("No classifier of this server's own yet: the default engine answers."))
    for head in status.heads[:5]:
        lines.append(
            _(
                "- version {version} ({date}): {examples} examples, right {head} vs default "
                "{default}, flip rate {flips} vs {default_flips}: {state}",
                version=head.version,
                date=format_when(head.created_at),
                examples=format_number(head.examples),
                head=_percent(head.cv_accuracy),
                default=_percent(head.default_accuracy),
                flips=_percent(head.flip_rate),
                default_flips=_percent(head.default_flip_rate),
                state=head_state(head),
            )
        )
    lines.append(
        _(
            "**Glossary terms:** {terms} · **Fixed answers:** {answers} · "
            "**Example exchanges:** {persona}",
            terms=format_number(status.terms),
            answers=format_number(status.answers),
            persona=format_number(status.persona),
        )
    )
    return "\n".join(lines)


def list_items(items: Sequence[tuple[int, str]]) -> str:
    if not items:
        return _("Nothing taught yet.")
    shown = [f"`#{item_id}` {text}" for item_id, text in items[:MAX_LISTED]]
    more = len(items) - len(shown)
    if more > 0:
        shown.append(_("… and {n} more (the dashboard lists them all).", n=format_number(more)))
    return "\n".join(shown)
