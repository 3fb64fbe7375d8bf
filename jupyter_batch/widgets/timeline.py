"""The timeline of a run: a Gantt chart with one row per task and one bar per attempt,
so a retry or a rerun shows as a second bar on the same row."""

from __future__ import annotations

import html
import threading
from datetime import datetime, timedelta, timezone
from typing import Any

import ipywidgets
import traitlets

from ..model.changes import Change, TaskChange
from ..model.records import TaskAttempt
from .changes import attempts_after
from .live import Feed, LiveBox
from .source import BatchSource
from .style import clock, duration, legend_html, task_color

LABEL_W = 150
CHART_W = 620
ROW_H = 24
BAR_H = 16
AXIS_H = 22


def bars_of(rows: list[str], attempts: dict[str, list[TaskAttempt]]) -> list[dict[str, Any]]:
    """One bar per attempt, rows in ``rows`` order: ``{task, attempt, start, end, state,
    color}``; ``end`` is None while the attempt runs."""
    return [{"task": task, "attempt": a.attempt, "start": a.started_at, "end": a.ended_at,
             "state": a.state.value, "color": task_color(a.state.value)}
            for task in rows for a in attempts.get(task, []) if a.started_at is not None]


def gantt_svg(rows: list[str], bars: list[dict[str, Any]], now: datetime) -> str:
    """The chart as SVG: time runs left to right from the first start to the last end
    (``now`` for a bar still running)."""
    if not bars:
        return "<i>No task has started yet.</i>"
    first = min(b["start"] for b in bars)
    last = max(b["end"] or now for b in bars)
    span = max((last - first).total_seconds(), 1e-3)

    def x(moment: datetime) -> float:
        return LABEL_W + (moment - first).total_seconds() / span * CHART_W

    height = AXIS_H + ROW_H * len(rows)
    parts = [f'<svg width="{LABEL_W + CHART_W + 10}" height="{height}" '
             'font-family="sans-serif" font-size="12">']
    for i in range(5):
        tick = LABEL_W + CHART_W * i / 4
        parts.append(f'<line x1="{tick:.1f}" y1="{AXIS_H - 4}" x2="{tick:.1f}" y2="{height}" '
                     'stroke="#e5e7eb"/>')
        label = clock(first) if i == 0 else "+" + duration(timedelta(seconds=span * i / 4))
        anchor = "start" if i == 0 else "end" if i == 4 else "middle"
        parts.append(f'<text x="{tick:.1f}" y="{AXIS_H - 8}" text-anchor="{anchor}" '
                     f'fill="#6b7280">{html.escape(label)}</text>')
    row_of = {task: i for i, task in enumerate(rows)}
    for task, i in row_of.items():
        parts.append(f'<text x="4" y="{AXIS_H + ROW_H * i + ROW_H / 2 + 4:.1f}">'
                     f"{html.escape(task)}</text>")
    for bar in bars:
        left, right = x(bar["start"]), x(bar["end"] or now)
        width = max(right - left, 2.0)
        top = AXIS_H + ROW_H * row_of[bar["task"]] + (ROW_H - BAR_H) / 2
        spent = duration((bar["end"] or now) - bar["start"])
        tip = (f"{bar['task']} · attempt {bar['attempt']} · {bar['state']} · "
               f"{clock(bar['start'])} · {spent}")
        parts.append(f'<rect x="{left:.1f}" y="{top:.1f}" width="{width:.1f}" height="{BAR_H}" '
                     f'rx="3" fill="{bar["color"]}" stroke="#374151" stroke-width="0.5">'
                     f"<title>{html.escape(tip)}</title></rect>")
        if width > 26:
            parts.append(f'<text x="{left + 4:.1f}" y="{top + BAR_H - 4:.1f}" font-size="10" '
                         f'fill="#111827">#{bar["attempt"]}</text>')
    parts.append("</svg>")
    return "".join(parts)


class Timeline(LiveBox):
    """``Timeline(source, run_id)``: the run's attempts as bars (``bars``), kept current
    by the run's task changes (only an attempt's start or end moves a bar)."""

    bars = traitlets.List(traitlets.Dict())

    def __init__(self, source: BatchSource, run_id: int) -> None:
        self.run_id = run_id
        self._lock = threading.Lock()
        self.chart = ipywidgets.HTML()
        self.legend = ipywidgets.HTML()
        super().__init__([self.chart, self.legend])
        self._feed = Feed(source, lambda c: isinstance(c, TaskChange) and c.run_id == run_id)
        run = source.get_run(run_id)
        self._rows = run.definition.node_ids
        self._attempts = {t.task_id: source.task_attempts(run_id, t.task_id)
                          for t in run.tasks if t.attempt > 0}
        self._draw()
        self._feed.start(self._apply)

    def _apply(self, change: Change) -> None:
        assert isinstance(change, TaskChange)
        with self._lock:
            before = self._attempts.get(change.task_id, [])
            after = attempts_after(before, change)
            if after is not before:
                self._attempts[change.task_id] = after
                self._draw()

    def _draw(self) -> None:
        self.bars = bars_of(self._rows, self._attempts)
        self.chart.value = gantt_svg(self._rows, self.bars, datetime.now(timezone.utc))
        self.legend.value = legend_html({b["state"] for b in self.bars})
