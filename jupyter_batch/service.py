"""The one facade every front end calls: REST handlers, the CLI, the notebook client.

It wires the store to the model's rules (validation, pinning). Front ends parse input,
call one method here, and render the result.
"""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import Any

from .errors import InvalidWorkflow, Problem
from .model.records import (
    AddedVersion,
    PublishResult,
    ResourceInfo,
    ResourceVersion,
    WorkflowInfo,
    WorkflowVersion,
)
from .model.resource import parse_ref
from .model.textdiff import diff_versions
from .model.workflow import Workflow, pin_resources
from .store import Store
from .store.location import resolve_data_dir
from .tasks import registry
from .validation import ValidationContext, check_document, require_valid, validate


def default_author() -> str:
    """Who is acting: ``$JUPYTER_BATCH_AUTHOR``, else the login name."""
    return os.environ.get("JUPYTER_BATCH_AUTHOR") or getpass.getuser()


class BatchService:
    """Everything a user can do, over one data folder."""

    def __init__(self, data_dir: str | os.PathLike[str] | None = None,
                 db_url: str | None = None) -> None:
        self.data_dir: Path = resolve_data_dir(data_dir)
        self.store = Store(self.data_dir, db_url)

    def close(self) -> None:
        self.store.close()

    # --- resources -------------------------------------------------------------------

    def add_resource(self, name: str, content: bytes, message: str = "",
                     author: str | None = None) -> AddedVersion:
        return self.store.resources.add(name, content, message, author or default_author())

    def list_resources(self) -> list[ResourceInfo]:
        return self.store.resources.list()

    def resource_versions(self, name: str) -> list[ResourceVersion]:
        return self.store.resources.versions(name)

    def read_resource(self, ref: str) -> tuple[ResourceVersion, bytes]:
        """``name`` (latest) or ``name@3``: the version and its verified content."""
        parsed = parse_ref(ref)
        return self.store.resources.read(parsed.name, parsed.version)

    def diff_resource(self, name: str, old: int, new: int) -> str:
        _, a = self.store.resources.read(name, old)
        _, b = self.store.resources.read(name, new)
        return diff_versions(name, (old, a), (new, b))

    # --- workflows -------------------------------------------------------------------

    def validation_context(self) -> ValidationContext:
        return ValidationContext(task_types=registry.specs(),
                                 latest_version=self.store.resources.latest_version)

    def validate(self, document: Any) -> tuple[Workflow, list[Problem]]:
        """Every problem of a workflow file's JSON (or a Workflow), with where it is."""
        ctx = self.validation_context()
        if isinstance(document, Workflow):
            return document, validate(document, ctx)
        return check_document(document, ctx)

    def save_workflow(self, document: Any) -> WorkflowInfo:
        """Save a valid workflow as the draft of its name (creating the workflow)."""
        wf, problems = self.validate(document)
        if problems:
            raise InvalidWorkflow(problems, wf.name or None)
        return self.store.workflows.save_draft(wf)

    def get_workflow(self, name: str) -> WorkflowInfo:
        return self.store.workflows.get(name)

    def list_workflows(self) -> list[WorkflowInfo]:
        return self.store.workflows.list()

    def workflow_versions(self, name: str) -> list[WorkflowVersion]:
        return self.store.workflows.versions(name)

    def export_workflow(self, name: str, version: int | None = None) -> Workflow:
        """The draft (``version`` None) or a published version, as a workflow file holds it."""
        if version is None:
            return self.store.workflows.get(name).draft
        return self.store.workflows.version(name, version).definition

    def publish(self, name: str, message: str = "", author: str | None = None) -> PublishResult:
        """Publish the draft as a new immutable version, every resource pinned to the
        version that is latest now. The draft must still be valid (resources can change)."""
        draft = self.store.workflows.get(name).draft
        ctx = self.validation_context()
        require_valid(draft, ctx)
        pinned = pin_resources(draft, self.store.resources.latest_version)
        return self.store.workflows.publish(name, pinned, author or default_author(), message)

    def offline(self, name: str) -> WorkflowInfo:
        return self.store.workflows.offline(name)
