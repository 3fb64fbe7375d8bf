"""The REST transport: a Jupyter server's ``/batch/api``, with the server's token.

A server without a token (``--ServerApp.token=''``) authenticates nobody, and Jupyter
then asks every write for its XSRF cookie: before the first one the transport loads
the server's base URL (a page, which sets the ``_xsrf`` cookie) and sends the cookie
back with the ``X-XSRFToken`` header, as JupyterLab does.

Errors come back as ``{message, reason, problems?}`` and become the same
``jupyter_batch.errors`` kinds the service raises (400 → InvalidInput, or
InvalidWorkflow with its problems; 404 → NotFound; 409 → Conflict), carrying the
server's message. State changes arrive on Jupyter's event websocket
(``/api/events/subscribe``), so waiting for a run does not hammer the server.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import requests

from ..errors import (
    BatchError,
    Conflict,
    CorruptBlob,
    InvalidInput,
    InvalidWorkflow,
    NotFound,
    Problem,
)
from .transport import JSON, EventListener

log = logging.getLogger(__name__)

API = "batch/api"
#: the ``$id`` of ``server/state_change.schema.json``
EVENT_SCHEMA = "https://events.jupyter-batch.org/state_change/v1"
#: (connect, read) seconds; every call is a short one (runs are followed by polling)
TIMEOUT = (10, 120)
#: for asking a server found running where its state is: a stuck one is passed over
PROBE_TIMEOUT = (5, 10)
#: the methods Jupyter checks XSRF on, for a request not authenticated by a token
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_XSRF_COOKIE = "_xsrf"


def error_from_reply(status: int, reply: Any, what: str) -> BatchError:
    """The error kind the server meant, with its message (``what`` names the request,
    for replies that are not the API's JSON, e.g. a server without the extension)."""
    if not (isinstance(reply, dict) and isinstance(reply.get("message"), str)):
        reply = {"message": f"{what}: HTTP {status}"}
    message: str = reply["message"]
    error: BatchError
    if status == 400 and isinstance(reply.get("problems"), list):
        error = InvalidWorkflow([Problem(str(p.get("where", "")), str(p.get("message", "")))
                                 for p in reply["problems"]])
        error.message = message
        error.args = (message,)
    elif status == 400:
        error = InvalidInput(message)
    elif status == 404:
        error = NotFound(message)
    elif status == 409:
        error = Conflict(message)
    elif reply.get("reason") == CorruptBlob.reason:
        error = CorruptBlob(message)
    else:
        error = BatchError(f"the server answered {status}: {message}")
    return error


class RestTransport:
    local = False

    def __init__(self, url: str, token: str = "") -> None:
        """``url``: the Jupyter server's URL with its base URL (as in ``jupyter server
        list``), e.g. ``http://127.0.0.1:8888/``."""
        self.url = url if url.endswith("/") else url + "/"
        self.where = self.url
        self.token = token
        self._session = requests.Session()
        if token:
            self._session.headers["Authorization"] = f"token {token}"

    def request(self, method: str, path: str, *, body: Any = None,
                params: dict[str, Any] | None = None,
                timeout: tuple[float, float] = TIMEOUT) -> requests.Response:
        """One call to ``/batch/api/<path>``; a reply other than 2xx raises its error."""
        url = self.url + API + path
        try:
            if method in _WRITES and not self.token:
                self._fetch_xsrf_cookie()
            response = self._session.request(method, url, json=body, params=params,
                                              timeout=timeout)
        except requests.RequestException as exc:
            raise BatchError(f"cannot reach the Jupyter server at {self.url}: {exc}") from None
        if response.status_code >= 400:
            try:
                reply = response.json()
            except ValueError:
                reply = None
            raise error_from_reply(response.status_code, reply, f"{method} {url}")
        return response

    def _fetch_xsrf_cookie(self) -> None:
        """Have the server set its ``_xsrf`` cookie in the session (once), and send it
        back as the ``X-XSRFToken`` header. Any page of the server sets it; the base URL
        is one on every server (the main page, or a redirect to JupyterLab's)."""
        if "X-XSRFToken" in self._session.headers:
            return
        self._session.get(self.url, timeout=TIMEOUT)
        xsrf = self._session.cookies.get(_XSRF_COOKIE)
        if xsrf:  # else the write is refused with the server's own message
            self._session.headers["X-XSRFToken"] = xsrf

    def call(self, method: str, path: str, *, body: Any = None,
             params: dict[str, Any] | None = None,
             timeout: tuple[float, float] = TIMEOUT) -> Any:
        """``request`` and its JSON reply (None for an empty one)."""
        response = self.request(method, path, body=body, params=params, timeout=timeout)
        return response.json() if response.content else None

    def data_dir(self) -> str:
        """The server's data folder (``GET /store``); BatchError when the server does
        not serve jupyter-batch (or one too old to tell)."""
        return self.call("GET", "/store", timeout=PROBE_TIMEOUT)["data_dir"]

    # --- workflows ------------------------------------------------------------------

    def list_workflows(self) -> list[JSON]:
        return self.call("GET", "/workflows")["workflows"]

    def get_workflow(self, name: str) -> JSON:
        return self.call("GET", f"/workflows/{_part(name)}")

    def save_workflow(self, document: JSON) -> JSON:
        # POST, not PUT /workflows/NAME: a bad name is then a validation problem, not an
        # unmatched URL
        return self.call("POST", "/workflows", body=document)

    def validate(self, document: JSON) -> JSON:
        return self.call("POST", "/workflows/validate", body=document)

    def delete_workflow(self, name: str) -> None:
        self.call("DELETE", f"/workflows/{_part(name)}")

    def workflow_versions(self, name: str) -> list[JSON]:
        return self.call("GET", f"/workflows/{_part(name)}/versions")["versions"]

    def workflow_version(self, name: str, version: int) -> JSON:
        return self.call("GET", f"/workflows/{_part(name)}/versions/{int(version)}")

    def layout(self, name: str, version: int | None) -> JSON:
        params = None if version is None else {"version": version}
        return self.call("GET", f"/workflows/{_part(name)}/layout", params=params)

    def _action(self, name: str, action: str, body: JSON) -> Any:
        return self.call("POST", f"/workflows/{_part(name)}/{action}",
                         body={k: v for k, v in body.items() if v is not None})

    def prerun(self, name: str, day: str | None, params: JSON | None) -> int:
        return self._action(name, "prerun", {"date": day, "params": params})["run_id"]

    def trigger(self, name: str, day: str | None, params: JSON | None) -> int:
        return self._action(name, "runs", {"date": day, "params": params})["run_id"]

    def backfill(self, name: str, start: str, end: str, params: JSON | None) -> list[int]:
        return self._action(name, "backfill",
                            {"start": start, "end": end, "params": params})["run_ids"]

    def publish(self, name: str, message: str) -> JSON:
        return self._action(name, "publish", {"message": message})

    def offline(self, name: str) -> JSON:
        return self._action(name, "offline", {})

    # --- runs -----------------------------------------------------------------------

    def list_runs(self, workflow: str | None, states: list[str], limit: int,
                  offset: int) -> JSON:
        params: dict[str, Any] = {"limit": limit, "offset": offset, "state": states}
        if workflow is not None:
            params["workflow"] = workflow
        return self.call("GET", "/runs", params=params)

    def get_run(self, run_id: int) -> JSON:
        return self.call("GET", f"/runs/{int(run_id)}")

    def stop_run(self, run_id: int) -> None:
        self.call("POST", f"/runs/{int(run_id)}/stop")

    def rerun(self, run_id: int, task: str, downstream: bool, preview: bool,
              latest: bool) -> JSON:
        return self.call("POST", f"/runs/{int(run_id)}/rerun",
                         body={"task": task, "downstream": downstream, "preview": preview,
                               "latest": latest})

    def recover(self, run_id: int, preview: bool, latest: bool) -> JSON:
        return self.call("POST", f"/runs/{int(run_id)}/recover",
                         body={"preview": preview, "latest": latest})

    def attempts(self, run_id: int, task: str) -> list[JSON]:
        return self.call("GET", f"/runs/{int(run_id)}/tasks/{_part(task)}/attempts")["attempts"]

    def read_log(self, run_id: int, task: str, attempt: int | None, offset: int) -> JSON:
        params: dict[str, Any] = {"offset": offset}
        if attempt is not None:
            params["attempt"] = attempt
        return self.call("GET", f"/runs/{int(run_id)}/tasks/{_part(task)}/log", params=params)

    def notebook_output(self, run_id: int, task: str, attempt: int | None) -> str:
        params = None if attempt is None else {"attempt": attempt}
        response = self.request("GET", f"/runs/{int(run_id)}/tasks/{_part(task)}/output",
                                params=params)
        return response.content.decode("utf-8")

    def output_url(self, run_id: int, task: str) -> str | None:
        """A path on the server (its base URL included): the browser adds the host."""
        return (f"{urlsplit(self.url).path}{API}/runs/{int(run_id)}/tasks/{_part(task)}"
                "/output?format=html")

    # --- resources ------------------------------------------------------------------

    def add_resource(self, name: str, content: bytes, message: str) -> JSON:
        return self.call("POST", f"/resources/{_part(name)}", body={
            "content_base64": base64.b64encode(content).decode("ascii"), "message": message})

    def list_resources(self) -> list[JSON]:
        return self.call("GET", "/resources")["resources"]

    def resource_versions(self, name: str) -> list[JSON]:
        return self.call("GET", f"/resources/{_part(name)}")["versions"]

    def read_resource(self, name: str, version: int | None) -> bytes:
        if version is None:
            version = self.resource_versions(name)[-1]["version"]
        return self.request("GET", f"/resources/{_part(name)}/versions/{int(version)}").content

    def diff_resource(self, name: str, old: int, new: int) -> str:
        return self.call("GET", f"/resources/{_part(name)}/diff",
                         params={"from": old, "to": new})["diff"]

    # --- the library ----------------------------------------------------------------

    def library_programs(self) -> list[JSON]:
        return self.call("GET", "/library")["programs"]

    def library_program(self, name: str) -> JSON:
        return self.call("GET", f"/library/{_part(name)}")

    def use_library_program(self, name: str, body: JSON) -> JSON:
        return self.call("POST", f"/library/{_part(name)}/use", body=body)

    def copy_library_program(self, name: str, new_name: str) -> JSON:
        return self.call("POST", f"/library/{_part(name)}/copy", body={"name": new_name})

    # --- warehouse ------------------------------------------------------------------

    def warehouse_tables(self) -> list[JSON]:
        return self.call("GET", "/warehouse/tables")["tables"]

    def warehouse_preview(self, table: str, limit: int) -> JSON:
        return self.call("GET", f"/warehouse/tables/{_part(table)}?limit={int(limit)}")

    # --- events ---------------------------------------------------------------------

    def subscribe(self, listener: EventListener) -> Callable[[], None]:
        stream = EventStream(self.url, self.token, listener)
        return stream.close

    def close(self) -> None:
        self._session.close()


def _part(text: str) -> str:
    """``text`` as one path segment."""
    return quote(text, safe="")


class EventStream:
    """jupyter-batch's state changes from the server's event websocket, read on a
    daemon thread until ``close``. The connection is made before ``__init__``
    returns, so no change after it is missed; BatchError when it cannot be made."""

    def __init__(self, url: str, token: str, listener: EventListener) -> None:
        import websocket

        parts = urlsplit(url)
        ws_url = urlunsplit(("wss" if parts.scheme == "https" else "ws", parts.netloc,
                             parts.path + "api/events/subscribe", "", ""))
        header = [f"Authorization: token {token}"] if token else []
        try:
            self._ws = websocket.create_connection(ws_url, header=header, timeout=10,
                                                   suppress_origin=True)
        except (OSError, websocket.WebSocketException) as exc:
            raise BatchError(f"cannot follow the server's events at {ws_url}: {exc}") from None
        self._ws.settimeout(None)
        self._listener = listener
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._read, name="batch-client-events",
                                        daemon=True)
        self._thread.start()

    def _read(self) -> None:
        import websocket

        while not self._closed.is_set():
            try:
                message = self._ws.recv()
            except (OSError, websocket.WebSocketException):
                return  # closed (by us, or the server went away)
            try:
                event = json.loads(message)
            except (TypeError, ValueError):
                continue
            if isinstance(event, dict) and event.pop("schema_id", None) == EVENT_SCHEMA:
                try:
                    self._listener(event)
                except Exception:
                    log.exception("an event listener failed")

    def close(self) -> None:
        self._closed.set()
        self._ws.abort()  # wakes the reader blocked in recv
        self._thread.join()
        self._ws.shutdown()
