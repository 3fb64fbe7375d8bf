"""Closing what a widget built: a closed Box leaves the widgets inside it open, each
with its comm and its model in the front end, so an editor redrawn on every structural
edit would leave hundreds behind in a long session."""

from __future__ import annotations

import ipywidgets


def close_tree(widget: ipywidgets.Widget) -> None:
    """Close ``widget``, every widget inside it, and their layout and style (widgets
    too, which ``close`` leaves open)."""
    for child in getattr(widget, "children", ()):
        close_tree(child)
    for part in (getattr(widget, "layout", None), getattr(widget, "style", None)):
        if isinstance(part, ipywidgets.Widget):
            part.close()
    widget.close()
