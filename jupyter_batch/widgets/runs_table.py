"""Recent runs of one workflow, newest first, with their state, trigger, logical date and
duration; a row changes when its run does, and a new run of the workflow appears on top."""

from __future__ import annotations

import html
import threading

import ipywidgets
import traitlets

from ..model.changes import Change, RunChange
from ..model.records import Run
from .changes import run_after
from .live import Feed, LiveBox
from .source import BatchSource
from .style import RUN_COLORS, clock, duration, swatch


def table_html(runs: list[Run]) -> str:
    if not runs:
        return "<i>No runs yet.</i>"
    head = "".join(f'<th style="text-align:left;padding:2px 10px 2px 0">{h}</th>'
                   for h in ("run", "state", "trigger", "logical date", "started", "duration"))
    rows = []
    for run in runs:
        span = run.ended_at - run.started_at if run.started_at and run.ended_at else None
        cells = (str(run.id), swatch(run.state.value, RUN_COLORS), html.escape(run.trigger),
                 html.escape(run.logical_date), clock(run.started_at),
                 duration(span) if span is not None else "" if run.state.finished else "…")
        rows.append("<tr>" + "".join(f'<td style="padding:2px 10px 2px 0">{c}</td>'
                                     for c in cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


class RunsTable(LiveBox):
    """``RunsTable(source, "daily")``: its latest ``limit`` runs (``runs``, newest first).

    A run's changes update its row without asking the source again; a run the table has
    not seen is fetched once to learn its workflow (a change does not carry it) and
    either added or remembered as another workflow's.
    """

    runs: traitlets.List[Run] = traitlets.List()

    def __init__(self, source: BatchSource, workflow: str, limit: int = 20) -> None:
        self._source = source
        self.workflow = workflow
        self.limit = limit
        self._lock = threading.Lock()
        self._others: set[int] = set()
        self.table = ipywidgets.HTML()
        self.refresh_button = ipywidgets.Button(description="Refresh", icon="refresh")
        self.refresh_button.on_click(lambda _b: self.refresh())
        super().__init__([ipywidgets.HTML(f"<b>runs of {html.escape(workflow)}</b>"),
                          self.table, self.refresh_button])
        self._feed = Feed(source, lambda c: isinstance(c, RunChange))
        self.refresh()
        self._feed.start(self._apply)

    def refresh(self) -> None:
        """Read the latest runs again."""
        with self._lock:
            self._show(self._source.list_runs(self.workflow, limit=self.limit))

    def _apply(self, change: Change) -> None:
        assert isinstance(change, RunChange)
        with self._lock:
            if change.run_id in self._others:
                return
            known = {run.id: run for run in self.runs}
            run = known.get(change.run_id)
            if run is None:
                run = self._source.get_run(change.run_id)
                if run.workflow != self.workflow:
                    self._others.add(run.id)
                    return
            known[run.id] = run_after(run, change)
            self._show(sorted(known.values(), key=lambda r: r.id, reverse=True)[:self.limit])

    def _show(self, runs: list[Run]) -> None:
        self.runs = runs
        self.table.value = table_html(runs)
