"""How workflow and run objects show themselves as the last expression of a cell.

The widgets sit above the client (DESIGN.md "Layers": widgets → client), so the client
never imports them by name in code; it looks them up as an optional plugin instead:
``jupyter_batch.widgets.display_for(subject, source)`` picks the widget for a subject (a
run id, a saved workflow's name, or a ``model.workflow.Workflow`` to edit) and reads
through ``source`` (a ``ClientSource`` over the object's transport). Where the widgets
or ipywidgets are missing, IPython shows the object's plain ``__repr__``.
"""

from __future__ import annotations

import importlib
from typing import Any

from .source import ClientSource
from .transport import Transport

VIEWS_MODULE = "jupyter_batch.widgets"


def widget_for(subject: Any, transport: Transport) -> Any | None:
    """The widget showing ``subject``, or None when the widgets cannot be had."""
    try:
        views = importlib.import_module(VIEWS_MODULE)
    except ImportError:
        return None
    return views.display_for(subject, ClientSource(transport))


class Displayable:
    """Mixin of the objects that show as a widget: they say what to show
    (``_view_subject``) and through which transport."""

    _transport: Transport

    def _view_subject(self) -> Any:
        raise NotImplementedError

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> Any:
        widget = widget_for(self._view_subject(), self._transport)
        if widget is None:
            return None  # IPython then uses __repr__
        return widget._repr_mimebundle_(include=include, exclude=exclude)
