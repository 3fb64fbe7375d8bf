"""The workflow model and its file format (``NAME.workflow.json``).

Optional fields are ``None`` when the file leaves them out, so ``to_dict`` writes back
exactly what was read: load → save gives the same JSON. Effective defaults are
properties (``Relation.crosses_on_rerun``, ``Workflow.strategy``...).

``parse_workflow`` never raises on a bad document: it builds what it can and returns
every shape or type problem with where it is, so validation can report them all at once.
"""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from json.encoder import encode_basestring_ascii
from typing import Any

from ..errors import InvalidWorkflow, Problem
from .jsonvalues import non_finite, shown

Scalar = str | int | float | bool

FAILURE_STRATEGIES = ("continue", "stop")
CATCHUP_POLICIES = ("none", "latest", "all")


@dataclass
class Schedule:
    """When a published workflow runs: ``cron`` (+ ``timezone``) or a single ``once`` time."""

    cron: str | None = None
    timezone: str | None = None
    once: str | None = None
    catchup: str | None = None
    start: str | None = None
    end: str | None = None
    max_active_runs: int | None = None

    @property
    def tz(self) -> str:
        return self.timezone or "UTC"

    @property
    def catchup_policy(self) -> str:
        return self.catchup or "none"


@dataclass
class Reference:
    """A root node standing for another workflow (or one of its tasks) for the same cycle."""

    id: str
    workflow: str
    task: str | None = None
    timeout: float | None = None


@dataclass
class Relation:
    """A one-way edge ``upstream -> downstream``; ``rerun`` (default true) decides whether
    a rerun with downstream crosses it."""

    upstream: str
    downstream: str
    rerun: bool | None = None

    @property
    def crosses_on_rerun(self) -> bool:
        return self.rerun is not False


@dataclass
class Task:
    """A node that does work. ``options`` holds the fields specific to its type."""

    id: str
    type: str
    resource: str | None = None
    command: str | None = None
    code: str | None = None
    args: list[str] | None = None
    params: dict[str, Scalar] | None = None
    files: list[str] | None = None
    retries: int | None = None
    retry_delay: float | None = None
    timeout: float | None = None
    pool: str | None = None
    memory_mb: int | None = None
    cpu_seconds: int | None = None
    description: str | None = None
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class Workflow:
    name: str
    description: str | None = None
    params: dict[str, Scalar] | None = None
    schedule: Schedule | None = None
    max_parallel: int | None = None
    failure_strategy: str | None = None
    pool: str | None = None
    references: list[Reference] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)

    @property
    def strategy(self) -> str:
        return self.failure_strategy or "continue"

    @property
    def node_ids(self) -> list[str]:
        return [r.id for r in self.references] + [t.id for t in self.tasks]

    @property
    def edges(self) -> list[tuple[str, str]]:
        return [(r.upstream, r.downstream) for r in self.relations]

    def task(self, task_id: str) -> Task:
        for task in self.tasks:
            if task.id == task_id:
                return task
        raise KeyError(task_id)

    def to_dict(self) -> dict[str, Any]:
        return workflow_to_dict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


# --- writing -----------------------------------------------------------------------------

def _compact(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    return {key: value for key, value in pairs if value is not None}


def _schedule_to_dict(s: Schedule) -> dict[str, Any]:
    return _compact([("cron", s.cron), ("once", s.once), ("timezone", s.timezone),
                     ("catchup", s.catchup), ("start", s.start), ("end", s.end),
                     ("max_active_runs", s.max_active_runs)])


def _task_to_dict(t: Task) -> dict[str, Any]:
    data = _compact([(name, getattr(t, name)) for name in TASK_FIELDS])
    data.update(t.options)
    return data


def workflow_to_dict(wf: Workflow) -> dict[str, Any]:
    """The workflow as its file's JSON object, keys in the documented order."""
    data = _to_dict_but_relations(wf)
    if wf.relations:
        data["relations"] = [{"from": r.upstream, "to": r.downstream} if r.rerun is None else
                             {"from": r.upstream, "to": r.downstream, "rerun": r.rerun}
                             for r in wf.relations]
    return data


def workflow_to_json(wf: Workflow) -> str:
    """``json.dumps(workflow_to_dict(wf))``, character for character, made faster.

    Every run stores its definition, and a big workflow is mostly relations: a dict
    each, then encoded, cost 1.5 ms for layered 10x20 (3,600 relations). Here they are
    written as text with the encoder's own string escaping: 0.6 ms.
    """
    text = json.dumps(_to_dict_but_relations(wf), allow_nan=False)
    if not wf.relations:
        return text
    quote = encode_basestring_ascii  # what json.dumps uses (ensure_ascii)
    relations = ", ".join([
        f'{{"from": {quote(r.upstream)}, "to": {quote(r.downstream)}}}' if r.rerun is None
        else f'{{"from": {quote(r.upstream)}, "to": {quote(r.downstream)}, '
             f'"rerun": {json.dumps(r.rerun)}}}' for r in wf.relations])
    return f'{text[:-1]}, "relations": [{relations}]}}'  # relations come last


def _to_dict_but_relations(wf: Workflow) -> dict[str, Any]:
    return _compact([
        ("name", wf.name),
        ("description", wf.description),
        ("params", wf.params),
        ("schedule", _schedule_to_dict(wf.schedule) if wf.schedule else None),
        ("max_parallel", wf.max_parallel),
        ("failure_strategy", wf.failure_strategy),
        ("pool", wf.pool),
        ("references", [_compact([("id", r.id), ("workflow", r.workflow), ("task", r.task),
                                  ("timeout", r.timeout)]) for r in wf.references] or None),
        ("tasks", [_task_to_dict(t) for t in wf.tasks]),
    ])


# --- reading -----------------------------------------------------------------------------

TASK_FIELDS = ("id", "type", "resource", "command", "code", "args", "params", "files",
               "retries", "retry_delay", "timeout", "pool", "memory_mb", "cpu_seconds",
               "description")


def _is_str(v: Any) -> bool:
    return isinstance(v, str)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _is_str_list(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


def param_value_problem(value: Any) -> str | None:
    """Why ``value`` cannot be a parameter's value, or None: a parameter is a string, a
    finite number or a boolean (what an environment variable and a papermill parameter
    carry), in a workflow file and given to a run alike."""
    if isinstance(value, float) and not math.isfinite(value):
        return f"must be a finite number, not {shown(value)}"
    if not isinstance(value, (str, int, float, bool)):
        return f"must be a string, number or boolean, not {shown(value)}"
    return None


def _is_params(v: Any) -> bool:
    return isinstance(v, dict) and all(
        isinstance(k, str) and isinstance(x, (str, int, float, bool)) for k, x in v.items())


#: (check, what the problem says it should be) per kind of field
KINDS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "str": (_is_str, "a string"),
    "int": (_is_int, "a whole number"),
    "number": (_is_number, "a number"),
    "bool": (lambda v: isinstance(v, bool), "true or false"),
    "str_list": (_is_str_list, "a list of strings"),
    "params": (_is_params, "an object of string, number or boolean values"),
    "object": (lambda v: isinstance(v, dict), "an object"),
    "any": (lambda v: True, "anything"),
}

_WORKFLOW_KINDS = {"name": "str", "description": "str", "params": "params",
                   "schedule": "object", "max_parallel": "int", "failure_strategy": "str",
                   "pool": "str", "references": "list", "tasks": "list", "relations": "list"}
_SCHEDULE_KINDS = {"cron": "str", "once": "str", "timezone": "str", "catchup": "str",
                   "start": "str", "end": "str", "max_active_runs": "int"}
_REFERENCE_KINDS = {"id": "str", "workflow": "str", "task": "str", "timeout": "number"}
_RELATION_KINDS = {"from": "str", "to": "str", "rerun": "bool"}
_TASK_KINDS = {"id": "str", "type": "str", "resource": "str", "command": "str", "code": "str",
               "args": "str_list", "params": "params", "files": "str_list", "retries": "int",
               "retry_delay": "number", "timeout": "number", "pool": "str",
               "memory_mb": "int", "cpu_seconds": "int", "description": "str"}


def unknown_field(key: str, known: list[str] | tuple[str, ...] | Mapping[str, Any],
                  owner: str = "") -> str:
    """The message for an unknown field (of ``owner``, e.g. "a shell task"), suggesting the
    nearest known one."""
    close = difflib.get_close_matches(key, list(known), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown field {key!r}{f' for {owner}' if owner else ''}{hint}"


class _Reader:
    """Reads one document, collecting problems instead of raising."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def problem(self, where: str, message: str) -> None:
        self.problems.append(Problem(where, message))

    def fields(self, obj: dict[str, Any], where: str, kinds: Mapping[str, str],
               required: tuple[str, ...] = (), extra_ok: bool = False) -> dict[str, Any]:
        """The well-typed known fields of ``obj``; bad ones are reported and left out."""
        out: dict[str, Any] = {}
        for key in required:
            if key not in obj:
                self.problem(f"{where}.{key}" if where else key, "is required")
        for key, value in obj.items():
            kind = kinds.get(key)
            if kind is None:
                if not extra_ok:
                    self.problem(f"{where}.{key}" if where else key, unknown_field(key, kinds))
                continue
            if kind == "list":
                ok, expected = isinstance(value, list), "a list"
            elif kind == "str":  # most fields: skip the table and the call
                ok, expected = isinstance(value, str), "a string"
            else:
                check, expected = KINDS[kind]
                ok = check(value)
            if ok and kind in ("number", "params") and (bad := non_finite(
                    value, f"{where}.{key}" if where else key)):
                self.problems += bad  # NaN, Infinity, 1e400: JSON has no such numbers
            elif ok:
                out[key] = value
            else:
                self.problem(f"{where}.{key}" if where else key,
                             f"must be {expected}, not {json.dumps(value)[:60]}")
        return out

    def objects(self, value: Any, where: str) -> Iterator[tuple[int, dict[str, Any] | None]]:
        """The items of a list of objects with their index; an item that is not an
        object is reported and read as None so the items after it keep their index
        (``tasks[3]`` stays 3). Handed out one by one: a list of them (3,600 pairs for
        the relations of a layered 10x20 workflow) outlived enough allocations to be
        promoted to the collector's oldest generation."""
        for i, item in enumerate(value if isinstance(value, list) else ()):
            if not isinstance(item, dict):
                self.problem(f"{where}[{i}]", "must be an object")
                item = None
            yield i, item

    def item_fields(self, item: dict[str, Any] | None, where: str, kinds: Mapping[str, str],
                    required: tuple[str, ...], extra_ok: bool = False) -> dict[str, Any]:
        """``fields`` of a list item; nothing more is said about one that is not an object."""
        return {} if item is None else self.fields(item, where, kinds, required, extra_ok)


def parse_workflow(data: Any) -> tuple[Workflow, list[Problem]]:
    """Build a Workflow from a file's JSON; return it with every shape/type problem."""
    reader = _Reader()
    if not isinstance(data, dict):
        reader.problem("", "a workflow file must hold a JSON object")
        return Workflow(name=""), reader.problems
    top = reader.fields(data, "", _WORKFLOW_KINDS, required=("name", "tasks"))
    schedule = None
    if "schedule" in top:
        schedule = Schedule(**reader.fields(top["schedule"], "schedule", _SCHEDULE_KINDS))
    references = []
    for i, item in reader.objects(top.get("references"), "references"):
        f = reader.item_fields(item, f"references[{i}]", _REFERENCE_KINDS,
                               required=("id", "workflow"))
        references.append(Reference(id=f.get("id", ""), workflow=f.get("workflow", ""),
                                    task=f.get("task"), timeout=f.get("timeout")))
    tasks = []
    for i, item in reader.objects(top.get("tasks"), "tasks"):
        f = reader.item_fields(item, f"tasks[{i}]", _TASK_KINDS, required=("id", "type"),
                               extra_ok=True)
        options = {k: v for k, v in (item or {}).items() if k not in _TASK_KINDS}
        if bad := non_finite(options, f"tasks[{i}]"):
            reader.problems += bad
            options = {k: v for k, v in options.items() if not non_finite(v)}
        tasks.append(Task(**{"id": "", "type": "", **f}, options=options))
    relations = []
    for i, item in reader.objects(top.get("relations"), "relations"):
        # big workflows are mostly relations, and a run reads its workflow twice: a
        # plainly well-formed one (from, to, maybe a boolean rerun) is built directly
        if item is not None:
            up, down, rerun = item.get("from"), item.get("to"), item.get("rerun")
            if type(up) is str and type(down) is str and (
                    len(item) == 2 or (len(item) == 3 and type(rerun) is bool)):
                relations.append(Relation(up, down, rerun))
                continue
        f = reader.item_fields(item, f"relations[{i}]", _RELATION_KINDS,
                               required=("from", "to"))
        relations.append(Relation(f.get("from", ""), f.get("to", ""), f.get("rerun")))
    wf = Workflow(
        name=top.get("name", ""), description=top.get("description"), params=top.get("params"),
        schedule=schedule, max_parallel=top.get("max_parallel"),
        failure_strategy=top.get("failure_strategy"), pool=top.get("pool"),
        references=references, tasks=tasks, relations=relations,
    )
    return wf, reader.problems


def load_workflow(data: Any) -> Workflow:
    """Parse a document that must be well-formed; InvalidWorkflow lists every problem."""
    wf, problems = parse_workflow(data)
    if problems:
        raise InvalidWorkflow(problems, wf.name or None)
    return wf


def load_workflow_text(text: str) -> Workflow:
    """Parse a workflow file's text (JSON)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidWorkflow([Problem("", f"not valid JSON: {exc.msg} at line {exc.lineno}, "
                                           f"column {exc.colno}")]) from None
    return load_workflow(data)


def repin_resources(wf: Workflow, tasks: set[str],
                    latest: Callable[[str], int | None]) -> Workflow:
    """A copy of ``wf`` whose ``tasks`` use the latest version of each resource they
    name (a fixed script for a rerun); other tasks keep their pins."""
    from dataclasses import replace

    def unpinned(task: Task) -> Task:
        if task.id not in tasks:
            return task
        return replace(task, resource=task.resource and task.resource.split("@")[0],
                       files=None if task.files is None else [f.split("@")[0]
                                                              for f in task.files])

    return pin_resources(replace(wf, tasks=[unpinned(t) for t in wf.tasks]), latest)


def pin_resources(wf: Workflow, latest: Callable[[str], int | None]) -> Workflow:
    """A copy of ``wf`` whose resource references all name a version: ``name`` becomes
    ``name@<latest(name)>``; references already pinned, or unknown to ``latest``, stay."""
    from dataclasses import replace

    def pin(ref: str) -> str:
        if "@" in ref:
            return ref
        version = latest(ref)
        return ref if version is None else f"{ref}@{version}"

    tasks = [replace(t, resource=t.resource and pin(t.resource),
                     files=None if t.files is None else [pin(f) for f in t.files])
             if t.resource or t.files else t for t in wf.tasks]
    return replace(wf, tasks=tasks)
