"""Which widget shows which object: what a workflow or a run displays as when it is the
last expression of a cell."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ipywidgets

from ..model.records import Run
from ..model.workflow import Workflow
from .closing import close_tree
from .dag_view import DagView
from .designer import Designer
from .runs_table import RunsTable
from .source import BatchSource
from .timeline import Timeline


def display_for(obj: Any, source: BatchSource) -> ipywidgets.Widget:
    """The widget for ``obj``, reading through ``source``:

    - a run (a ``Run`` record, or a run id as ``int``): tabs "graph" (the run's
      ``DagView``, live) and "timeline" (its ``Timeline``);
    - a saved workflow (its name, ``str``): tabs "graph" (the draft's ``DagView``) and
      "runs" (its ``RunsTable``);
    - a workflow not saved yet (a ``Workflow``, or a workflow file's JSON as a mapping):
      a ``Designer`` editing it.

    The client returns this widget from its objects' ``_repr_mimebundle_`` (or
    ``_ipython_display_``). Live widgets hold a subscription until closed: ``close()``
    the returned widget when it is no longer shown. Anything else is a TypeError.
    """
    if isinstance(obj, Run):
        obj = obj.id
    if isinstance(obj, int) and not isinstance(obj, bool):
        return _tabs({"graph": DagView(source, run_id=obj), "timeline": Timeline(source, obj)})
    if isinstance(obj, str):
        return _tabs({"graph": DagView(source, workflow=obj), "runs": RunsTable(source, obj)})
    if isinstance(obj, Workflow):
        return Designer(source, obj.to_dict())
    if isinstance(obj, Mapping):
        return Designer(source, obj)
    raise TypeError(f"no widget shows a {type(obj).__name__}: give a run, a run id, a "
                    "workflow name, a Workflow or a workflow file's JSON")


class _Tabs(ipywidgets.Tab):
    """Tabs that close their pages with them (the pages hold live subscriptions)."""

    def close(self) -> None:
        for page in self.children:
            close_tree(page)
        super().close()


def _tabs(pages: dict[str, ipywidgets.Widget]) -> ipywidgets.Tab:
    return _Tabs(children=list(pages.values()), titles=tuple(pages))
