"""Metric curves from log lines: the job's own metric definitions, one point per round."""

from __future__ import annotations

from tsukuru.console.charts import HEIGHT, LEFT, TOP, WIDTH, chart, group_charts, metric_series
from tsukuru.domain.images import xgboost_metric_definitions

DEFINITIONS = [{"Name": n, "Regex": r} for n, r in xgboost_metric_definitions("1.7-1")]


def test_series_follow_the_xgboost_definitions() -> None:
    lines = [
        "INFO:root:starting",
        "[0]#011train-auc:0.71#011validation-auc:0.65",
        "[1]#011train-auc:0.74#011validation-auc:0.66",
        "[2]#011train-auc:0.77#011validation-auc:0.69",
        "INFO:root:Reporting training SUCCESS",
    ]
    series = {s.name: s.points for s in metric_series(lines, DEFINITIONS)}
    assert series == {
        "train:auc": [(0.0, 0.71), (1.0, 0.74), (2.0, 0.77)],
        "validation:auc": [(0.0, 0.65), (1.0, 0.66), (2.0, 0.69)],
    }


def test_train_and_validation_share_a_chart_per_metric() -> None:
    lines = [
        f"[{i}]#011train-rmse:{1 - i / 10}#011validation-rmse:{1.1 - i / 10}" for i in range(5)
    ]
    lines += [f"[{i}]#011train-auc:{0.5 + i / 10}" for i in range(5)]
    charts = group_charts(metric_series(lines, DEFINITIONS))
    titles = {c.title: [line.label for line in c.lines] for c in charts}
    assert titles["rmse"] == ["train:rmse", "validation:rmse"]
    assert titles["auc"] == ["train:auc"]


def test_custom_definitions_without_rounds_count_matches() -> None:
    definitions = [{"Name": "loss", "Regex": r"loss=([0-9.]+)"}, {"Name": "bad", "Regex": "("}]
    lines = ["epoch 1 loss=0.9", "noise", "epoch 2 loss=0.5", "epoch 3 loss=nan"]
    (series,) = metric_series(lines, definitions)
    assert series.points == [(0.0, 0.9), (1.0, 0.5)]  # nan is skipped, the broken regex ignored


def test_geometry_stays_inside_the_plot() -> None:
    lines = [f"[{i}]#011train-logloss:{0.7 - i * 0.01:.4f}" for i in range(100)]
    (drawn,) = group_charts(metric_series(lines, DEFINITIONS))
    (curve,) = drawn.lines
    points = [tuple(map(float, p.split(","))) for p in curve.points.split()]
    assert len(points) == 100
    assert all(LEFT <= x <= WIDTH and TOP <= y <= HEIGHT for x, y in points)
    xs = [x for x, _ in points]
    assert xs == sorted(xs)
    ys = [y for _, y in points]
    assert ys == sorted(ys)  # a falling loss goes down the chart: larger y in SVG
    assert curve.dots == []  # too many points for dots
    assert drawn.x_ticks[0][1] == "0"
    labels = [label for _, label in drawn.y_ticks]
    assert len(labels) >= 3


def test_a_single_point_still_draws() -> None:
    drawn = chart("auc", metric_series(["[0]#011train-auc:0.5"], DEFINITIONS))
    assert drawn.lines[0].points
    assert len(drawn.lines[0].dots) == 1
