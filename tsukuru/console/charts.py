"""Metric curves from a training job's log lines, and the geometry to draw them as inline SVG.

SageMaker's console plots the metrics its metric definitions (regexes) find in the job's
CloudWatch lines; so does this one, with the job's own definitions, so a custom script's metric
shows up as readily as the built-in XGBoost's `[12]#011train-auc:0.93#011validation-auc:0.91`.
The x axis is the boosting round when a line carries one (`[N]`), else the match's ordinal.
Series that share a metric on different channels (`train:auc`, `validation:auc`) share a chart.

The SVG is computed here, not in the browser: a page shows its curves without any script, and
the refreshing script just swaps in the newly rendered markup.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

_ROUND = re.compile(r"^\s*\[(\d+)\]")
WIDTH, HEIGHT = 560, 220
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 14, 30
MAX_SERIES_POINTS = 5000


@dataclass
class Series:
    name: str
    points: list[tuple[float, float]] = field(default_factory=list)

    @property
    def last(self) -> float | None:
        return self.points[-1][1] if self.points else None


@dataclass(frozen=True)
class Line:
    css: str
    label: str
    points: str  # the SVG polyline's "x,y x,y ..."
    last: float | None
    dots: list[tuple[float, float]]  # shown when there are few points


@dataclass(frozen=True)
class Chart:
    title: str
    lines: list[Line]
    x_ticks: list[tuple[float, str]]
    y_ticks: list[tuple[float, str]]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    top: int = TOP
    right_edge: int = WIDTH - RIGHT
    bottom_edge: int = HEIGHT - BOTTOM


def metric_series(lines: Iterable[str], definitions: list[dict[str, Any]]) -> list[Series]:
    """One series per metric definition that matched at least once, in definition order."""
    patterns: list[tuple[str, re.Pattern[str]]] = []
    for definition in definitions:
        try:
            patterns.append((str(definition["Name"]), re.compile(str(definition["Regex"]))))
        except (KeyError, re.error):
            continue
    found: dict[str, Series] = {}
    for line in lines:
        round_match = _ROUND.match(line)
        for name, pattern in patterns:
            match = pattern.search(line)
            if not match or not match.groups():
                continue
            try:
                value = float(match.group(1))
            except (TypeError, ValueError):
                continue
            if not math.isfinite(value):
                continue
            series = found.setdefault(name, Series(name))
            if len(series.points) >= MAX_SERIES_POINTS:
                continue
            x = float(round_match.group(1)) if round_match else float(len(series.points))
            series.points.append((x, value))
    order = {name: index for index, (name, _) in enumerate(patterns)}
    return sorted(found.values(), key=lambda s: order.get(s.name, 0))


def group_charts(series: list[Series]) -> list[Chart]:
    """Charts by metric: `train:auc` and `validation:auc` on one, `rmse` of each on another."""
    groups: dict[str, list[Series]] = {}
    for one in series:
        metric = one.name.split(":", 1)[1] if ":" in one.name else one.name
        groups.setdefault(metric, []).append(one)
    return [chart(title, members) for title, members in groups.items()]


def _nice_step(span: float, count: int) -> float:
    raw = span / max(1, count)
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1.0
    for multiple in (1, 2, 2.5, 5, 10):
        if raw <= multiple * magnitude:
            return multiple * magnitude
    return 10 * magnitude


def _label(value: float) -> str:
    text = f"{value:.4g}"
    return "0" if text in ("-0", "0") else text


def chart(title: str, members: list[Series]) -> Chart:
    xs = [x for s in members for x, _ in s.points]
    ys = [y for s in members for _, y in s.points]
    x_min, x_max = min(xs), max(xs)
    y_min, y_max = min(ys), max(ys)
    if x_max == x_min:
        x_max = x_min + 1
    if y_max == y_min:
        pad = abs(y_min) * 0.05 or 0.5
        y_min, y_max = y_min - pad, y_max + pad
    y_step = _nice_step(y_max - y_min, 4)
    y_low, y_high = math.floor(y_min / y_step) * y_step, math.ceil(y_max / y_step) * y_step
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def px(x: float) -> float:
        return round(LEFT + (x - x_min) / (x_max - x_min) * plot_w, 1)

    def py(y: float) -> float:
        return round(TOP + (1 - (y - y_low) / (y_high - y_low)) * plot_h, 1)

    lines = []
    for index, member in enumerate(members):
        coords = [(px(x), py(y)) for x, y in member.points]
        lines.append(
            Line(
                css=f"series-{index % 6}",
                label=member.name,
                points=" ".join(f"{x},{y}" for x, y in coords),
                last=member.last,
                dots=coords if len(coords) <= 40 else [],
            )
        )
    x_step = max(1.0, _nice_step(x_max - x_min, 5))
    first_x = math.ceil(x_min / x_step) * x_step
    x_ticks = []
    value = first_x
    while value <= x_max + 1e-9:
        x_ticks.append((px(value), _label(value)))
        value += x_step
    y_ticks = []
    value = y_low
    while value <= y_high + y_step / 1000:
        y_ticks.append((py(value), _label(value)))
        value += y_step
    return Chart(title=title, lines=lines, x_ticks=x_ticks, y_ticks=y_ticks)
