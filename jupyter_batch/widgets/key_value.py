"""Parameters as key/value rows: what a workflow's and a task's ``params`` are edited with."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import ipywidgets

from ..model.scalars import parse_scalar, scalar_text
from ..model.workflow import Scalar
from .closing import close_tree


class KeyValueRows(ipywidgets.VBox):
    """Rows of a key and a value field, each with a remove button, and an add button.

    ``on_change`` gets the whole mapping (None when empty) after a field is edited (when
    the user leaves it) or a row is removed; ``load`` shows values without reporting them.
    """

    def __init__(self, on_change: Callable[[dict[str, Scalar] | None], None]) -> None:
        self._on_change = on_change
        #: one box per row: key field, value field, remove button
        self._rows: list[ipywidgets.HBox] = []
        self._loading = False
        self.add_button = ipywidgets.Button(description="add parameter", icon="plus",
                                            layout=ipywidgets.Layout(width="auto"))
        self.add_button.on_click(lambda _b: self.add_row())
        super().__init__([self.add_button])

    @property
    def value(self) -> dict[str, Scalar]:
        pairs = (row.children[:2] for row in self._rows)
        return {key.value.strip(): parse_scalar(value.value)
                for key, value in pairs if key.value.strip()}

    def load(self, values: Mapping[str, Scalar] | None) -> None:
        """Show ``values`` (replacing the rows) without reporting a change."""
        self._loading = True
        try:
            for row in self._rows:
                close_tree(row)
            self._rows = []
            for key, value in (values or {}).items():
                self.add_row(key, scalar_text(value))
        finally:
            self._loading = False

    def add_row(self, key: str = "", value: str = "") -> None:
        key_field = ipywidgets.Text(key, placeholder="name", continuous_update=False,
                                    layout=ipywidgets.Layout(width="160px"))
        value_field = ipywidgets.Text(value, placeholder="value", continuous_update=False,
                                      layout=ipywidgets.Layout(width="220px"))
        remove = ipywidgets.Button(icon="minus", tooltip="remove this parameter",
                                   layout=ipywidgets.Layout(width="32px"))
        row = ipywidgets.HBox([key_field, value_field, remove])
        key_field.observe(lambda _c: self._changed(), "value")
        value_field.observe(lambda _c: self._changed(), "value")
        remove.on_click(lambda _b: self._remove(row))
        self._rows.append(row)
        self.children = [*self._rows, self.add_button]
        if key:
            self._changed()

    def _remove(self, row: ipywidgets.HBox) -> None:
        self._rows.remove(row)
        self.children = [*self._rows, self.add_button]
        close_tree(row)
        self._changed()

    def _changed(self) -> None:
        if not self._loading:
            self._on_change(self.value or None)
