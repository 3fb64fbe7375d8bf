"""``Batch``: the notebook's entry point to workflows, runs, resources and the library.

``Batch()`` inside a notebook talks to the Jupyter server its kernel belongs to; with no
server it runs a local service in this process over the same data folder. Either way
the API is the same and errors are ``jupyter_batch.errors`` kinds with the server's
message.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ..errors import BatchError, InvalidInput, Problem
from ..model import workflow as spec
from ..model.records import AddedVersion, ResourceInfo, ResourceVersion
from .library import Library
from .records import from_json
from .runs import Run
from .source import ClientSource
from .transport import EventListener, Transport
from .workflow import Workflow, list_runs

log = logging.getLogger(__name__)


class Batch:
    """Workflows, runs and resources, on a Jupyter server or in this process.

    - ``Batch()``: the server this kernel belongs to (found through Jupyter's runtime
      folder), else a local service.
    - ``Batch(url, token)``: that server (``url`` with its base URL).
    - ``Batch(local=True)`` or ``Batch(data_dir=...)``: a local service, whose runs are
      driven by this process (``$JUPYTER_BATCH_DIR`` wins over ``data_dir``).
    """

    def __init__(self, url: str | None = None, token: str | None = None, *,
                 local: bool = False, data_dir: str | os.PathLike[str] | None = None) -> None:
        if url is not None and (local or data_dir is not None):
            raise InvalidInput("give a server url, or local/data_dir for a local service, "
                               "not both")
        if url is not None:
            from .rest import RestTransport

            self.transport: Transport = RestTransport(url, token or "")
        elif local or data_dir is not None:
            self.transport = _local(data_dir)
        else:
            self.transport = _discovered()
        #: the built-in programs: ``list``, ``show``, ``use``, ``copy``
        self.library = Library(self.transport)

    @property
    def local(self) -> bool:
        """Runs are driven by this process (no server)."""
        return self.transport.local

    @property
    def source(self) -> ClientSource:
        """What the widgets read through, to place one yourself:
        ``Timeline(batch.source, run.id)``, ``RunsTable(batch.source, "daily_sales")``,
        ``Designer(batch.source, wf.to_dict())``, ``DagView(batch.source, run_id=run.id)``
        (``jupyter_batch.widgets``)."""
        return ClientSource(self.transport)

    @property
    def where(self) -> str:
        """The server's URL, or the local data folder."""
        return self.transport.where

    def close(self) -> None:
        """Let go of the server connection; a local service stops the runs it drives."""
        self.transport.close()

    def __enter__(self) -> Batch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (f"<Batch: local service on {self.where}>" if self.local
                else f"<Batch: Jupyter server {self.where}>")

    # --- workflows ------------------------------------------------------------------

    def workflow(self, name: str, *, description: str | None = None,
                 params: dict[str, Any] | None = None, max_parallel: int | None = None,
                 failure_strategy: str | None = None, pool: str | None = None) -> Workflow:
        """A new workflow to build (saving it replaces a saved one of the same name)."""
        return Workflow(self.transport, spec.Workflow(
            name=name, description=description, params=params, max_parallel=max_parallel,
            failure_strategy=failure_strategy, pool=pool))

    def get_workflow(self, name: str, version: int | None = None) -> Workflow:
        """A saved workflow with its draft to build on — or, with ``version``, that
        published version's definition (saving it makes it the draft again)."""
        info = self.transport.get_workflow(name)
        document = (info["draft"] if version is None
                    else self.transport.workflow_version(name, version)["definition"])
        return Workflow(self.transport, spec.load_workflow(document), info)

    def workflows(self) -> list[Workflow]:
        """Every saved workflow."""
        return [Workflow(self.transport, spec.load_workflow(i["draft"]), i)
                for i in self.transport.list_workflows()]

    def validate(self, document: dict[str, Any]) -> list[Problem]:
        """Every problem of a workflow file's JSON, each with where it is."""
        reply = self.transport.validate(document)
        return [Problem(p["where"], p["message"]) for p in reply["problems"]]

    # --- runs -----------------------------------------------------------------------

    def runs(self, workflow: str | None = None, state: str | Sequence[str] | None = None,
             limit: int = 20) -> list[Run]:
        """The most recent runs (of one ``workflow``, in some ``state``s), newest first."""
        return list_runs(self.transport, workflow, state, limit)

    def get_run(self, run_id: int) -> Run:
        return Run(self.transport, self.transport.get_run(run_id))

    def subscribe(self, listener: EventListener) -> Callable[[], None]:
        """Call ``listener(event)`` with every run and task state change from now on, on
        another thread; returns the function that stops it. An event is a dict: ``kind``
        ("run" or "task"), ``run_id``, ``state``, ``at``, ``message``, and for a task
        ``task_id``, ``attempt``, ``exit_code``. BatchError when the server's events
        cannot be had."""
        return self.transport.subscribe(listener)

    # --- resources ------------------------------------------------------------------

    def add_resource(self, name: str, content: str | bytes | os.PathLike[str],
                     message: str = "") -> AddedVersion:
        """Add ``content`` as a new version of resource ``name``; identical content adds
        no version (``created`` is False).

        ``content`` is the file's bytes, a ``Path`` to read, or a string: text with a
        newline is the content itself; a one-line string naming an existing file is
        read (``"clean.py"``, ``"~/etl/clean.py"``); a one-line string that looks like a
        file name — it ends with a resource format (``.py``, ``.sh``, ``.ipynb`` …) or
        has a ``/`` and no spaces — but names no file is an error, not content. Any other
        one-line string (``"echo hi"``) is the content. To store a one-line text that
        looks like a file name, pass it as bytes."""
        return from_json(AddedVersion, self.transport.add_resource(
            name, _content(content), message))

    def resources(self) -> list[ResourceInfo]:
        return [from_json(ResourceInfo, r) for r in self.transport.list_resources()]

    def versions(self, name: str) -> list[ResourceVersion]:
        """A resource's versions, oldest first."""
        return [from_json(ResourceVersion, v) for v in self.transport.resource_versions(name)]

    def read(self, ref: str) -> bytes:
        """The content of ``name@3`` (or ``name``: the latest version)."""
        from ..model.resource import parse_ref

        parsed = parse_ref(ref)
        return self.transport.read_resource(parsed.name, parsed.version)

    def diff(self, name: str, old: int, new: int) -> str:
        """The unified diff between two versions of a text resource."""
        return self.transport.diff_resource(name, old, new)

    # --- warehouse ------------------------------------------------------------------

    def tables(self) -> list[dict[str, Any]]:
        """The warehouse's tables with their row counts (``name``, ``rows``)."""
        return self.transport.warehouse_tables()

    def preview(self, table: str, limit: int = 20) -> dict[str, Any]:
        """The first rows of a warehouse table: ``columns``, ``rows``, ``truncated``."""
        return self.transport.warehouse_preview(table, limit)


def _content(content: str | bytes | os.PathLike[str]) -> bytes:
    """The bytes ``add_resource`` stores for ``content`` (see its docstring)."""
    if isinstance(content, bytes):
        return content
    if isinstance(content, str):
        if "\n" in content:
            return content.encode("utf-8")
        path = os.path.expanduser(content)
        if not (os.path.isfile(path) or _looks_like_a_file(content)):
            return content.encode("utf-8")
    else:
        path = os.fspath(content)
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        hint = (" (to store this text as the content, pass it as bytes: "
                f"{content!r}.encode())" if isinstance(content, str) else "")
        raise InvalidInput(f"cannot read {str(content)!r}: no such file{hint}") from None
    except OSError as exc:
        raise InvalidInput(f"cannot read {str(content)!r}: "
                           f"{(exc.strerror or str(exc)).lower()}") from None


def _looks_like_a_file(text: str) -> bool:
    """Whether a one-line string reads as a file name rather than as content: it ends
    with a resource format, or it is a path (a ``/``, no spaces)."""
    from ..model.resource import FORMATS

    lowered = text.strip().lower()
    if any(lowered.endswith("." + fmt) for fmt in FORMATS):
        return True
    return (os.sep in text or "/" in text) and not any(c.isspace() for c in text)


def _local(data_dir: str | os.PathLike[str] | None) -> Transport:
    from .local import LocalTransport

    return LocalTransport.open(data_dir)


def _discovered() -> Transport:
    """The server this kernel belongs to, if it serves jupyter-batch; else local."""
    from .discovery import discover

    server = discover()
    if server is None:
        return _local(None)
    from .rest import RestTransport

    transport = RestTransport(server["url"], server.get("token") or "")
    try:
        transport.call("GET", "/openapi.json")
    except BatchError as exc:
        log.warning("the Jupyter server at %s does not serve jupyter-batch (%s); using a "
                    "local service instead", server["url"], exc)
        transport.close()
        return _local(None)
    return transport
