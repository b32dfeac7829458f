"""Friendly durations for `/summarize channel since:`: "30m", "2h", "1d", "1h30m", "2 saat"."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.core.errors import BadOption
from bot.i18n import _, pgettext

__all__ = ["MAX_SINCE", "describe_duration", "parse_since"]

MAX_SINCE = timedelta(days=30)
_SECONDS = {
    "s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1, "sn": 1, "saniye": 1,
    "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60, "dk": 60, "dakika": 60,
    "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600, "sa": 3600, "saat": 3600,
    "d": 86400, "day": 86400, "days": 86400, "g": 86400, "gün": 86400, "gun": 86400,
    "w": 604800, "week": 604800, "weeks": 604800, "hafta": 604800,
}  # fmt: skip
_PART = re.compile(r"(\d+(?:[.,]\d+)?)\s*([^\W\d_]+)")
_EXAMPLES = "`30m`, `2h`, `1d` or `1h30m`"


def parse_since(text: str) -> timedelta:
    """A positive duration of at most 30 days; `BadOption` with examples otherwise."""
    raw = text.strip().casefold()
    parts = list(_PART.finditer(raw))
    leftover = _PART.sub("", raw).replace(" ", "")
    if not parts or leftover:
        raise BadOption(
            _(
                "`since` must be a duration such as {examples}, not `{text}`.",
                examples=_EXAMPLES,
                text=text.strip(),
            )
        )
    seconds = 0.0
    for part in parts:
        unit = _SECONDS.get(part.group(2))
        if unit is None:
            raise BadOption(
                _(
                    "I don't know the time unit `{unit}` in `since`. Use m (minutes), h (hours), "
                    "d (days) or w (weeks), e.g. {examples}.",
                    unit=part.group(2),
                    examples=_EXAMPLES,
                )
            )
        seconds += float(part.group(1).replace(",", ".")) * unit
    if seconds < 1:
        raise BadOption(_("`since` must be longer than zero, e.g. `30m`."))
    if seconds > MAX_SINCE.total_seconds():
        raise BadOption(_("`since` can reach back at most 30 days (`30d`)."))
    return timedelta(seconds=seconds)


def describe_duration(delta: timedelta) -> str:
    """`2 h 30 min`, `1 d`, `45 min` (for the reply's heading)."""
    total = int(delta.total_seconds())
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    units = (
        (days, pgettext("duration", "d")),
        (hours, pgettext("duration", "h")),
        (minutes, pgettext("duration", "min")),
    )
    parts = [f"{v} {u}" for v, u in units if v]
    second = pgettext("duration", "s")
    return " ".join(parts) or f"{seconds} {second}"
