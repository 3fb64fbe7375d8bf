"""The drawing of a DAG: an anywidget whose state is four synced traits.

Python sets ``nodes`` and ``edges`` (from ``dag.workflow_layout``, so this canvas and the
side panel draw the same picture) and ``states``; the browser draws them as SVG
(``dag_canvas.js``) and answers a click on a node by setting ``selected``. Nothing else
crosses the comm, so the canvas is driven and tested entirely from Python.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anywidget
import traitlets

from .style import TASK_COLORS


class DagCanvas(anywidget.AnyWidget):
    """Nodes at their layout positions, coloured by state; references dashed, relations
    a rerun does not cross dotted."""

    # read once at import: a path would make anywidget watch the file for changes
    _esm = (Path(__file__).with_name("dag_canvas.js")).read_text(encoding="utf-8")

    #: ``[{id, kind: task|reference, type, x, y}]`` in layout grid units
    nodes = traitlets.List(traitlets.Dict()).tag(sync=True)
    #: ``[{from, to, rerun}]``
    edges = traitlets.List(traitlets.Dict()).tag(sync=True)
    #: node id → task state value; a node without one is drawn white (not run)
    states = traitlets.Dict(value_trait=traitlets.Unicode()).tag(sync=True)
    #: the node the user clicked (or Python selected)
    selected = traitlets.Unicode(None, allow_none=True).tag(sync=True)
    #: state → fill colour, from ``style`` so every widget colours alike
    colors = traitlets.Dict(default_value=TASK_COLORS).tag(sync=True)
    #: said instead of a drawing when there is none to make (why it cannot be drawn);
    #: empty: draw the nodes ("No tasks yet." when there are none)
    message = traitlets.Unicode("").tag(sync=True)

    def show_layout(self, layout: dict[str, Any]) -> None:
        """Draw ``layout`` (``{nodes, edges}``); a selection that is gone is cleared."""
        with self.hold_sync():
            self.nodes = list(layout["nodes"])
            self.edges = list(layout["edges"])
            self.message = ""
            if self.selected not in {n["id"] for n in self.nodes}:
                self.selected = None

    def cannot_draw(self, why: str) -> None:
        """Say ``why`` there is no drawing (a cycle, say) instead of one."""
        with self.hold_sync():
            self.nodes = []
            self.edges = []
            self.selected = None
            self.message = why
