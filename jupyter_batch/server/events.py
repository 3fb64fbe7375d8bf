"""Run, task and workflow changes, emitted through Jupyter's own event system.

Changes arrive on engine threads (or request threads, for workflows); they are handed
to the server's event loop, which emits them with ``jupyter_events`` — run and task
changes under the schema in ``state_change.schema.json``, workflow changes under
``workflow_change.schema.json`` — so a client subscribed to ``/api/events/subscribe``
follows runs and workflows without polling. The changes other processes make on this
data folder (a ``jupyter batch run`` or ``workflow save`` in a terminal, a standalone
scheduler) arrive from them as the same JSON (``control``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tornado.ioloop import IOLoop

from ..model.changes import Change, LogChange, WorkflowChange
from ..model.wire import event_json

SCHEMA_PATH = Path(__file__).with_name("state_change.schema.json")
SCHEMA_ID = "https://events.jupyter-batch.org/state_change/v1"
WORKFLOW_SCHEMA_PATH = Path(__file__).with_name("workflow_change.schema.json")
WORKFLOW_SCHEMA_ID = "https://events.jupyter-batch.org/workflow_change/v1"


class EventBridge:
    def __init__(self, event_logger: Any, service: Any) -> None:
        self._logger = event_logger
        self._logger.register_event_schema(SCHEMA_PATH)
        self._logger.register_event_schema(WORKFLOW_SCHEMA_PATH)
        self._loop = IOLoop.current()
        self._unsubscribe = [service.subscribe(self._on_change),
                             service.subscribe_workflows(self._on_change),
                             service.subscribe_elsewhere(self._on_changes_elsewhere)]

    def _on_change(self, change: Change | LogChange | WorkflowChange) -> None:
        data = event_json(change)
        self._loop.add_callback(self._emit, data)  # thread-safe hand-off to the loop

    def _on_changes_elsewhere(self, events: list[dict[str, Any]]) -> None:
        for data in events:
            self._loop.add_callback(self._emit, data)

    def _emit(self, data: dict[str, Any]) -> None:
        schema = WORKFLOW_SCHEMA_ID if data.get("kind") == "workflow" else SCHEMA_ID
        self._logger.emit(schema_id=schema, data=data)

    def close(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
