"""Library programs as data: a program's parameter schema, and the one check that reads
parameter values against it. Pure: the service checks a workflow with it before anything
runs, and a program checks the values it is started with the same way.

Values come typed (JSON from the REST API) or as text (a form field, ``--param k=v``, an
environment variable): a string that parses as the declared type is taken. A ``list``
is a list of strings, or a string of comma-separated items (or a JSON array, for items
that hold a comma). A workflow's task params hold scalars only, so a list is stored
there as such a string (``task_param``).
"""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import Problem
from .resource import LIBRARY_PREFIX

PARAM_TYPES = ("string", "integer", "number", "boolean", "list")

_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})
_EXPECTED = {"string": "a string", "integer": "a whole number", "number": "a number",
             "boolean": "true or false", "list": "a list of strings (or a comma-separated "
                                                 "string)"}


@dataclass(frozen=True)
class Param:
    """One parameter of a program. ``choices`` limits a string; ``check`` says why a
    value of the right type is still not acceptable (e.g. an item that is not
    ``column=ratio``), or None."""

    name: str
    type: str
    help: str
    required: bool = False
    default: Any = None
    choices: tuple[str, ...] = ()
    check: Callable[[Any], str | None] | None = field(default=None, compare=False)


Rules = Callable[[Mapping[str, Any]], list[tuple[str, str]]]


@dataclass(frozen=True)
class Program:
    """A built-in program: a python script in the read-only ``library`` namespace.

    ``rules`` checks how parameters go together, given every typed value (defaults
    filled in); it returns ``(parameter or "", message)`` pairs.
    """

    name: str
    title: str
    description: str
    params: tuple[Param, ...]
    example: Mapping[str, Any]
    rules: Rules | None = field(default=None, compare=False)

    @property
    def resource(self) -> str:
        """The name of its resource: ``library/<name>.py``."""
        return f"{LIBRARY_PREFIX}{self.name}.py"

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)


def absent(value: Any) -> bool:
    """A value that says "not given": None, an empty or blank string, an empty list."""
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def split_list(text: str) -> list[str]:
    """``"a, b"`` → ``["a", "b"]``; a JSON array (``'["a,1", "b"]'``) is read as JSON.
    ValueError when a JSON array is not one of strings."""
    if text.lstrip().startswith("["):
        items = json.loads(text)
        if not (isinstance(items, list) and all(isinstance(i, str) for i in items)):
            raise ValueError("not a JSON array of strings")
        return items
    return [item.strip() for item in text.split(",") if item.strip()]


def task_param(value: Any) -> str | int | float | bool:
    """A typed value as a workflow task param (a scalar): a list as comma-separated
    text, or as a JSON array when an item holds a comma (``split_list`` reads both)."""
    if not isinstance(value, list):
        return value
    if any("," in item for item in value) or (value and value[0].lstrip().startswith("[")):
        return json.dumps(value)
    return ",".join(value)


def parse_value(param: Param, value: Any) -> Any:
    """``value`` as ``param``'s type; ValueError when it is not one."""
    kind = param.type
    if kind == "string":
        if isinstance(value, str):
            return value
    elif kind == "integer":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str):
            return int(value.strip())
    elif kind == "number":
        number: float | None = None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            number = value
        elif isinstance(value, str):
            number = float(value.strip())
        if number is not None and math.isfinite(number):
            return number
    elif kind == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
    elif kind == "list":
        if isinstance(value, list) and all(isinstance(i, str) for i in value):
            return [i.strip() for i in value if i.strip()]
        if isinstance(value, str):
            return split_list(value)
    raise ValueError(kind)


def _unknown(name: str, program: Program) -> str:
    names = [p.name for p in program.params]
    close = difflib.get_close_matches(name, names, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return (f"unknown parameter of program {program.name} ({hint}parameters: "
            f"{', '.join(names)})")


def check_params(program: Program, values: Mapping[str, Any] | None, where: str = "params",
                 given_elsewhere: frozenset[str] = frozenset()
                 ) -> tuple[dict[str, Any], list[Problem]]:
    """The typed values of the parameters given, and one Problem per bad one, at
    ``<where>.<name>``: a missing required one (unless named in ``given_elsewhere``,
    e.g. the workflow's params, which reach the task too), an unknown name, a value not
    of its type, not among its choices, or refused by its check. The program's rules run
    when every value is good."""
    typed: dict[str, Any] = {}
    problems: list[Problem] = []
    given = {k: v for k, v in (values or {}).items() if not absent(v)}
    for name in given:
        if program.param(name) is None:
            problems.append(Problem(f"{where}.{name}", _unknown(name, program)))
    for param in program.params:
        at = f"{where}.{param.name}"
        if param.name not in given:
            if param.required and param.name not in given_elsewhere:
                problems.append(Problem(at, f"is required: {param.help}"))
            continue
        raw = given[param.name]
        try:
            value = parse_value(param, raw)
        except ValueError:
            problems.append(Problem(at, f"must be {_EXPECTED[param.type]}, "
                                        f"not {json.dumps(raw)[:60]}"))
            continue
        if param.choices and value not in param.choices:
            problems.append(Problem(at, f"must be one of {', '.join(param.choices)}, "
                                        f"not {value!r}"))
            continue
        why = param.check(value) if param.check else None
        if why:
            problems.append(Problem(at, why))
            continue
        typed[param.name] = value
    if not problems and program.rules is not None:
        problems += [Problem(f"{where}.{name}" if name else where, message)
                     for name, message in program.rules(with_defaults(program, typed))]
    return typed, problems


def with_defaults(program: Program, typed: Mapping[str, Any]) -> dict[str, Any]:
    """Every parameter's value: the given one, else its default (None when it has none)."""
    return {p.name: typed.get(p.name, p.default) for p in program.params}
