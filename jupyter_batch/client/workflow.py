"""``Workflow``: build a workflow in Python, then validate, pre-run, publish and run it.

The builder edits a ``model.workflow.Workflow`` — the dataclasses of the workflow file —
so ``to_dict()`` is exactly the file's JSON and nothing is lost between the two::

    wf = batch.workflow("daily", params={"region": "eu"})
    extract = wf.shell("extract", "echo extracting for $BATCH_DS")
    clean = wf.python("clean", "clean.py@3", retries=1)
    report = wf.notebook("report", "report.ipynb", params={"top": 10})
    extract >> clean
    wf.connect(clean, report, rerun=False)
    wf.schedule(cron="0 2 * * *", timezone="Europe/Berlin")
    run = wf.prerun().wait()

The builder holds the draft on this side; ``save`` (and ``prerun``/``publish``, which
save first) sends it. Rules live in one place, the server's validation: the builder
refuses only what it cannot represent (a second node with the same id, a relation to a
node it does not have).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from ..errors import InvalidInput, NotFound, Problem
from ..model import workflow as spec
from .display import Displayable
from .records import JSON, Published
from .runs import Run
from .transport import Transport

Day = str | date | None
_TASK_KEYWORDS = frozenset(spec.TASK_FIELDS) - {"id", "type"}


def day_text(day: Day) -> str | None:
    """A logical date as the API takes it (``YYYY-MM-DD``)."""
    if isinstance(day, datetime):
        return day.date().isoformat()
    if isinstance(day, date):
        return day.isoformat()
    return day


class Node:
    """A task or reference of a workflow being built. ``a >> b`` makes ``b`` run after
    ``a`` (and returns ``b``); ``a >> [b, c]`` and ``[a, b] >> c`` connect each pair.
    ``spec`` is the node's ``Task`` or ``Reference`` dataclass, to edit in place."""

    def __init__(self, workflow: Workflow, node: spec.Task | spec.Reference) -> None:
        self.workflow = workflow
        self.spec = node

    @property
    def id(self) -> str:
        return self.spec.id

    def __rshift__(self, other: Nodes) -> Nodes:
        self.workflow.connect(self, other)
        return other

    def __rrshift__(self, other: Sequence[Node]) -> Node:
        self.workflow.connect(other, self)
        return self

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Node) and other.workflow is self.workflow and \
            other.id == self.id

    def __hash__(self) -> int:
        return hash((id(self.workflow), self.id))

    def __repr__(self) -> str:
        if isinstance(self.spec, spec.Reference):
            return f"<reference {self.id!r} → workflow {self.spec.workflow!r}>"
        return f"<{self.spec.type} task {self.id!r}>"


#: one node, or several (``a >> [b, c]``)
Nodes = Node | Sequence[Node]


class Workflow(Displayable):
    """A workflow: its draft being built here, and what can be done with it on the
    server (or the local service). Get one from ``Batch.workflow`` (new) or
    ``Batch.get_workflow`` (saved)."""

    def __init__(self, transport: Transport, definition: spec.Workflow,
                 info: JSON | None = None) -> None:
        self._transport = transport
        self.definition = definition
        #: ``draft``, ``published`` or ``offline``; None until first saved
        self.state: str | None = None
        self.latest_version: int | None = None
        #: the draft differs from the latest published version
        self.draft_changed = False
        #: the workflow file as last saved (or loaded), to tell whether it changed since
        self._saved: dict[str, Any] | None = None
        if info is not None:
            self._take(info)

    def _take(self, info: JSON) -> Workflow:
        self._saved = self.to_dict()
        self.state = info["state"]
        self.latest_version = info.get("latest_version")
        self.draft_changed = bool(info.get("draft_changed"))
        return self

    @property
    def name(self) -> str:
        return self.definition.name

    # --- building -----------------------------------------------------------------------

    @property
    def nodes(self) -> list[Node]:
        """References first, then tasks, in the order they were added."""
        return [Node(self, n) for n in [*self.definition.references, *self.definition.tasks]]

    def __getitem__(self, node_id: str) -> Node:
        for node in self.nodes:
            if node.id == node_id:
                return node
        raise NotFound(f"workflow {self.name!r} has no node {node_id!r} "
                       f"(nodes: {', '.join(n.id for n in self.nodes) or 'none'})")

    def _new_id(self, node_id: str) -> None:
        if node_id in self.definition.node_ids:
            raise InvalidInput(f"workflow {self.name!r} already has a node {node_id!r}")

    def task(self, task_id: str, type: str, **fields: Any) -> Node:
        """Add a task of any type (plugins' too). ``fields`` are those of the workflow
        file's task (``resource``, ``command``, ``code``, ``args``, ``params``, ``files``,
        ``retries``, ``retry_delay``, ``timeout``, ``pool``, ...) and the type's own
        options (``kernel``, ``dialect``, ``source``, ...); None leaves a field out."""
        self._new_id(task_id)
        given = {k: v for k, v in fields.items() if v is not None}
        task = spec.Task(id=task_id, type=type,
                         **{k: v for k, v in given.items() if k in _TASK_KEYWORDS},
                         options={k: v for k, v in given.items() if k not in _TASK_KEYWORDS})
        self.definition.tasks.append(task)
        return Node(self, task)

    def shell(self, task_id: str, command: str | None = None, *, resource: str | None = None,
              **fields: Any) -> Node:
        """A shell task: an inline ``command`` or an ``sh`` resource."""
        return self.task(task_id, "shell", command=command, resource=resource, **fields)

    def python(self, task_id: str, resource: str | None = None, *, code: str | None = None,
               **fields: Any) -> Node:
        """A python task: a ``py`` resource (``"clean.py"``, ``"clean.py@3"``) or inline
        ``code``; ``args``, ``interpreter`` and the common fields as keywords."""
        return self.task(task_id, "python", resource=resource, code=code, **fields)

    def notebook(self, task_id: str, resource: str, *, params: dict[str, Any] | None = None,
                 **fields: Any) -> Node:
        """A notebook task: an ``ipynb`` resource run with papermill, with ``params``."""
        return self.task(task_id, "notebook", resource=resource, params=params, **fields)

    def app(self, task_id: str, resource: str | None = None, *, args: list[str] | None = None,
            **fields: Any) -> Node:
        """An app task: an external program (``args``), or a jar/archive/script resource."""
        return self.task(task_id, "app", resource=resource, args=args, **fields)

    def sql(self, task_id: str, resource: str | None = None, *, code: str | None = None,
            **fields: Any) -> Node:
        """A sql task on the warehouse: a ``sql``/``hql`` resource or inline ``code``."""
        return self.task(task_id, "sql", resource=resource, code=code, **fields)

    def sync(self, task_id: str, *, source: dict[str, Any], target: str,
             **fields: Any) -> Node:
        """A sync task: copy ``source`` (a file, or a database table or query) into the
        warehouse table ``target``; ``mode``, ``key``, ``watermark`` as keywords."""
        return self.task(task_id, "sync", source=source, target=target, **fields)

    def reference(self, ref_id: str, workflow: str, *, task: str | None = None,
                  timeout: float | None = None) -> Node:
        """A root node standing for ``workflow`` (or one ``task`` of it): what is below it
        waits until that workflow has succeeded for the same logical date."""
        self._new_id(ref_id)
        ref = spec.Reference(id=ref_id, workflow=workflow, task=task, timeout=timeout)
        self.definition.references.append(ref)
        return Node(self, ref)

    def _ids(self, nodes: Nodes | str | Sequence[str]) -> list[str]:
        items = [nodes] if isinstance(nodes, (Node, str)) else list(nodes)
        ids = []
        for item in items:
            if isinstance(item, Node) and item.workflow is not self:
                raise InvalidInput(f"node {item.id!r} belongs to workflow "
                                   f"{item.workflow.name!r}, not {self.name!r}")
            ids.append(self[item.id if isinstance(item, Node) else item].id)
        return ids

    def connect(self, upstream: Nodes | str | Sequence[str],
                downstream: Nodes | str | Sequence[str], rerun: bool | None = None) -> None:
        """Make each downstream node run after each upstream one. ``rerun=False``: a
        rerun with downstream does not cross this relation. Connecting a connected pair
        again only sets ``rerun``."""
        existing = {(r.upstream, r.downstream): r for r in self.definition.relations}
        for up in self._ids(upstream):
            for down in self._ids(downstream):
                relation = existing.get((up, down))
                if relation is None:
                    self.definition.relations.append(spec.Relation(up, down, rerun))
                elif rerun is not None:
                    relation.rerun = rerun

    def disconnect(self, upstream: Nodes | str | Sequence[str],
                   downstream: Nodes | str | Sequence[str]) -> None:
        """Remove the relations between these nodes (those that exist)."""
        pairs = {(u, d) for u in self._ids(upstream) for d in self._ids(downstream)}
        self.definition.relations = [r for r in self.definition.relations
                                     if (r.upstream, r.downstream) not in pairs]

    def remove(self, node: Node | str) -> None:
        """Remove a node and every relation it is part of."""
        (node_id,) = self._ids(node)
        d = self.definition
        d.tasks = [t for t in d.tasks if t.id != node_id]
        d.references = [r for r in d.references if r.id != node_id]
        d.relations = [r for r in d.relations if node_id not in (r.upstream, r.downstream)]

    def schedule(self, cron: str | None = None, *, timezone: str | None = None,
                 catchup: str | None = None, once: str | None = None,
                 start: str | None = None, end: str | None = None,
                 max_active_runs: int | None = None) -> Workflow:
        """Run on a ``cron`` schedule in ``timezone`` (``catchup``: none, latest, all), or
        ``once`` at an ISO time. No arguments: manual runs only."""
        fields = {"cron": cron, "timezone": timezone, "catchup": catchup, "once": once,
                  "start": start, "end": end, "max_active_runs": max_active_runs}
        given = any(v is not None for v in fields.values())
        self.definition.schedule = spec.Schedule(**fields) if given else None
        return self

    # --- the file -----------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The workflow file's JSON object."""
        return self.definition.to_dict()

    def to_json(self) -> str:
        return self.definition.to_json()

    def __repr__(self) -> str:
        d = self.definition
        state = self.state or "not saved"
        if self.latest_version:
            state += f", v{self.latest_version}" + (" + draft changes" if self.draft_changed
                                                    else "")
        lines = [f"Workflow {self.name!r} ({state})"]
        width = max((len(n) for n in d.node_ids), default=0)
        lines += [f"  {r.id:<{width}}  reference  {r.workflow}" + (f".{r.task}" if r.task
                                                                    else "")
                  for r in d.references]
        lines += [f"  {t.id:<{width}}  {t.type:<9}  {_body(t)}" for t in d.tasks]
        if d.relations:
            lines.append("  relations: " + ", ".join(
                f"{r.upstream} >> {r.downstream}" + (" (no rerun)" if r.rerun is False else "")
                for r in d.relations))
        if d.schedule:
            s = d.schedule
            lines.append(f"  schedule: once {s.once}" if s.once else
                         f"  schedule: cron {s.cron!r} {s.tz}")
        return "\n".join(line.rstrip() for line in lines)

    def _view_subject(self) -> str | spec.Workflow:
        """Saved as it is here: its name (the graph and its runs); else the definition
        (the designer, to edit it)."""
        return self.name if self._saved == self.to_dict() else self.definition

    # --- with the server ------------------------------------------------------------------

    def validate(self) -> list[Problem]:
        """Every problem of the draft, each with where it is (``tasks[1].resource``)."""
        reply = self._transport.validate(self.to_dict())
        return [Problem(p["where"], p["message"]) for p in reply["problems"]]

    def save(self) -> Workflow:
        """Save the draft (creating the workflow); InvalidWorkflow lists its problems."""
        return self._take(self._transport.save_workflow(self.to_dict()))

    def prerun(self, date: Day = None, params: dict[str, Any] | None = None) -> Run:
        """Save the draft and run it now without publishing it (a "pre-run"), for the
        logical ``date`` (default today), with run ``params``."""
        self.save()
        return self._run(self._transport.prerun(self.name, day_text(date), params))

    def publish(self, message: str = "") -> Published:
        """Save the draft and publish it as a new immutable version, every resource
        pinned to its latest version. Publishing an unchanged draft makes no version."""
        self.save()
        reply = self._transport.publish(self.name, message)
        self._take(self._transport.get_workflow(self.name))
        return Published(reply["version"], reply["created"])

    def offline(self) -> Workflow:
        """Take the workflow offline: its schedule stops; it can be published again."""
        return self._take(self._transport.offline(self.name))

    def run(self, date: Day = None, params: dict[str, Any] | None = None) -> Run:
        """Run the latest published version now, for the logical ``date``."""
        return self._run(self._transport.trigger(self.name, day_text(date), params))

    def backfill(self, start: Day, end: Day,
                 params: dict[str, Any] | None = None) -> list[Run]:
        """Run the published version once per logical date from ``start`` to ``end``
        (inclusive), oldest first, one after the other."""
        ids = self._transport.backfill(self.name, day_text(start) or "", day_text(end) or "",
                                       params)
        return [self._run(run_id) for run_id in ids]

    def _run(self, run_id: int) -> Run:
        return Run(self._transport, self._transport.get_run(run_id))

    def runs(self, state: str | Sequence[str] | None = None, limit: int = 20) -> list[Run]:
        """This workflow's most recent runs, newest first."""
        return list_runs(self._transport, self.name, state, limit)

    def versions(self) -> list[JSON]:
        """The published versions: ``version``, ``author``, ``message``, ``published_at``."""
        return self._transport.workflow_versions(self.name)

    def layout(self, version: int | None = None) -> JSON:
        """Where to draw each node of the saved draft (or a published version): the same
        picture the side panel draws."""
        return self._transport.layout(self.name, version)

    def delete(self) -> None:
        """Delete the saved workflow and its versions (its runs stay). Refused while it is
        published (take it offline first) or another workflow references it."""
        self._transport.delete_workflow(self.name)
        self.state, self.latest_version, self.draft_changed = None, None, False
        self._saved = None


def _body(task: spec.Task) -> str:
    if task.resource:
        return task.resource
    if task.command is not None:
        return json.dumps(task.command)[:60]
    if task.code is not None:
        return "code " + json.dumps(task.code)[:55]
    return " ".join(task.args or []) or ", ".join(f"{k}={v}" for k, v in task.options.items())


def list_runs(transport: Transport, workflow: str | None, state: str | Sequence[str] | None,
              limit: int) -> list[Run]:
    states = [state] if isinstance(state, str) else list(state or [])
    reply = transport.list_runs(workflow, states, limit, 0)
    return [Run(transport, r) for r in reply["runs"]]
