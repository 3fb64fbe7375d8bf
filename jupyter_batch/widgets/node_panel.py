"""What the DAG view shows about its selected node: details, the log's tail, the output
notebook, and the buttons that act on it. It only renders; the DAG view decides."""

from __future__ import annotations

import html
from typing import Any

import ipywidgets

from ..model.records import TaskRun
from ..model.states import TaskState
from .style import clock, duration, exit_text, swatch


def details_html(node: dict[str, Any], task_run: TaskRun | None) -> str:
    """A small table: the node's type (or the workflow a reference stands for) and, in a
    run, its state, attempt, times, how its process ended and message."""
    rows: list[tuple[str, str]] = [("node", f"<b>{html.escape(node['id'])}</b>")]
    if node["kind"] == "reference":
        rows.append(("reference to", html.escape(str(node.get("workflow", "")))))
    else:
        rows.append(("type", html.escape(node["type"])))
    if task_run is not None:
        span = (task_run.ended_at - task_run.started_at
                if task_run.started_at and task_run.ended_at else None)
        rows += [("state", swatch(task_run.state.value)),
                 ("attempt", str(task_run.attempt)),
                 ("started", clock(task_run.started_at)),
                 ("ended", clock(task_run.ended_at)),
                 ("duration", duration(span))]
        if task_run.exit_code is not None:
            stopped = task_run.state == TaskState.CANCELLED
            rows.append(("process", html.escape(exit_text(task_run.exit_code, stopped))))
        if task_run.message:
            rows.append(("message", html.escape(task_run.message)))
    cells = "".join(f'<tr><th style="text-align:left;padding-right:12px">{k}</th>'
                    f"<td>{v}</td></tr>" for k, v in rows)
    return f"<table>{cells}</table>"


def log_html(text: str, complete: bool) -> str:
    if not text:
        return "" if complete else "<i>no output yet</i>"
    more = "" if complete else "<i>(running: more follows)</i>"
    return (f'<pre style="max-height:260px;overflow:auto;background:#f6f8fa;padding:6px;'
            f'font-size:12px;margin:0">{html.escape(text)}</pre>{more}')


def link_html(url: str | None) -> str:
    if not url:
        return ""
    return (f'<a href="{html.escape(url, quote=True)}" target="_blank" rel="noopener">'
            "open the output notebook</a>")


class NodePanel(ipywidgets.VBox):
    """Details, log tail, output link and the rerun / stop buttons, stacked."""

    def __init__(self, in_run: bool) -> None:
        self.details = ipywidgets.HTML()
        self.log_box = ipywidgets.HTML()
        self.output = ipywidgets.HTML()
        self.message = ipywidgets.HTML()
        self.rerun_button = ipywidgets.Button(
            description="Rerun", icon="redo", disabled=True,
            tooltip="run the selected task again, alone (a new attempt in this run)")
        self.rerun_downstream_button = ipywidgets.Button(
            description="Rerun with downstream", icon="forward", disabled=True,
            layout=ipywidgets.Layout(width="auto"),
            tooltip="run the selected task again and everything below it")
        self.stop_button = ipywidgets.Button(
            # red only while it can act: a disabled red button still looks live
            description="Stop run", icon="stop", disabled=True,
            tooltip="end the running tasks and cancel the rest")
        buttons = ipywidgets.HBox([self.rerun_button, self.rerun_downstream_button,
                                   self.stop_button])
        super().__init__([self.details, self.output, self.log_box, buttons, self.message]
                         if in_run else [self.details])
