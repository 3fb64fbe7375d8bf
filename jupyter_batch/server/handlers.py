"""REST handlers: parse, call one service method off the event loop, write JSON.

Errors are mapped once, in ``BatchHandler.write_error``: InvalidInput → 400 (with every
validation problem), NotFound → 404, Conflict → 409, a corrupted blob → 500 with its
message; anything else is a logged 500 that leaks no traceback.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import json
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from jupyter_server.auth.decorator import authorized
from jupyter_server.auth.identity import (
    IdentityProvider,
    LegacyIdentityProvider,
    PasswordIdentityProvider,
)
from jupyter_server.base.handlers import APIHandler
from tornado import web

from ..errors import BatchError, Conflict, CorruptBlob, InvalidInput, InvalidWorkflow, NotFound
from ..model.ids import MAX_STORED, fits_store
from ..model.jsonvalues import non_finite, shown
from ..model.wire import (
    plain,
    program_detail_json,
    program_json,
    resource_json,
    run_json,
    workflow_json,
    workflow_summary_json,
)
from ..service import BatchService, default_author
from .openapi import openapi_document

AUTH_RESOURCE = "batch"


def number_in_url(text: str, missing: str) -> int:
    """A number from the URL (its pattern has only digits); a number too big for the
    store names nothing: NotFound with the message ``missing``."""
    value = int(text)
    if not fits_store(value):
        raise NotFound(missing)
    return value


def run_id_of(text: str) -> int:
    """A run id from the URL."""
    return number_in_url(text, f"no run {text}")


#: what each kind of body field must be, as a message says it
_FIELD_KINDS: dict[type, str] = {bool: "true or false", str: "a string", dict: "an object"}

#: a body field's kind: bool, str or dict, or a tuple of them (any one will do)
Kind = type | tuple[type, ...]


def read_fields(body: dict[str, Any], kinds: dict[str, Kind]) -> dict[str, Any]:
    """The fields of ``body`` named by ``kinds``, each of its kind, None when missing or
    null; InvalidInput naming a field ``kinds`` does not name (a typo such as ``param``
    is never silently dropped), or a value of another kind. Every body of named fields is
    read here: ``bool("false")`` is true, and ``str({"a": 1})`` a message nobody wrote."""
    for name in body:
        if name not in kinds:
            known = ", ".join(sorted(kinds)) or "none"
            raise InvalidInput(f"unknown field {name!r} (fields: {known})")
    values: dict[str, Any] = {}
    for name, kind in kinds.items():
        value = values[name] = body.get(name)
        if value is not None and not isinstance(value, kind):
            words = " or ".join(_FIELD_KINDS[k] for k in (kind if isinstance(kind, tuple)
                                                          else (kind,)))
            raise InvalidInput(f"{name!r} must be {words}, not {shown(value)}")
    return values


_STATUS = ((InvalidInput, 400), (NotFound, 404), (Conflict, 409), (CorruptBlob, 500))


def status_of(error: BatchError) -> int:
    for kind, status in _STATUS:
        if isinstance(error, kind):
            return status
    return 500


#: Jupyter's own logins, whose users have made-up names
_NAMELESS_LOGINS = (IdentityProvider, PasswordIdentityProvider, LegacyIdentityProvider)


class BatchHandler(APIHandler):
    """Base of every handler: authenticated, authorized on the ``batch`` resource."""

    auth_resource = AUTH_RESOURCE

    @property
    def service(self) -> BatchService:
        """The extension's service; 503 with the reason when it could not start."""
        service = self.settings.get("batch_service")
        if service is None:
            raise web.HTTPError(
                503, f"jupyter-batch did not start: {self.settings['batch_service_error']}")
        return service

    async def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run a (blocking) service call on a thread: the event loop never waits."""
        return await asyncio.get_running_loop().run_in_executor(
            None, functools.partial(fn, *args, **kwargs))

    @property
    def author(self) -> str:
        """Who acts, for version records. Jupyter's own token and password logins know
        no names: they make one up per browser, or per request for a client without
        cookies ("Anonymous Io", then "Anonymous Pandia"), for the one user a personal
        server has, its owner. Their versions are the server's author, as the CLI's are.
        An identity provider that knows users (JupyterHub's, a custom one) names them."""
        if type(self.identity_provider) in _NAMELESS_LOGINS:
            return default_author()
        user = self.current_user
        return getattr(user, "name", "") or user.username

    def body(self) -> dict[str, Any]:
        """The JSON object sent, or {} for an empty body; 400 for anything else. A body
        of named fields is read with ``fields``; this is for a workflow document, which
        validation checks field by field."""
        if not self.request.body:
            return {}
        try:
            data = json.loads(self.request.body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"the request body is not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise InvalidInput("the request body must be a JSON object")
        if bad := non_finite(data):
            raise InvalidInput("; ".join(str(p) for p in bad))
        return data

    def fields(self, **kinds: Kind) -> dict[str, Any]:
        """The body, an object of the fields ``kinds`` names (see ``read_fields``)."""
        return read_fields(self.body(), kinds)

    def int_arg(self, name: str, default: int | None = None) -> int | None:
        raw = self.get_query_argument(name, None)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise InvalidInput(f"query parameter {name!r} must be a whole number, "
                               f"not {raw!r}") from None
        if not fits_store(value):
            raise InvalidInput(f"query parameter {name!r} is out of range "
                               f"(at most {MAX_STORED})")
        return value

    def reply(self, value: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(plain(value), allow_nan=False))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        error = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(error, BatchError):
            status_code = status_of(error)
            reply: dict[str, Any] = {"message": str(error), "reason": error.reason}
            if isinstance(error, InvalidWorkflow):
                reply["problems"] = [{"where": p.where, "message": p.message}
                                     for p in error.problems]
        elif isinstance(error, web.HTTPError):
            phrase = HTTPStatus(status_code).phrase
            reply = {"message": error.log_message or phrase, "reason": error.reason or phrase}
        else:
            status_code = 500
            reply = {"message": "internal error (see the server log)", "reason": "internal"}
        self.set_status(status_code)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(reply, allow_nan=False))

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if isinstance(value, BatchError) and not isinstance(value, CorruptBlob):
            return  # an expected answer (400/404/409), not a server fault
        super().log_exception(typ, value, tb)


# --- workflows ------------------------------------------------------------------------

class WorkflowsHandler(BatchHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        items = await self.call(self.service.workflow_overview)
        self.reply({"workflows": [workflow_summary_json(*item) for item in items]})

    @web.authenticated
    @authorized
    async def post(self) -> None:
        info = await self.call(self.service.save_workflow, self.body())
        self.reply(workflow_json(info), 201)


class WorkflowValidateHandler(BatchHandler):
    @web.authenticated
    @authorized
    async def post(self) -> None:
        wf, problems = await self.call(self.service.validate, self.body())
        self.reply({"valid": not problems, "name": wf.name,
                    "problems": [{"where": p.where, "message": p.message} for p in problems]})


class WorkflowHandler(BatchHandler):
    @web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        self.reply(workflow_summary_json(*await self.call(self.service.workflow_summary, name)))

    @web.authenticated
    @authorized
    async def put(self, name: str) -> None:
        document = self.body()
        if document.get("name", name) != name:
            raise InvalidInput(f"the workflow in the body is named {document.get('name')!r}, "
                               f"not {name!r}")
        info = await self.call(self.service.save_workflow, {**document, "name": name})
        self.reply(workflow_json(info))

    @web.authenticated
    @authorized
    async def delete(self, name: str) -> None:
        await self.call(self.service.delete_workflow, name)
        self.set_status(204)
        self.finish()


#: the body fields of each POST /workflows/NAME/ACTION
WORKFLOW_ACTION_FIELDS: dict[str, dict[str, Kind]] = {
    "prerun": {"date": str, "params": dict, "workflow": (str, dict)},
    "runs": {"date": str, "params": dict},
    "backfill": {"start": str, "end": str, "params": dict},
    "publish": {"message": str},
    "offline": {},
}


class WorkflowActionHandler(BatchHandler):
    """POST /workflows/NAME/(prerun|publish|offline|runs|backfill)."""

    @web.authenticated
    @authorized
    async def post(self, name: str, action: str) -> None:
        body = self.fields(**WORKFLOW_ACTION_FIELDS[action])
        service = self.service
        if action == "prerun":
            # the saved draft, or a workflow document sent along (nothing is saved)
            document = name if body["workflow"] is None else body["workflow"]
            if isinstance(document, dict) and document.get("name", name) != name:
                raise InvalidInput(f"'workflow' must be a workflow document named {name!r}")
            run_id = await self.call(service.prerun, document, body["date"], body["params"])
            self.reply({"run_id": run_id}, 202)
        elif action == "runs":
            run_id = await self.call(service.trigger, name, body["date"], body["params"])
            self.reply({"run_id": run_id}, 202)
        elif action == "backfill":
            start, end = body["start"], body["end"]
            if start is None or end is None:
                raise InvalidInput("a backfill needs 'start' and 'end' dates")
            run_ids = await self.call(service.backfill, name, start, end, body["params"])
            self.reply({"run_ids": run_ids}, 202)
        elif action == "publish":
            result = await self.call(service.publish, name, body["message"] or "", self.author)
            self.reply({"name": name, "version": result.version.version,
                        "created": result.created,
                        "definition": result.version.definition.to_dict()})
        else:  # offline
            self.reply(workflow_json(await self.call(service.offline, name)))


class WorkflowVersionsHandler(BatchHandler):
    @web.authenticated
    @authorized
    async def get(self, name: str, version: str | None = None) -> None:
        if version is None:
            versions = await self.call(self.service.workflow_versions, name)
            self.reply({"versions": [{"version": v.version, "author": v.author,
                                      "message": v.message, "published_at": v.published_at}
                                     for v in versions]})
            return
        number = number_in_url(version, f"workflow {name!r} has no version {version}")
        v = await self.call(self.service.workflow_version, name, number)
        self.reply({"name": name, "version": v.version, "author": v.author,
                    "message": v.message, "published_at": v.published_at,
                    "definition": v.definition.to_dict()})


class LayoutHandler(BatchHandler):
    @web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        self.reply(await self.call(self.service.layout, name, self.int_arg("version")))


# --- runs -----------------------------------------------------------------------------

class RunsHandler(BatchHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        runs, total = await self.call(
            self.service.list_runs, self.get_query_argument("workflow", None),
            self.get_query_arguments("state"), self.int_arg("limit", 50),
            self.int_arg("offset", 0))
        self.reply({"total": total, "runs": [run_json(r) for r in runs]})


class RunHandler(BatchHandler):
    @web.authenticated
    @authorized
    async def get(self, run_id: str) -> None:
        run = await self.call(self.service.get_run, run_id_of(run_id))
        # the pinned definition it runs (a draft may have changed since a pre-run); the
        # run parses it on first read, which is work for a thread, not the event loop
        definition = await self.call(lambda: run.definition.to_dict())
        self.reply({**run_json(run), "definition": definition})


#: the body fields of each POST /runs/ID/ACTION
RUN_ACTION_FIELDS: dict[str, dict[str, Kind]] = {
    "stop": {},
    "rerun": {"task": str, "downstream": bool, "preview": bool, "latest": bool},
    "recover": {"preview": bool, "latest": bool},
}


class RunActionHandler(BatchHandler):
    """POST /runs/ID/(stop|rerun|recover)."""

    @web.authenticated
    @authorized
    async def post(self, run_id: str, action: str) -> None:
        rid = run_id_of(run_id)  # a run that cannot exist is 404, whatever the body says
        body = self.fields(**RUN_ACTION_FIELDS[action])
        service = self.service
        if action == "stop":
            await self.call(service.request_stop, rid)
            self.reply({"run_id": rid, "stopping": True}, 202)
            return
        preview, latest = bool(body["preview"]), bool(body["latest"])
        if action == "rerun":
            task = body["task"]
            if task is None:
                raise InvalidInput("a rerun needs 'task': the id of the task to run again")
            plan = await self.call(service.rerun, rid, task, bool(body["downstream"]),
                                   preview, latest)
        else:
            plan = await self.call(service.recover, rid, preview, latest)
        self.reply({"run_id": plan.run_id, "tasks": plan.tasks, "started": plan.started},
                   202 if plan.started else 200)


class AttemptsHandler(BatchHandler):
    @web.authenticated
    @authorized
    async def get(self, run_id: str, task: str) -> None:
        attempts = await self.call(self.service.task_attempts, run_id_of(run_id), task)
        self.reply({"attempts": attempts})


class LogHandler(BatchHandler):
    @web.authenticated
    @authorized
    async def get(self, run_id: str, task: str) -> None:
        chunk = await self.call(self.service.read_log, run_id_of(run_id), task,
                                self.int_arg("attempt"), self.int_arg("offset", 0) or 0)
        self.reply(chunk)


class OutputHandler(BatchHandler):
    @web.authenticated
    @authorized
    async def get(self, run_id: str, task: str) -> None:
        fmt = self.get_query_argument("format", "ipynb")
        if fmt not in ("ipynb", "html"):
            raise InvalidInput(f"format must be ipynb or html, not {fmt!r}")
        attempt, text = await self.call(self.service.notebook_output, run_id_of(run_id), task,
                                        self.int_arg("attempt"), fmt == "html")
        self.set_header("X-Batch-Attempt", str(attempt))
        self.finish(text, set_content_type="text/html; charset=utf-8" if fmt == "html"
                    else "application/x-ipynb+json")


# --- resources ------------------------------------------------------------------------

class ResourcesHandler(BatchHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.reply({"resources": await self.call(self.service.list_resources)})


class ResourceHandler(BatchHandler):
    """GET the versions of a resource; POST a new version:
    ``{"content": text}`` or ``{"content_base64": ...}``, with ``message``."""

    @web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        self.reply(resource_json(name, await self.call(self.service.resource_versions, name)))

    @web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        body = self.fields(content=str, content_base64=str, message=str)
        text, encoded = body["content"], body["content_base64"]
        if text is not None:
            content = text.encode("utf-8")
        elif encoded is not None:
            try:
                content = base64.b64decode(encoded, validate=True)
            except ValueError:
                raise InvalidInput("'content_base64' is not valid base64") from None
        else:
            raise InvalidInput("send the file as 'content' (text) or 'content_base64'")
        added = await self.call(self.service.add_resource, name, content,
                                body["message"] or "", self.author)
        self.reply({"version": added.version, "created": added.created},
                   201 if added.created else 200)


class ResourceVersionHandler(BatchHandler):
    """The content of one version (raw bytes)."""

    @web.authenticated
    @authorized
    async def get(self, name: str, version: str) -> None:
        _, content = await self.call(self.service.read_resource, f"{name}@{version}")
        self.finish(content, set_content_type="application/octet-stream")


class ResourceDiffHandler(BatchHandler):
    @web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        old, new = self.int_arg("from"), self.int_arg("to")
        if old is None or new is None:
            raise InvalidInput("a diff needs the query parameters 'from' and 'to'")
        self.reply({"diff": await self.call(self.service.diff_resource, name, old, new)})


# --- library --------------------------------------------------------------------------

class LibraryHandler(BatchHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        programs = await self.call(self.service.library_programs)
        self.reply({"programs": [program_json(p, v) for p, v in programs]})


class LibraryProgramHandler(BatchHandler):
    @web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        self.reply(program_detail_json(*await self.call(self.service.library_program, name)))


class LibraryUseHandler(BatchHandler):
    """POST ``{"workflow", "params"?, "schedule"?, "publish"?}``: a new workflow that runs
    the program."""

    @web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        body = self.fields(workflow=str, params=dict, schedule=dict, publish=bool)
        workflow = body["workflow"]
        if workflow is None:
            raise InvalidInput("'workflow' must be the name of the workflow to create")
        info = await self.call(self.service.use_library_program, name, workflow,
                               body["params"], body["schedule"], bool(body["publish"]),
                               self.author)
        self.reply(workflow_json(info), 201)


class LibraryCopyHandler(BatchHandler):
    """POST ``{"name": "<new>.py"}``: a user resource whose first version is the
    program's script."""

    @web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        new_name = self.fields(name=str)["name"]
        if new_name is None:
            raise InvalidInput("'name' must be the name of the new resource, e.g. my_copy.py")
        added = await self.call(self.service.copy_library_program, name, new_name, self.author)
        self.reply(resource_json(new_name, [added.version]), 201)


# --- scheduler ------------------------------------------------------------------------

class SchedulerHandler(BatchHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.reply(await self.call(self.service.scheduler_status))


# --- warehouse ------------------------------------------------------------------------

class WarehouseTablesHandler(BatchHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.reply({"tables": await self.call(self.service.warehouse_tables)})


class WarehouseTableHandler(BatchHandler):
    @web.authenticated
    @authorized
    async def get(self, table: str) -> None:
        self.reply(await self.call(self.service.warehouse_preview, table,
                                   self.int_arg("limit", 20) or 20))


class NoRouteHandler(BatchHandler):
    """Any path under the API that no route matches (``/runs/abc``, a typo): a 404 that
    is JSON like every other error here, not the server's HTML page."""

    def missing(self, *args: Any) -> None:
        raise NotFound(f"no such API route: {self.request.method} {self.request.path} "
                       "(openapi.json lists the routes)")

    get = post = put = delete = patch = web.authenticated(authorized(missing))


class OpenAPIHandler(BatchHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.reply(openapi_document())
