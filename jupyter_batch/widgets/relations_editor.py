"""The designer's relations: a row to connect two nodes, and each relation listed with a
disconnect button and the problems validation found with it."""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from typing import Any

import ipywidgets

from .closing import close_tree
from .problems import ErrorLabels


class RelationsEditor(ipywidgets.VBox):
    """``on_connect(upstream, downstream, rerun)`` and ``on_disconnect(upstream,
    downstream)`` are the designer's methods; this only shows and asks."""

    def __init__(self, on_connect: Callable[[str, str, bool], None],
                 on_disconnect: Callable[[str, str], None]) -> None:
        self._on_disconnect = on_disconnect
        self.upstream = ipywidgets.Dropdown(description="from")
        self.downstream = ipywidgets.Dropdown(description="to")
        self.rerun = ipywidgets.Checkbox(True, description="a rerun with downstream crosses it",
                                         indent=False)
        self.connect_button = ipywidgets.Button(description="connect", icon="link")
        self.connect_button.on_click(lambda _b: on_connect(
            self.upstream.value, self.downstream.value, self.rerun.value))
        #: one per relation, in the document's order (``relations[i]``)
        self.errors: list[ErrorLabels] = []
        self.section_errors = ErrorLabels(())
        self._head = [ipywidgets.HBox([self.upstream, self.downstream]),
                      ipywidgets.HBox([self.rerun, self.connect_button]),
                      self.section_errors[""]]
        self._rows: list[ipywidgets.Widget] = []
        super().__init__(self._head)

    def load(self, relations: list[Any], node_ids: list[str]) -> None:
        """Show ``relations`` (the document's list: row ``i`` is ``relations[i]``, even
        where an item is not an object) and offer ``node_ids`` to connect."""
        for field in (self.upstream, self.downstream):
            keep = field.value
            field.options = node_ids
            field.value = keep if keep in node_ids else None
        for old in self._rows:
            close_tree(old)
        self._rows = []
        self.errors = []
        for item in relations:
            relation: Mapping[str, Any] = item if isinstance(item, Mapping) else {}
            upstream, downstream = str(relation.get("from")), str(relation.get("to"))
            errors = ErrorLabels(("from", "to", "rerun"))
            button = ipywidgets.Button(description="disconnect", icon="unlink",
                                       layout=ipywidgets.Layout(width="auto"))
            button.on_click(lambda _b, u=upstream, d=downstream: self._on_disconnect(u, d))
            stops = (" (a rerun with downstream stops here)"
                     if relation.get("rerun") is False else "")
            label = ipywidgets.HTML(f"{html.escape(upstream)} → {html.escape(downstream)}{stops}")
            self._rows += [ipywidgets.HBox([label, button]), ipywidgets.HBox(
                [errors[""], errors["from"], errors["to"], errors["rerun"]])]
            self.errors.append(errors)
        self.children = [*self._head, *self._rows]
