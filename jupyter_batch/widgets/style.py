"""How states look, in one place: every widget (the DAG canvas, the timeline, the runs
table) colours a state the same way, and the legend is drawn from the same table.

The keys are the values of ``TaskState`` / ``RunState``; a test checks that every state
has a colour, so a new state cannot be drawn in a default grey by accident.
"""

from __future__ import annotations

import html
import signal
from collections.abc import Iterable
from datetime import datetime, timedelta

from ..model.states import RunState, TaskState

#: fill colour of a task (or reference) node / timeline bar per task state
TASK_COLORS: dict[str, str] = {
    TaskState.PENDING.value: "#d0d7de",
    TaskState.WAITING.value: "#c4b5fd",
    TaskState.QUEUED.value: "#93c5fd",
    TaskState.RUNNING.value: "#2563eb",
    TaskState.SUCCESS.value: "#16a34a",
    TaskState.FAILED.value: "#dc2626",
    TaskState.RETRYING.value: "#f59e0b",
    TaskState.SKIPPED.value: "#e2e8f0",
    TaskState.UPSTREAM_FAILED.value: "#fb923c",
    TaskState.CANCELLED.value: "#6b7280",
}
#: a node of a workflow (no run): no state
NO_STATE_COLOR = "#ffffff"

RUN_COLORS: dict[str, str] = {
    RunState.QUEUED.value: TASK_COLORS[TaskState.QUEUED.value],
    RunState.RUNNING.value: TASK_COLORS[TaskState.RUNNING.value],
    RunState.SUCCESS.value: TASK_COLORS[TaskState.SUCCESS.value],
    RunState.FAILED.value: TASK_COLORS[TaskState.FAILED.value],
    RunState.CANCELLED.value: TASK_COLORS[TaskState.CANCELLED.value],
    RunState.INTERRUPTED.value: "#a855f7",
}

#: fills dark enough to need white text
_DARK = {"#2563eb", "#16a34a", "#dc2626", "#6b7280", "#a855f7"}


def task_color(state: str | None) -> str:
    return NO_STATE_COLOR if state is None else TASK_COLORS[state]


def text_color(fill: str) -> str:
    return "#ffffff" if fill in _DARK else "#111827"


def swatch(state: str, colors: dict[str, str] = TASK_COLORS) -> str:
    """A state as a small coloured label (HTML)."""
    fill = colors[state]
    return (f'<span style="background:{fill};color:{text_color(fill)};padding:0 6px;'
            f'border-radius:3px;border:1px solid #9ca3af;white-space:nowrap">'
            f"{html.escape(state.replace('_', ' '))}</span>")


def legend_html(states: Iterable[str] | None = None, dag: bool = False) -> str:
    """One swatch per task state (all of them unless ``states`` narrows the list); with
    ``dag``, also what the DAG's two line styles mean (a dashed node is a reference, a
    dotted edge is not crossed by a rerun with downstream)."""
    shown = list(TASK_COLORS) if states is None else [s for s in TASK_COLORS if s in states]
    items = [swatch(s) for s in shown]
    if dag:
        items.append('<span style="border:1.5px dashed #374151;padding:0 6px;'
                     'border-radius:3px">reference</span>')
        items.append('<span><svg width="28" height="8"><line x1="0" y1="4" x2="28" y2="4" '
                     'stroke="#6b7280" stroke-width="2" stroke-dasharray="2 3"/></svg> '
                     "not rerun downstream</span>")
    return ('<div style="display:flex;flex-wrap:wrap;gap:6px;font-size:12px;'
            'align-items:center">' + " ".join(items) + "</div>")


def clock(moment: datetime | None) -> str:
    """A time as the user's clock shows it (the kernel's local zone), or an empty cell."""
    return "" if moment is None else moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def duration(span: timedelta | None) -> str:
    """``0.4 s``, ``12 s``, ``3 min 05 s``, ``2 h 07 min``; empty when unknown."""
    if span is None:
        return ""
    seconds = span.total_seconds()
    if seconds < 10:
        return f"{seconds:.1f} s"
    whole = int(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"


def exit_text(code: int | None, stopped: bool = False) -> str:
    """How a task's process ended, in the engine's words: ``exit 1``; a negative code is
    the signal that ended it, ``stopped (SIGTERM)`` when the run was stopped, else
    ``killed by SIGKILL``; empty when unknown."""
    if code is None:
        return ""
    if code >= 0:
        return f"exit {code}"
    try:
        name = signal.Signals(-code).name
    except ValueError:
        name = f"signal {-code}"
    return f"stopped ({name})" if stopped else f"killed by {name}"
