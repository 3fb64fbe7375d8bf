"""The editors of one node in the designer: a task (fields chosen by its type's spec) and
a reference. Each shows its node's fields with an error label under each, and reports an
edit as ``on_change(field, value)`` (value None: leave the field out); the designer owns
the document."""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable, Mapping
from typing import Any

import ipywidgets

from ..model.task_spec import TaskTypeSpec
from .key_value import KeyValueRows
from .problems import ErrorLabels
from .source import BatchSource

OnChange = Callable[[str, Any], None]


class ResourceChoices:
    """The resources a task may name, read from the source once (and on ``refresh``):
    each as ``name`` (its latest version, pinned when the workflow is published) and as
    every ``name@version``, labelled with that version's message."""

    def __init__(self, source: BatchSource) -> None:
        self._source = source
        self.refresh()

    def refresh(self) -> None:
        self._found = [(info, self._source.resource_versions(info.name))
                       for info in self._source.list_resources()]

    def options(self, formats: tuple[str, ...], current: str | None) -> list[tuple[str, str]]:
        """Dropdown options for a task whose type runs ``formats`` (all when empty); a
        current value that is not stored is kept, marked, so validation can point at it."""
        options = [("(choose a resource)", "")]
        for info, versions in self._found:
            if formats and info.format not in formats:
                continue
            options.append((f"{info.name} (latest: {info.latest_version})", info.name))
            options += [(f"   {v.ref}" + (f" · {v.message}" if v.message else ""), v.ref)
                        for v in reversed(versions)]
        if current and current not in {value for _, value in options}:
            options.append((f"{current} (not stored)", current))
        return options


def _number_text(value: Any) -> str:
    return "" if value is None else json.dumps(value)


def _option_value(kind: str, text: str) -> Any:
    """A typed task option: text for ``str`` options, JSON for the rest (falling back to
    the text, which validation then names as the wrong kind)."""
    if kind == "str":
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def _split_args(text: str) -> list[str] | str | None:
    """Arguments as a shell would split them; unbalanced quotes leave the text, which
    validation names as not a list."""
    if not text.strip():
        return None
    try:
        return shlex.split(text)
    except ValueError:
        return text


def _reader(name: str, option_kind: str | None) -> Callable[[Any], Any]:
    """How a field's widget value becomes the document's value (None: left out)."""
    if option_kind is not None:
        return lambda text: _option_value(option_kind, text) if text != "" else None
    if name == "args":
        return _split_args
    if name in ("retries", "timeout"):
        return lambda text: _option_value("number", text) if text.strip() else None
    return lambda value: value or None


class _NodeEditor(ipywidgets.VBox):
    """Fields stacked with their error labels, and a delete button."""

    errors: ErrorLabels

    def __init__(self, node_id: str, on_change: OnChange,
                 on_delete: Callable[[], None]) -> None:
        self.node_id = node_id
        self._on_change = on_change
        self.delete_button = ipywidgets.Button(description="delete", icon="trash",
                                               button_style="warning")
        self.delete_button.on_click(lambda _b: on_delete())
        super().__init__()

    def _watch(self, name: str, field: ipywidgets.Widget,
               read: Callable[[Any], Any]) -> None:
        def changed(change: dict[str, Any]) -> None:
            self.errors.clear(name)
            self._on_change(name, read(change["new"]))

        field.observe(changed, "value")

    def _stack(self, fields: list[tuple[str, ipywidgets.Widget]]) -> None:
        rows: list[ipywidgets.Widget] = [self.errors[""]]
        for name, field in fields:
            rows += [field, self.errors[name]]
        self.children = [*rows, self.delete_button]


class TaskEditor(_NodeEditor):
    """One task's fields: type, what it runs (the bodies its type takes: a resource from
    a dropdown, an inline command or code, arguments), params, retries, timeout, pool,
    and its type's own options."""

    def __init__(self, task: Mapping[str, Any], types: Mapping[str, TaskTypeSpec],
                 resources: ResourceChoices, on_change: OnChange,
                 on_delete: Callable[[], None]) -> None:
        super().__init__(str(task.get("id", "")), on_change, on_delete)
        spec = types.get(str(task.get("type", "")))
        names = list(types)
        current_type = task.get("type")
        if isinstance(current_type, str) and current_type not in types:
            names.append(current_type)  # kept for validation to name as unknown
        head: list[tuple[str, ipywidgets.Widget]] = [
            ("type", ipywidgets.Dropdown(description="type", options=names,
                                         value=current_type if current_type in names else None))]
        bodies = spec.bodies if spec else ()
        if "resource" in bodies:
            current = task.get("resource") if isinstance(task.get("resource"), str) else None
            head.append(("resource", ipywidgets.Dropdown(
                description="resource", value=current or "",
                options=resources.options(spec.formats if spec else (), current),
                layout=ipywidgets.Layout(width="460px"))))
        for body in ("command", "code"):
            if body in bodies:
                head.append((body, ipywidgets.Textarea(
                    str(task.get(body) or ""), description=body, continuous_update=False,
                    layout=ipywidgets.Layout(width="460px"))))
        if "args" in bodies:
            args = task.get("args")
            head.append(("args", ipywidgets.Text(
                shlex.join(args) if isinstance(args, list) else "", description="args",
                continuous_update=False, placeholder="java -jar app.jar ${ds}")))
        tail: list[tuple[str, ipywidgets.Widget]] = [
            ("retries", ipywidgets.Text(_number_text(task.get("retries")), description="retries",
                                        placeholder="0", continuous_update=False)),
            ("timeout", ipywidgets.Text(_number_text(task.get("timeout")),
                                        description="timeout (s)", placeholder="no limit",
                                        continuous_update=False)),
            ("pool", ipywidgets.Text(str(task.get("pool") or ""), description="pool",
                                     placeholder="default", continuous_update=False)),
        ]
        for option in spec.options if spec else ():
            value = task.get(option.name)
            text = "" if value is None else value if isinstance(value, str) else json.dumps(value)
            tail.append((option.name, ipywidgets.Text(
                text, description=option.name, continuous_update=False,
                placeholder=option.help[:60], tooltip=option.help)))
        #: field name → its widget (``params`` is ``self.params``)
        self.fields = dict(head + tail)
        self.errors = ErrorLabels([*self.fields, "params"])
        self.params = KeyValueRows(lambda params: self._changed("params", params))
        self.params.load(task.get("params") if isinstance(task.get("params"), dict) else None)
        kinds = {o.name: o.kind for o in (spec.options if spec else ())}
        for name, field in self.fields.items():
            self._watch(name, field, _reader(name, kinds.get(name)))
        self._stack([*head, ("params", self.params), *tail])

    def _changed(self, name: str, value: Any) -> None:
        self.errors.clear(name)
        self._on_change(name, value)


class ReferenceEditor(_NodeEditor):
    """One reference's fields: the workflow (and optionally the task of it) it waits
    for, and how long it waits."""

    def __init__(self, reference: Mapping[str, Any], on_change: OnChange,
                 on_delete: Callable[[], None]) -> None:
        super().__init__(str(reference.get("id", "")), on_change, on_delete)
        self.fields = {
            "workflow": ipywidgets.Text(str(reference.get("workflow") or ""),
                                        description="workflow", continuous_update=False),
            "task": ipywidgets.Text(str(reference.get("task") or ""), description="task",
                                    placeholder="(the whole workflow)", continuous_update=False),
            "timeout": ipywidgets.Text(_number_text(reference.get("timeout")),
                                       description="timeout (s)", placeholder="no limit",
                                       continuous_update=False),
        }
        self.errors = ErrorLabels(self.fields)
        for name, field in self.fields.items():
            self._watch(name, field, _reader(name, None))
        self._stack(list(self.fields.items()))
