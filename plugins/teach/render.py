"""How teaching results read in chat (Discord-flavoured Markdown; adapters render it)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.teaching import HeadReport, TeachingStatus, head_in_use

__all__ = ["list_items", "render_report", "render_status", "short"]

LABELS = ("positive", "neutral", "negative")
MAX_LISTED = 40


def short(text: str, limit: int = 60) -> str:
    """A member's text quoted on one line, shortened."""
    flat = " ".join(text.split())
    return f"“{flat}”" if len(flat) <= limit else f"“{flat[: limit - 1]}…”"


def _percent(value: float) -> str:
    return f"{100 * value:.0f} %"


def render_report(report: HeadReport) -> str:
    counts = ", ".join(f"{n} {label}" for label, n in report.per_class.items())
    lines = [
        f"Trained this server's sentiment classifier, version {report.version}, on "
        f"{report.examples} examples ({counts}) in {report.seconds:.1f} s.",
        f"Cross-validated on these examples it is right {_percent(report.cv_accuracy)} of the "
        f"time; the default engine {_percent(report.default_accuracy)}.",
    ]
    if report.left_out:
        few = ", ".join(f"{label} ({n})" for label, n in report.left_out.items())
        lines.append(f"Labels with too few examples were left out: {few}.")
    if report.cv_accuracy <= report.default_accuracy:
        lines.append(
            "It is not better than the default engine here, so the default engine keeps "
            "answering. More (and consistent) examples help."
        )
    elif not report.confirmed:
        lines.append(
            f"⚠️ Swapping a person's name, gender, nationality or religion changes its label "
            f"in {_percent(report.flip_rate)} of test sentences, against "
            f"{_percent(report.default_flip_rate)} for the default engine. It is not used "
            "until an admin confirms it with `/teach confirm`. For example:"
        )
        for flip in report.flips[:3]:
            lines.append(
                f"- {short(flip['reference'], 70)} → {flip['reference_label']}, but "
                f"{short(flip['swapped'], 70)} → {flip['label']}"
            )
    else:
        lines.append("`auto` sentiment now answers with it on this server.")
    return "\n".join(lines)


def render_status(status: TeachingStatus) -> str:
    counts = ", ".join(f"{status.counts.get(label, 0)} {label}" for label in LABELS)
    lines = [f"**Sentiment examples:** {counts}."]
    if not status.heads:
        lines.append("No classifier of this server's own yet: the default engine answers.")
    for head in status.heads[:5]:
        if head_in_use(head):
            state = "in use"
        elif head.current and not head.confirmed:
            state = "waiting for an admin's `/teach confirm` (bias check failed)"
        elif head.current:
            state = "current, but the default engine answers (it was as good or better)"
        elif head.rolled_back:
            state = "rolled back"
        else:
            state = "an earlier version"
        lines.append(
            f"- version {head.version} ({head.created_at:%Y-%m-%d}): {head.examples} examples, "
            f"right {_percent(head.cv_accuracy)} vs default {_percent(head.default_accuracy)}, "
            f"flip rate {_percent(head.flip_rate)} vs {_percent(head.default_flip_rate)}: {state}"
        )
    lines.append(
        f"**Glossary terms:** {status.terms} · **Fixed answers:** {status.answers} · "
        f"**Example exchanges:** {status.persona}"
    )
    return "\n".join(lines)


def list_items(what: str, items: Sequence[tuple[int, str]]) -> str:
    if not items:
        return f"Nothing taught yet ({what})."
    shown = [f"`#{item_id}` {text}" for item_id, text in items[:MAX_LISTED]]
    more = len(items) - len(shown)
    if more > 0:
        shown.append(f"… and {more} more (the dashboard lists them all).")
    return "\n".join(shown)
