"""Bar charts drawn as inline SVG (no script, no CDN): geometry here, markup in templates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Bar", "BarChart", "bar_chart"]


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: int
    over: bool  # above the budget


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    bars: list[Bar]
    budget_y: float | None  # where the budget line is drawn (None: no budget)
    budget: int
    top: int  # the value at the top of the chart
    baseline: float
    ticks: list[tuple[float, str]]  # (x, label) under some bars
    title: str


def _nice(value: int) -> int:
    """A round top for the axis: 1, 2, 5 x 10^n at or above `value`."""
    if value <= 0:
        return 10
    scale = 1
    while True:
        for step in (1, 2, 5):
            if step * scale >= value:
                return step * scale
        scale *= 10


def bar_chart(
    points: Sequence[tuple[str, int]],
    *,
    budget: int = 0,
    title: str,
    width: int = 720,
    height: int = 240,
    tick_every: int = 5,
) -> BarChart:
    left, right, top_pad, bottom = 56.0, 8.0, 12.0, 28.0
    plot_w = width - left - right
    plot_h = height - top_pad - bottom
    top = _nice(max([v for _, v in points] + [budget, 1]))
    slot = plot_w / max(len(points), 1)
    baseline = top_pad + plot_h
    bars = []
    ticks = []
    for i, (label, value) in enumerate(points):
        h = plot_h * value / top
        x = left + i * slot + slot * 0.15
        bars.append(
            Bar(
                round(x, 1),
                round(baseline - h, 1),
                round(slot * 0.7, 1),
                round(h, 1),
                label,
                value,
                bool(budget) and value > budget,
            )
        )
        if i % tick_every == 0 or i == len(points) - 1:
            ticks.append((round(x + slot * 0.35, 1), label))
    budget_y = round(baseline - plot_h * budget / top, 1) if budget else None
    return BarChart(width, height, bars, budget_y, budget, top, baseline, ticks, title)
