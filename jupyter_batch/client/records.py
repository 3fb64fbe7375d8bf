"""What the client hands out, read from the REST API's JSON (both transports speak it).

The resource and attempt records are the model's own (their JSON is one to one); a run
and its tasks have client records, since the API leaves out what only the store needs
(the pinned definition, log paths). ``from_json`` ignores fields it does not know, so an
older client keeps working against a newer server that added some.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import datetime
from enum import Enum
from typing import Any, TypeVar

from ..model.records import ResourceVersion
from ..model.states import RunState, TaskState

T = TypeVar("T")
JSON = dict[str, Any]


@dataclass(frozen=True)
class TaskStatus:
    """Where one task of a run stands (its latest attempt)."""

    id: str
    state: TaskState
    attempt: int
    exit_code: int | None = None
    message: str | None = None
    outputs: dict[str, str] = field(default_factory=dict)
    started_at: datetime | None = None
    ended_at: datetime | None = None


@dataclass(frozen=True)
class RunStatus:
    """A run as ``GET /runs/{id}`` describes it."""

    id: int
    workflow: str
    workflow_version: int | None
    logical_date: str
    trigger: str
    state: RunState
    created_at: datetime
    message: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    #: a scheduled run's cycle (its fire time, ISO-8601 in UTC); None for other runs
    cycle: str | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    tasks: list[TaskStatus] = field(default_factory=list)


@dataclass(frozen=True)
class LogChunk:
    """Part of an attempt's log: ``text`` from ``offset``; read on from ``next_offset``.
    ``complete``: the attempt has ended, nothing more will be written."""

    text: str
    offset: int
    next_offset: int
    complete: bool
    attempt: int


@dataclass(frozen=True)
class Published:
    """The result of a publish: the version that holds the draft, and whether it is new
    (publishing an unchanged draft again makes no new version)."""

    version: int
    created: bool


@dataclass(frozen=True)
class ProgramParam:
    """One parameter of a library program: ``type`` is string, integer, number, boolean
    or list; ``choices`` is empty unless the value must be one of them."""

    name: str
    type: str
    required: bool
    default: Any
    help: str
    choices: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class LibraryProgram:
    """A built-in program (``batch.library``): what it does, the latest version of its
    ``library/<name>.py`` resource, its parameters and an example set of them. ``show``
    adds every version of the resource and the latest script (``source``)."""

    name: str
    title: str
    description: str
    resource: str
    version: int
    params: list[ProgramParam]
    example: dict[str, Any]
    versions: list[ResourceVersion] = field(default_factory=list)
    source: str | None = None


def from_json(cls: type[T], data: Mapping[str, Any]) -> T:
    """A record of dataclass ``cls`` from its JSON object: times parsed, enums and nested
    records built from their hints; unknown keys ignored."""
    hints = typing.get_type_hints(cls)
    known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    return cls(**{k: _value(hints[k], v) for k, v in data.items() if k in known})


def _value(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(hint) if a is not type(None)]
        return _value(inner[0], value) if len(inner) == 1 else value
    if origin is list:
        (item,) = typing.get_args(hint)
        return [_value(item, v) for v in value]
    if hint is datetime:
        return datetime.fromisoformat(value)
    if isinstance(hint, type) and issubclass(hint, Enum):
        return hint(value)
    if isinstance(hint, type) and is_dataclass(hint):
        return from_json(hint, value)
    return value
