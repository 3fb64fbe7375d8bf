"""Validation problems shown next to what they are about.

A ``Problem.where`` is a path into the workflow file (``tasks[1].resource``,
``schedule.cron``, ``relations``); ``place_of`` turns it into the editor and the field
that show it, and ``ErrorLabels`` holds one editor's labels.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import ipywidgets

from ..errors import Problem

#: sections that are lists of items, each item with an editor of its own
LIST_SECTIONS = ("tasks", "references", "relations")
_WHERE = re.compile(r"^(?P<head>[A-Za-z_]+)(?:\[(?P<index>\d+)\])?(?:\.(?P<field>[A-Za-z_]+))?")


@dataclass(frozen=True)
class Place:
    """Where a problem shows: ``section`` is a list section, ``schedule`` or
    ``workflow`` (the top-level fields); ``index`` the item of a list section (None: the
    section as a whole); ``field`` the field ("" : the item or section as a whole)."""

    section: str
    index: int | None
    field: str


def place_of(where: str) -> tuple[Place, str]:
    """The place of a problem at ``where``, and what of the path is left below the field
    (``params.ds`` leaves ``ds``), to say in the message.

    >>> place_of("tasks[1].resource")
    (Place(section='tasks', index=1, field='resource'), '')
    >>> place_of("params.ds")
    (Place(section='workflow', index=None, field='params'), 'ds')
    """
    match = _WHERE.match(where)
    if match is None:
        return Place("workflow", None, ""), where
    head, index, field = match["head"], match["index"], match["field"] or ""
    rest = where[match.end():].lstrip(".")
    if head in LIST_SECTIONS:
        return Place(head, None if index is None else int(index), field), rest
    if head == "schedule":
        return Place("schedule", None, field), rest
    return Place("workflow", None, head), where[len(head):].lstrip(".")


def by_place(problems: Iterable[Problem]) -> dict[tuple[str, int | None], dict[str, list[str]]]:
    """Problems grouped by editor (section, index), then by field."""
    grouped: dict[tuple[str, int | None], dict[str, list[str]]] = {}
    for problem in problems:
        place, rest = place_of(problem.where)
        text = f"{rest}: {problem.message}" if rest else problem.message
        grouped.setdefault((place.section, place.index), {}).setdefault(
            place.field, []).append(text)
    return grouped


class ErrorLabels:
    """One red label under each field of an editor, plus one ("") for problems about
    the editor as a whole or about a field it has no widget for."""

    def __init__(self, fields: Iterable[str],
                 on_change: Callable[[], None] | None = None) -> None:
        """``on_change`` is called after the labels changed (an editor that says some
        problems itself, live, stops saying those the labels now say)."""
        self._labels = {name: ipywidgets.HTML() for name in ("", *fields)}
        self._texts: dict[str, str] = {}
        self._on_change = on_change

    def __getitem__(self, field: str) -> ipywidgets.HTML:
        return self._labels[field]

    @property
    def texts(self) -> dict[str, str]:
        """What each label says now (only the labels that say something)."""
        return dict(self._texts)

    def show(self, by_field: Mapping[str, list[str]]) -> None:
        """Show these problems, replacing what was shown."""
        texts: dict[str, list[str]] = {}
        for field, messages in by_field.items():
            if field in self._labels:
                texts.setdefault(field, []).extend(messages)
            else:
                texts.setdefault("", []).extend(f"{field}: {m}" for m in messages)
        self._texts = {field: "; ".join(messages) for field, messages in texts.items()}
        for field, label in self._labels.items():
            label.value = _red(self._texts.get(field, ""))
        if self._on_change:
            self._on_change()

    def clear(self, field: str) -> None:
        """Forget a field's problem (the user has just changed the field)."""
        if self._texts.pop(field, None) is not None:
            self._labels[field].value = ""
            if self._on_change:
                self._on_change()


def _red(text: str) -> str:
    return f'<span style="color:#b91c1c;font-size:12px">{html.escape(text)}</span>' if text else ""
