"""The DAG view: a workflow's graph, or a run's graph coloured by its task states and kept
current by the source's change events; the selected node's details, log tail, output
notebook, and rerun / stop buttons below it."""

from __future__ import annotations

import html
import threading
from collections.abc import Callable
from typing import Any

import ipywidgets
import traitlets

from ..dag import workflow_layout
from ..errors import BatchError, NotFound
from ..model.changes import Change, LogChange, TaskChange
from ..model.records import TaskRun
from ..model.states import RunState, TaskState
from .changes import task_run_after
from .dag_canvas import DagCanvas
from .live import Feed, LiveBox
from .log_tail import LogTail
from .node_panel import NodePanel, details_html, link_html, log_html
from .source import BatchSource
from .style import RUN_COLORS, legend_html, swatch


class DagView(LiveBox):
    """``DagView(source, workflow="daily")`` draws a workflow (its draft, or ``version``);
    ``DagView(source, run_id=12)`` draws a run and follows it live.

    The state lives in traits: ``states`` (node id → task state, what the canvas
    colours), ``selected`` (the node whose details show, linked both ways with the
    canvas, so a click in the browser and ``select`` in Python are the same thing) and
    ``run_state``. They change on the view's feed thread (see ``live``) as the run's
    changes arrive, and a user's selection changes them on the kernel's thread; one lock
    keeps the two from interleaving.
    """

    states = traitlets.Dict(value_trait=traitlets.Unicode())
    selected = traitlets.Unicode(None, allow_none=True)
    run_state = traitlets.Unicode(None, allow_none=True)

    def __init__(self, source: BatchSource, workflow: str | None = None,
                 version: int | None = None, run_id: int | None = None) -> None:
        if (workflow is None) == (run_id is None):
            raise TypeError("DagView shows a workflow or a run: give one of workflow, run_id")
        self._source = source
        self.run_id = run_id
        self._lock = threading.RLock()
        self._task_runs: dict[str, TaskRun] = {}
        self._tail: LogTail | None = None
        self._feed: Feed | None = None
        self._title = ""
        self.header = ipywidgets.HTML()
        self.canvas = DagCanvas()
        self.panel = NodePanel(in_run=run_id is not None)
        if run_id is None:
            assert workflow is not None
            layout = source.layout(workflow, version)
            self.header.value = (f"<b>workflow {html.escape(workflow)}</b>"
                                 + (f" version {version}" if version else " (draft)"))
        else:
            # subscribe before reading the run: no change can fall in between
            self._feed = Feed(source, lambda c: c.run_id == run_id)
            run = source.get_run(run_id)
            # the run's own definition, laid out by the same function the server serves
            # layouts with: exact even when the draft has changed since a pre-run
            layout = workflow_layout(run.definition)
            self._task_runs = {t.task_id: t for t in run.tasks}
            self._title = (f"<b>run {run.id}</b> · {html.escape(run.workflow)} · "
                           f"{run.logical_date} · {run.trigger}")
            self.run_state = run.state.value
            self.states = {t.task_id: t.state.value for t in run.tasks}
        self._nodes: dict[str, dict[str, Any]] = {n["id"]: n for n in layout["nodes"]}
        self.canvas.show_layout(layout)
        traitlets.dlink((self, "states"), (self.canvas, "states"))
        traitlets.link((self, "selected"), (self.canvas, "selected"))
        self.legend = ipywidgets.HTML(legend_html(dag=True))
        self.observe(self._on_selection, "selected")
        self.observe(self._on_run_state, "run_state")
        self.panel.rerun_button.on_click(self._on_click(lambda: self.rerun(False)))
        self.panel.rerun_downstream_button.on_click(self._on_click(lambda: self.rerun(True)))
        self.panel.stop_button.on_click(self._on_click(self.stop))
        super().__init__([self.header, self.canvas, self.legend, self.panel])
        if self._feed is not None:
            self._on_run_state()
            self._feed.start(self._apply)

    # --- what a user does ---------------------------------------------------------------

    def select(self, node_id: str | None) -> None:
        """Show ``node_id``'s details (as a click on it does); None clears the selection."""
        if node_id is not None and node_id not in self._nodes:
            raise KeyError(f"no node {node_id!r} (nodes: {', '.join(self._nodes)})")
        self.selected = node_id

    def rerun(self, downstream: bool = False) -> list[str]:
        """Rerun the selected task (with everything below it when ``downstream``); the
        tasks that will run."""
        if self.run_id is None or self.selected is None:
            raise NotFound("select a task of a run to rerun")
        tasks = self._source.rerun(self.run_id, self.selected, downstream)
        self.panel.message.value = "rerunning " + ", ".join(map(html.escape, tasks))
        return tasks

    def stop(self) -> None:
        """Ask the run to stop; its changes show when it has."""
        if self.run_id is None:
            raise NotFound("a workflow view has no run to stop")
        self._source.stop_run(self.run_id)
        self.panel.message.value = "stopping…"

    @property
    def log_text(self) -> str:
        """The tail of the selected task's log, as shown."""
        return self._tail.text if self._tail else ""

    def task_run(self, node_id: str) -> TaskRun | None:
        """The view's copy of a node's task run (None in a workflow view)."""
        return self._task_runs.get(node_id)

    # --- keeping current ------------------------------------------------------------------

    def _on_click(self, act: Callable[[], object]) -> Callable[[ipywidgets.Button], None]:
        def clicked(_button: ipywidgets.Button) -> None:
            try:
                act()
            except BatchError as exc:  # the user can act on it: say it where they clicked
                self.panel.message.value = (f'<span style="color:#b91c1c">'
                                            f"{html.escape(str(exc))}</span>")

        return clicked

    def _apply(self, change: Change) -> None:
        """One change of this run (on the feed's thread)."""
        with self._lock:
            if isinstance(change, LogChange):  # the selected task's log grew: read on
                if change.task_id == self.selected:
                    self._pull_log()
                return
            if isinstance(change, TaskChange):
                node = change.task_id
                self._task_runs[node] = task_run_after(self._task_runs.get(node), change)
                self.states = {**self.states, node: change.state.value}
                if node == self.selected:
                    self._show_selected()
                    return
            else:
                self.run_state = change.state.value
            self._pull_log()

    def _on_selection(self, _change: object = None) -> None:
        with self._lock:
            self._show_selected()

    def _on_run_state(self, _change: object = None) -> None:
        state = self.run_state or RunState.QUEUED.value
        self.header.value = f"{self._title} {swatch(state, RUN_COLORS)}"
        self._enable_buttons()

    def _enable_buttons(self) -> None:
        finished = RunState(self.run_state).finished if self.run_state else False
        node = self._nodes.get(self.selected or "")
        is_task = node is not None and node["kind"] == "task"
        self.panel.rerun_button.disabled = not (finished and is_task)
        self.panel.rerun_downstream_button.disabled = not (finished and is_task)
        self.panel.stop_button.disabled = finished
        self.panel.stop_button.button_style = "" if finished else "danger"

    def _show_selected(self) -> None:
        node = self._nodes.get(self.selected or "")
        task_run = self._task_runs.get(self.selected or "")
        panel = self.panel
        panel.details.value = "" if node is None else details_html(node, task_run)
        if self.run_id is None:
            return
        self._enable_buttons()
        if node is None or task_run is None:
            self._tail = None
            panel.log_box.value = panel.output.value = ""
            return
        if self._tail is None or self._tail.task != node["id"]:
            self._tail = LogTail(self._source, self.run_id, node["id"])
        self._tail.follow(task_run.attempt)
        self._pull_log(force=True, ended=task_run.state != TaskState.RUNNING)
        ended = task_run.ended_at is not None and task_run.attempt > 0
        panel.output.value = (link_html(self._source.output_url(self.run_id, node["id"]))
                              if node["type"] == "notebook" and ended else "")

    def _pull_log(self, force: bool = False, ended: bool = False) -> None:
        """Read what the selected task's log gained (on every change of the run, and when
        the server tells that the log grew)."""
        tail = self._tail
        if tail is not None and (tail.pull(ended) or force):
            self.panel.log_box.value = log_html(tail.text, tail.complete or tail.attempt == 0)
