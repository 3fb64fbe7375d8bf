"""``Batch``: the notebook's entry point to workflows, runs, resources and the library.

``Batch()`` inside a notebook talks to the Jupyter server its kernel belongs to; a
process no server owns talks only to a server that keeps its state in the data folder
this process would use; otherwise (and when ``$JUPYTER_BATCH_DIR`` names another folder
than the server's) it runs a local service in this process over its own data folder.
Either way the API is the same and errors are ``jupyter_batch.errors`` kinds with the
server's message; ``repr(batch)`` says which store is used.
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
      folder) — unless ``$JUPYTER_BATCH_DIR`` is set and names another data folder than
      the server's; outside a kernel of a server (a script, nbconvert, papermill), a
      running server whose data folder is this process's own (``$JUPYTER_BATCH_DIR``,
      else ``c.BatchApp.data_dir``, else ``<jupyter data dir>/batch``); else a local
      service on that folder. A server passed over is named in a one-line notice.
    - ``Batch(url, token)``: that server (``url`` with its base URL).
    - ``Batch(local=True)`` or ``Batch(data_dir=...)``: a local service, whose runs are
      driven by this process (``$JUPYTER_BATCH_DIR`` wins over ``data_dir``).
    """

    def __init__(self, url: str | None = None, token: str | None = None, *,
                 local: bool = False, data_dir: str | os.PathLike[str] | None = None) -> None:
        if url is not None and (local or data_dir is not None):
            raise InvalidInput("give a server url, or local/data_dir for a local service, "
                               "not both")
        #: the store's data folder, once known (asked of an explicit server on demand)
        self._data_dir: str | None = None
        if url is not None:
            from .rest import RestTransport

            self.transport: Transport = RestTransport(url, token or "")
        elif local or data_dir is not None:
            self.transport = _local(data_dir)
            self._data_dir = self.transport.data_dir()
        else:
            self.transport, self._data_dir = _discovered()
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

    @property
    def data_dir(self) -> str:
        """The data folder of the store in use: the local service's, or the server's as
        it tells it."""
        if self._data_dir is None:
            self._data_dir = self.transport.data_dir()
        return self._data_dir

    def close(self) -> None:
        """Let go of the server connection; a local service stops the runs it drives."""
        self.transport.close()

    def __enter__(self) -> Batch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        if self.local:
            return f"<Batch: local service on {self.where}>"
        store = "" if self._data_dir is None else f", data folder {self._data_dir}"
        return f"<Batch: Jupyter server {self.where}{store}>"

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
    """A local service over ``data_dir``, or without one over this process's own data
    folder (``$JUPYTER_BATCH_DIR``, else ``c.BatchApp.data_dir``, else the default)."""
    from .discovery import own_data_dir
    from .local import LocalTransport

    return LocalTransport.open(own_data_dir() if data_dir is None else data_dir)


def _discovered() -> tuple[Transport, str]:
    """The server this process belongs to — unless ``$JUPYTER_BATCH_DIR`` names another
    data folder than the server's — or, for a process no server owns, the first running
    server whose data folder is this process's own; else a local service on that folder.
    Returns the transport and the data folder of its store."""
    from .discovery import find_server, kernel_id, own_data_dir, running_servers, same_folder
    from .rest import RestTransport

    wanted = own_data_dir()
    explicit = bool(os.environ.get("JUPYTER_BATCH_DIR"))
    servers = running_servers()
    own = find_server(servers, kernel_id(), os.getppid())
    passed_over: list[tuple[str, str]] = []  # (url, data folder) of jupyter-batch servers
    for server in servers if own is None else [own]:
        transport = RestTransport(server["url"], server.get("token") or "")
        try:
            folder = transport.data_dir()
        except BatchError as exc:
            transport.close()
            if server is own:
                log.warning("jupyter-batch: the Jupyter server at %s does not serve "
                            "jupyter-batch (%s); using a local service on %s",
                            server["url"], exc, wanted)
            continue
        if (server is own and not explicit) or same_folder(folder, wanted):
            return transport, folder
        transport.close()
        passed_over.append((server["url"], folder))
    if passed_over:
        url, folder = passed_over[0]
        whose = "$JUPYTER_BATCH_DIR" if explicit else "this process's own data folder"
        log.warning("jupyter-batch: using a local service on %s (%s), not the Jupyter "
                    "server at %s, which keeps its state in %s", wanted, whose, url, folder)
    local = _local(wanted)
    return local, local.data_dir()
