"""Server-rendered SVG bar charts: geometry here, markup in templates/backoffice/_bar_chart.html.

No JavaScript and no third-party chart code: the page works on any phone browser and prints.
A chart scales to its card.  On a phone every card is about 300 px wide, so the stylesheet sets
the axis labels to ``phone_label_size`` units (16 per 480 units of width: about 10 px on screen)
and the margins grow with the width likewise: at most ``max_labels`` x labels, and ``PLOT_LEFT``
leaves room for a y label such as "¥10,000".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

PLOT_LEFT, PLOT_TOP, PLOT_BOTTOM = 64, 10, 24  # for a chart 480 units wide
PHONE_LABEL_SIZE = 16


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    title: str
    show_label: bool


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    plot_left: float
    plot_right: int
    baseline: float
    bars: list[Bar]
    ticks: list[Tick]
    empty: bool
    phone_label_size: float
    xlabel_y: float


def _nice_step(maximum: float, steps: int = 4) -> float:
    """A round gridline step (1, 2 or 5 times a power of ten) covering ``maximum``."""
    raw = maximum / steps
    magnitude = 10 ** (len(str(int(raw))) - 1) if raw >= 1 else 1
    for factor in (1, 2, 5, 10):
        if factor * magnitude >= raw:
            return factor * magnitude
    return 10 * magnitude


def bar_chart(
    points: Sequence[tuple[str, int]],
    *,
    value_label: Callable[[int], str] = str,
    tick_label: Callable[[int], str] | None = None,
    width: int = 480,
    height: int = 220,
    max_labels: int = 12,
) -> BarChart:
    """Vertical bars for ``(label, value)`` points with round gridlines; labels thinned to fit."""
    size = width / 480  # margins and phone label size grow with the width
    plot_left, plot_right = round(PLOT_LEFT * size, 2), width - 8
    baseline = height - PLOT_BOTTOM * size
    maximum = max((value for _, value in points), default=0)
    step = _nice_step(maximum) if maximum > 0 else 1
    top = step * max(1, -(-maximum // step))
    scale = (baseline - PLOT_TOP) / top
    slot = (plot_right - plot_left) / max(1, len(points))
    every = max(1, -(-len(points) // max_labels))
    bars = [
        Bar(
            x=round(plot_left + i * slot + slot * 0.15, 2),
            y=round(baseline - value * scale, 2),
            width=round(slot * 0.7, 2),
            height=round(value * scale, 2),
            label=label,
            title=f"{label}: {value_label(value)}",
            show_label=i % every == 0,
        )
        for i, (label, value) in enumerate(points)
    ]
    ticks = [
        Tick(y=round(baseline - n * step * scale, 2), label=(tick_label or value_label)(int(n * step)))
        for n in range(int(top // step) + 1)
    ]
    return BarChart(
        width,
        height,
        plot_left,
        plot_right,
        baseline,
        bars,
        ticks,
        empty=maximum == 0,
        phone_label_size=round(PHONE_LABEL_SIZE * size, 1),
        xlabel_y=round(height - 6 * size, 2),
    )
