"""The designer: build a workflow file in a notebook, see it drawn, validate it with the
problems shown next to the fields they are about, pre-run it, publish it.

The document (the workflow file's JSON) is the designer's state, in the ``document``
trait. Every edit goes through a Python method (``add_task``, ``connect``,
``set_schedule``...), which the buttons and fields call too, so a test drives the
designer exactly as a user does. Validation is the source's (the server's rules,
resources and pools), asked for when the user validates, saves, pre-runs or publishes —
not on every keystroke.
"""

from __future__ import annotations

import copy
import html
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime, timezone
from functools import partial
from typing import Any

import ipywidgets
import traitlets

from .. import dag
from ..errors import BatchError, CycleError, InvalidInput, InvalidWorkflow, NotFound, Problem
from ..model.workflow import parse_workflow
from .closing import close_tree
from .dag_canvas import DagCanvas
from .dag_view import DagView
from .key_value import KeyValueRows
from .problems import ErrorLabels, by_place, place_of
from .relations_editor import RelationsEditor
from .schedule_editor import ScheduleEditor
from .source import BatchSource
from .task_editor import ReferenceEditor, ResourceChoices, TaskEditor

#: the workflow file's keys in the order the file format documents them
KEY_ORDER = ("name", "description", "params", "schedule", "max_parallel", "failure_strategy",
             "pool", "references", "tasks", "relations")
#: top-level fields whose problems show under the name/description/params fields
#: (or in the general list); ``tasks`` is "a workflow needs at least one task"
TOP_FIELDS = ("name", "description", "params", "tasks")


def _ordered(doc: dict[str, Any]) -> dict[str, Any]:
    known = {key: doc[key] for key in KEY_ORDER if key in doc}
    return {**known, **{key: value for key, value in doc.items() if key not in known}}


def _items(doc: Mapping[str, Any], section: str) -> list[Any]:
    items = doc.get(section)
    return items if isinstance(items, list) else []


def _put(target: dict[str, Any], key: str, value: Any) -> None:
    """Set a field, or leave it out when ``value`` is None."""
    if value is None:
        target.pop(key, None)
    else:
        target[key] = value


class Designer(ipywidgets.VBox):
    """``Designer(source)`` starts an empty workflow; ``Designer(source, document)``
    edits a workflow file's JSON. ``clock`` is "now" for the schedule's next fire times."""

    #: the workflow file being built (a new dict on every edit)
    document = traitlets.Dict()
    #: what the last validation found (``Problem``s), each also shown at its field
    problems: traitlets.List[Problem] = traitlets.List()

    def __init__(self, source: BatchSource, document: Mapping[str, Any] | None = None,
                 clock: Callable[[], datetime] | None = None) -> None:
        self._source = source
        self._types = dict(source.task_types())
        self.resources = ResourceChoices(source)
        self._quiet = False
        self._editors: dict[tuple[str, int], TaskEditor | ReferenceEditor] = {}
        self._titles: list[str] = []
        self.run_view: DagView | None = None

        self.name_field = ipywidgets.Text(description="name", continuous_update=False)
        self.description_field = ipywidgets.Text(description="description",
                                                 continuous_update=False,
                                                 layout=ipywidgets.Layout(width="460px"))
        self.name_field.observe(lambda c: self._top_edited("name", c["new"].strip()), "value")
        self.description_field.observe(
            lambda c: self._top_edited("description", c["new"].strip() or None), "value")
        self.params = KeyValueRows(partial(self._top_edited, "params"))
        self.schedule = ScheduleEditor(self._schedule_edited,
                                       clock or (lambda: datetime.now(timezone.utc)))
        self.errors = ErrorLabels(TOP_FIELDS)

        self.new_id = ipywidgets.Text(placeholder="new node's id",
                                      layout=ipywidgets.Layout(width="140px"))
        self.new_type = ipywidgets.Dropdown(options=list(self._types),
                                            layout=ipywidgets.Layout(width="120px"))
        self.new_ref_workflow = ipywidgets.Text(placeholder="workflow it waits for",
                                                layout=ipywidgets.Layout(width="200px"))
        self.add_task_button = self._button("add task", "plus",
                                            partial(self._add_from_row, reference=False))
        self.add_reference_button = self._button("add reference", "external-link",
                                                 partial(self._add_from_row, reference=True))
        self.refresh_resources_button = self._button("resources", "refresh",
                                                     self.refresh_resources)
        self.refresh_resources_button.tooltip = "read the stored resources again"
        self.canvas = DagCanvas()
        self.canvas.observe(self._node_clicked, "selected")
        self.editors = ipywidgets.Accordion()
        self.relations = RelationsEditor(self._guarded(self.connect),
                                         self._guarded(self.disconnect))
        self.status = ipywidgets.HTML()
        self.run_area = ipywidgets.VBox()
        self.validate_button = self._button("validate", "check", self.validate)
        self.save_button = self._button("save", "save", self.save)
        self.prerun_button = self._button("pre-run", "play", self.prerun)
        self.publish_button = self._button("publish", "upload", self.publish)
        actions = ipywidgets.HBox([self.validate_button, self.save_button, self.prerun_button,
                                   self.publish_button])
        super().__init__([
            self.name_field, self.errors["name"], self.description_field,
            self.errors["description"], ipywidgets.HTML("<b>parameters</b>"), self.params,
            self.errors["params"], ipywidgets.HTML("<b>schedule</b>"), self.schedule,
            ipywidgets.HTML("<b>nodes</b>"),
            ipywidgets.HBox([self.new_id, self.new_type, self.add_task_button,
                             self.refresh_resources_button]),
            ipywidgets.HBox([self.new_ref_workflow, self.add_reference_button]),
            self.errors["tasks"], self.canvas, self.editors,
            ipywidgets.HTML("<b>relations</b>"), self.relations,
            self.errors[""], actions, self.status, self.run_area])
        self.observe(self._document_set, "document")
        self.document = _ordered(dict(document or {"name": "", "tasks": []}))

    # --- the document ---------------------------------------------------------------------

    @property
    def node_ids(self) -> list[str]:
        """References first, then tasks, as ``Workflow.node_ids``."""
        return [str(item.get("id")) for section in ("references", "tasks")
                for item in _items(self.document, section) if isinstance(item, dict)]

    def add_task(self, task_id: str, type: str, **fields: Any) -> None:
        """Add a task; ``fields`` as the workflow file has them (``resource="clean.py@2"``,
        ``command=...``, ``params={...}``, ``retries=1``, a type's options)."""
        self._require_new_id(task_id)
        task = {"id": task_id, "type": type,
                **{key: value for key, value in fields.items() if value is not None}}
        self._edit(lambda doc: doc.setdefault("tasks", []).append(task))

    def update_task(self, task_id: str, **fields: Any) -> None:
        """Set fields of a task (None: leave the field out). Changing the type redraws
        its editor, whose fields depend on the type."""
        self._update("tasks", task_id, fields, rebuild="type" in fields)

    def add_reference(self, ref_id: str, workflow: str, task: str | None = None,
                      timeout: float | None = None) -> None:
        """Add a reference to another workflow (or one task of it), a root node."""
        self._require_new_id(ref_id)
        ref: dict[str, Any] = {"id": ref_id, "workflow": workflow}
        _put(ref, "task", task)
        _put(ref, "timeout", timeout)
        self._edit(lambda doc: doc.setdefault("references", []).append(ref))

    def update_reference(self, ref_id: str, **fields: Any) -> None:
        """Set fields of a reference (None: leave the field out)."""
        self._update("references", ref_id, fields, rebuild=False)

    def connect(self, upstream: str, downstream: str, rerun: bool = True) -> None:
        """Add the relation ``upstream → downstream``; ``rerun=False`` stops a rerun with
        downstream there. Refused at once when a node is unknown, the relation exists or
        it would close a cycle (the drawing needs a DAG); validation checks the rest."""
        nodes = self.node_ids
        for node in (upstream, downstream):
            if node not in nodes:
                raise NotFound(f"no node {node!r} to connect (nodes: {', '.join(nodes)})")
        edges = [(str(r.get("from")), str(r.get("to")))
                 for r in _items(self.document, "relations") if isinstance(r, dict)]
        if (upstream, downstream) in edges:
            raise InvalidInput(f"{upstream!r} -> {downstream!r} is already connected")
        cycle = dag.find_cycle(nodes, [e for e in edges if e[0] in nodes and e[1] in nodes]
                               + [(upstream, downstream)])
        if cycle:
            raise CycleError(cycle)
        relation: dict[str, Any] = {"from": upstream, "to": downstream}
        if not rerun:
            relation["rerun"] = False
        self._edit(lambda doc: doc.setdefault("relations", []).append(relation))

    def disconnect(self, upstream: str, downstream: str) -> None:
        """Remove the relation ``upstream → downstream``."""
        relations = _items(self.document, "relations")
        kept = [r for r in relations
                if not (isinstance(r, dict) and (r.get("from"), r.get("to")) == (upstream,
                                                                                 downstream))]
        if len(kept) == len(relations):
            raise NotFound(f"no relation {upstream!r} -> {downstream!r}")
        self._edit(lambda doc: _put(doc, "relations", kept or None))

    def delete_node(self, node_id: str) -> None:
        """Remove a task or reference and every relation to or from it."""
        if node_id not in self.node_ids:
            raise NotFound(f"no node {node_id!r}")

        def delete(doc: dict[str, Any]) -> None:
            for section in ("references", "tasks", "relations"):
                items = [item for item in _items(doc, section) if not isinstance(item, dict)
                         or node_id not in (item.get("id"), item.get("from"), item.get("to"))]
                if section in doc:
                    doc[section] = items
            for section in ("references", "relations"):
                if not doc.get(section):
                    doc.pop(section, None)

        self._edit(delete)

    def set_schedule(self, cron: str | None = None, timezone: str | None = None,
                     once: str | None = None, catchup: str | None = None) -> None:
        """Run on a cron (in ``timezone``, default UTC) or ``once`` at a time; with neither,
        manual only."""
        schedule: dict[str, Any] = {}
        for key, value in (("cron", cron), ("once", once), ("timezone", timezone),
                           ("catchup", catchup)):
            _put(schedule, key, value)
        self._edit(lambda doc: _put(doc, "schedule", schedule if cron or once else None))

    def refresh_resources(self) -> None:
        """Read the stored resources again (one added since, e.g. with ``%%batch_resource``,
        joins the resource dropdowns)."""
        self.resources.refresh()
        self._render()

    def task_editor(self, task_id: str) -> TaskEditor:
        """The editor of a task (its fields and their error labels)."""
        for editor in self._editors.values():
            if isinstance(editor, TaskEditor) and editor.node_id == task_id:
                return editor
        raise NotFound(f"no task {task_id!r}")

    def reference_editor(self, ref_id: str) -> ReferenceEditor:
        """The editor of a reference."""
        for editor in self._editors.values():
            if isinstance(editor, ReferenceEditor) and editor.node_id == ref_id:
                return editor
        raise NotFound(f"no reference {ref_id!r}")

    # --- acting -----------------------------------------------------------------------------

    def validate(self) -> list[Problem]:
        """Every problem of the document, by the source's rules; each is shown at its
        field."""
        _, problems = self._source.validate(self.document)
        self._show_problems(problems)
        if problems:
            self._say(f"{len(problems)} problem{'s' if len(problems) > 1 else ''}: "
                      "see the fields marked in red, in "
                      + ", ".join(self._places(problems)), error=True)
        else:
            self._say("valid")
        return problems

    def save(self) -> bool:
        """Save the document as its workflow's draft, if it is valid."""
        if self.validate():
            return False
        self._source.save_workflow(self.document)
        self._say(f"saved the draft of {self.document['name']}")
        return True

    def prerun(self) -> int | None:
        """Test-run the document now (valid, not published); its run shows below."""
        if self.validate():
            return None
        run_id = self._source.prerun(self.document)
        if self.run_view is not None:
            close_tree(self.run_view)
        self.run_view = DagView(self._source, run_id=run_id)
        self.run_area.children = [self.run_view]
        self._say(f"pre-run {run_id} started")
        return run_id

    def publish(self) -> int | None:
        """Save the document and publish it; the version published."""
        if not self.save():
            return None
        version = self._source.publish(self.document["name"])
        self._say(f"published {self.document['name']} version {version}")
        return version

    def close(self) -> None:
        """Close every widget of the designer (the pre-run's view too)."""
        for child in self.children:
            close_tree(child)
        super().close()

    # --- keeping the widgets and the document together --------------------------------------

    def _edit(self, mutate: Callable[[dict[str, Any]], None], rebuild: bool = True) -> None:
        """Change a copy of the document and put it in place. A structural change
        redraws the editors (and drops the last validation, whose indexes may no longer
        match); a field edit only stores the value, so the field keeps its focus."""
        doc = copy.deepcopy(self.document)
        mutate(doc)
        self._quiet = not rebuild
        try:
            self.document = _ordered(doc)
        finally:
            self._quiet = False

    def _document_set(self, _change: object) -> None:
        if not self._quiet:
            self._render()

    def _update(self, section: str, node_id: str, fields: Mapping[str, Any],
                rebuild: bool) -> None:
        def update(doc: dict[str, Any]) -> None:
            for item in _items(doc, section):
                if isinstance(item, dict) and item.get("id") == node_id:
                    for key, value in fields.items():
                        _put(item, key, value)
                    return
            raise NotFound(f"no {section[:-1]} {node_id!r}")

        self._edit(update, rebuild)

    def _top_edited(self, key: str, value: Any) -> None:
        if self._quiet:
            return
        self.errors.clear(key)
        self._edit(lambda doc: _put(doc, key, value), rebuild=False)

    def _schedule_edited(self, schedule: dict[str, Any] | None) -> None:
        self._edit(lambda doc: _put(doc, "schedule", schedule), rebuild=False)

    def _render(self) -> None:
        doc = self.document
        self._quiet = True  # showing the document is not editing it
        try:
            self.name_field.value = str(doc.get("name") or "")
            self.description_field.value = str(doc.get("description") or "")
            self.params.load(doc.get("params") if isinstance(doc.get("params"), dict) else None)
            self.schedule.load(doc.get("schedule") if isinstance(doc.get("schedule"), dict)
                               else None)
        finally:
            self._quiet = False
        for editor in self._editors.values():
            close_tree(editor)
        self._editors = {}
        titles = []
        for i, ref in enumerate(_items(doc, "references")):
            if isinstance(ref, dict):
                ref_id = str(ref.get("id"))
                self._editors["references", i] = ReferenceEditor(
                    ref, partial(self._field_edited, "references", ref_id),
                    self._guarded(partial(self.delete_node, ref_id)))
                titles.append(f"{ref_id} · reference to {ref.get('workflow')}")
        for i, task in enumerate(_items(doc, "tasks")):
            if isinstance(task, dict):
                task_id = str(task.get("id"))
                self._editors["tasks", i] = TaskEditor(
                    task, self._types, self.resources, partial(self._field_edited, "tasks",
                                                               task_id),
                    self._guarded(partial(self.delete_node, task_id)))
                titles.append(f"{task_id} · {task.get('type')}")
        self.editors.children = list(self._editors.values())
        self._titles = titles
        self.editors.titles = tuple(titles)
        self.relations.load(_items(doc, "relations"), self.node_ids)
        self._draw()
        self._show_problems([])
        self.status.value = ""  # it spoke of the document before this change

    def _field_edited(self, section: str, node_id: str, key: str, value: Any) -> None:
        self._update(section, node_id, {key: value}, rebuild=key == "type")

    def _draw(self) -> None:
        """Lay the document out as the server would; a graph that cannot be drawn (a
        document loaded with a cycle) says so, naming the cycle, in place of a drawing."""
        wf, _ = parse_workflow(self.document)
        ids = set(wf.node_ids)
        wf = replace(wf, relations=[r for r in wf.relations
                                    if r.upstream in ids and r.downstream in ids])
        try:
            self.canvas.show_layout(dag.workflow_layout(wf))
        except CycleError as exc:
            path = " \u2192 ".join([*exc.cycle, exc.cycle[0]])
            self.canvas.cannot_draw(f"Cannot draw: relations form a cycle: {path}")

    def _node_clicked(self, change: dict[str, Any]) -> None:
        """A click on a node in the drawing opens its editor."""
        for index, editor in enumerate(self._editors.values()):
            if editor.node_id == change["new"]:
                self.editors.selected_index = index

    def _show_problems(self, problems: list[Problem]) -> None:
        """Put each problem at its field; one without a field of its own (an item with
        no editor) joins the general list."""
        self.problems = problems
        grouped = by_place(problems)
        targets: dict[tuple[str, int | None], ErrorLabels] = {
            ("schedule", None): self.schedule.errors,
            ("relations", None): self.relations.section_errors,
            **{key: editor.errors for key, editor in self._editors.items()},
            **{("relations", i): labels for i, labels in enumerate(self.relations.errors)}}
        self._mark_sections({key: sum(map(len, grouped.get(key, {}).values()))
                             for key in self._editors})
        general = grouped.pop(("workflow", None), {})
        # "tasks" as a whole ("a workflow needs at least one task") shows by the add row
        for messages in grouped.pop(("tasks", None), {}).values():
            general.setdefault("tasks", []).extend(messages)
        for key, labels in targets.items():
            labels.show(grouped.pop(key, {}))
        for (section, index), by_field in grouped.items():
            item = section if index is None else f"{section}[{index}]"
            for field, messages in by_field.items():
                where = f"{item}.{field}" if field else item
                general.setdefault("", []).extend(f"{where}: {m}" for m in messages)
        self.errors.show(general)

    def _mark_sections(self, counts: Mapping[tuple[str, int], int]) -> None:
        """Title each node's section with how many problems it holds, and open the first
        that holds any (the accordion shows one at a time) unless the open one does: a
        problem is never left inside a closed section."""
        keys = list(self._editors)
        self.editors.titles = tuple(
            title + (f"  \u26a0 {n} problem{'s' if n > 1 else ''}" if (n := counts.get(key))
                     else "")
            for key, title in zip(keys, self._titles, strict=True))
        flagged = [i for i, key in enumerate(keys) if counts.get(key)]
        if flagged and self.editors.selected_index not in flagged:
            self.editors.selected_index = flagged[0]

    def _places(self, problems: list[Problem]) -> list[str]:
        """Where the problems are, in words, each once: "schedule", "task clean"..."""
        places: list[str] = []
        for problem in problems:
            place, _ = place_of(problem.where)
            items = _items(self.document, place.section)
            if place.section in ("tasks", "references") and place.index is not None and (
                    place.index < len(items) and isinstance(items[place.index], dict)):
                word = f"{place.section[:-1]} {items[place.index].get('id')}"
            elif place.section == "workflow":
                word = place.field or "the workflow"
            else:
                word = place.section
            if word not in places:
                places.append(word)
        return places

    def _add_from_row(self, reference: bool) -> None:
        node_id = self.new_id.value.strip()
        if reference:
            self.add_reference(node_id, self.new_ref_workflow.value.strip())
        else:
            self.add_task(node_id, self.new_type.value)
        self.new_id.value = ""

    def _require_new_id(self, node_id: str) -> None:
        if not node_id:
            raise InvalidInput("a node needs an id")
        if node_id in self.node_ids:
            raise InvalidInput(f"there is already a node {node_id!r}")

    def _say(self, text: str, error: bool = False) -> None:
        color = "#b91c1c" if error else "#166534"
        self.status.value = f'<span style="color:{color}">{html.escape(text)}</span>'

    def _guarded(self, act: Callable[..., Any]) -> Callable[..., None]:
        """``act`` for a button: an error the user can act on is said, not raised (a
        raise in a widget callback only reaches the kernel's log). The status line tells
        of the last action only: what an earlier one said is cleared first."""
        def run(*args: Any) -> None:
            self.status.value = ""
            try:
                act(*args)
            except InvalidWorkflow as exc:
                self._show_problems(exc.problems)
                self._say(str(exc), error=True)
            except BatchError as exc:
                self._say(str(exc), error=True)

        return run

    def _button(self, description: str, icon: str, act: Callable[[], Any]) -> ipywidgets.Button:
        button = ipywidgets.Button(description=description, icon=icon)
        button.on_click(lambda _b: self._guarded(act)())
        return button
