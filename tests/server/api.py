"""A small client of the REST API for the tests, so a test reads as domain steps.

Every request goes through ``jp_fetch`` to the real in-process server. Two promises of
the API are checked on *every* reply, whatever the test is about: nothing answers 5xx,
and every error is a JSON object with ``message`` and ``reason``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tornado.httputil import HTTPHeaders

from jupyter_batch.server.events import SCHEMA_ID

FINISHED_RUN = frozenset({"success", "failed", "cancelled", "interrupted"})
#: how long a test waits for something the server does in the background
PATIENCE = 60.0

Params = dict[str, Any] | Sequence[tuple[str, Any]]


@dataclass
class Reply:
    code: int
    headers: HTTPHeaders
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


def assert_error_body(reply: Reply) -> dict[str, Any]:
    """An error reply is a JSON object naming the problem: ``message`` and ``reason``."""
    assert reply.headers.get("Content-Type", "").startswith("application/json"), reply
    error = reply.json
    assert isinstance(error, dict), error
    assert isinstance(error.get("message"), str) and error["message"], error
    assert isinstance(error.get("reason"), str) and error["reason"], error
    return error


@dataclass
class StateEvents:
    """Every ``state_change`` event the server emits, in order, as a listener on the
    server's own event logger sees them (validated against the schema by jupyter-events)."""

    items: list[dict[str, Any]] = field(default_factory=list)
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    def attach(self, event_logger: Any, schema_id: str = SCHEMA_ID) -> StateEvents:
        """Listen to the events of ``schema_id`` (default: run and task state changes)."""
        event_logger.add_listener(schema_id=schema_id, listener=self._listen)
        return self

    async def _listen(self, logger: Any, schema_id: str, data: dict[str, Any]) -> None:
        self.items.append(dict(data))
        self._changed.set()

    def mark(self) -> int:
        """A position: ``wait_for(..., since=mark)`` ignores what came before it."""
        return len(self.items)

    def of_run(self, run_id: int) -> list[dict[str, Any]]:
        return [e for e in self.items if e["run_id"] == run_id]

    async def wait_for(self, predicate: Callable[[dict[str, Any]], bool], since: int = 0,
                       timeout: float = PATIENCE) -> dict[str, Any]:
        """The first event from ``since`` on that ``predicate`` accepts (waiting for it)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for event in self.items[since:]:
                if predicate(event):
                    return event
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"no matching event within {timeout} s; seen since "
                                     f"{since}: {self.items[since:]}")
            self._changed.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)


class BatchAPI:
    """``/batch/api`` through ``jp_fetch``; runs are followed through ``events``."""

    def __init__(self, fetch: Callable[..., Any], events: StateEvents) -> None:
        self._fetch = fetch
        self.events = events
        #: event position when each run (or its latest rerun) was started
        self._since: dict[int, int] = {}

    # --- plain requests -----------------------------------------------------------------

    async def request(self, method: str, path: str, body: Any = None,
                      params: Params | None = None,
                      headers: dict[str, str] | None = None) -> Reply:
        kwargs: dict[str, Any] = {"method": method, "raise_error": False}
        if body is not None:
            kwargs["body"] = body if isinstance(body, (str, bytes)) else json.dumps(body)
        elif method in ("POST", "PUT", "PATCH"):
            kwargs["body"] = b""
        response = await self._fetch("batch", "api", path.strip("/"), params=params,
                                     headers=headers, **kwargs)
        reply = Reply(response.code, response.headers, response.body or b"")
        assert reply.code < 500, f"{method} {path} answered {reply.code}: {reply.body!r}"
        if reply.code >= 400:
            assert_error_body(reply)
        return reply

    async def ok(self, method: str, path: str, body: Any = None, params: Params | None = None,
                 status: int = 200) -> Any:
        """The JSON answer of a request that must succeed with ``status``."""
        reply = await self.request(method, path, body, params)
        assert reply.code == status, f"{method} {path}: {reply.code} {reply.body!r}"
        return reply.json if reply.body else None

    async def fails(self, status: int, method: str, path: str, body: Any = None,
                    params: Params | None = None) -> dict[str, Any]:
        """The error body of a request that must be refused with ``status``."""
        reply = await self.request(method, path, body, params)
        assert reply.code == status, f"{method} {path}: {reply.code} {reply.body!r}"
        return assert_error_body(reply)

    # --- domain steps -------------------------------------------------------------------

    async def workflow_names(self) -> list[str]:
        return [w["name"] for w in (await self.ok("GET", "/workflows"))["workflows"]]

    async def create_workflow(self, doc: dict[str, Any]) -> dict[str, Any]:
        return await self.ok("POST", "/workflows", doc, status=201)

    async def user_resources(self) -> list[dict[str, Any]]:
        """The resources listed, without the library's built-in programs."""
        listed = (await self.ok("GET", "/resources"))["resources"]
        return [r for r in listed if r["namespace"] == "user"]

    async def add_resource(self, name: str, content: str) -> dict[str, Any]:
        reply = await self.request("POST", f"/resources/{name}", {"content": content})
        assert reply.code in (200, 201), reply
        return reply.json

    async def publish(self, name: str) -> dict[str, Any]:
        return await self.ok("POST", f"/workflows/{name}/publish", {"message": "test"})

    async def _start(self, path: str, body: dict[str, Any]) -> int:
        since = self.events.mark()
        run_id = (await self.ok("POST", path, body, status=202))["run_id"]
        self._since[run_id] = since
        return run_id

    async def prerun(self, name: str, date: str | None = None, **body: Any) -> int:
        """Pre-run the draft of ``name``; the new run's id."""
        return await self._start(f"/workflows/{name}/prerun",
                                 {**body, **({"date": date} if date else {})})

    async def trigger(self, name: str, date: str | None = None, **body: Any) -> int:
        """Run the published ``name`` now; the new run's id."""
        return await self._start(f"/workflows/{name}/runs",
                                 {**body, **({"date": date} if date else {})})

    async def rerun(self, run_id: int, task: str, downstream: bool = False) -> dict[str, Any]:
        since = self.events.mark()
        plan = await self.ok("POST", f"/runs/{run_id}/rerun",
                             {"task": task, "downstream": downstream}, status=202)
        self._since[run_id] = since
        return plan

    async def recover(self, run_id: int) -> dict[str, Any]:
        since = self.events.mark()
        plan = await self.ok("POST", f"/runs/{run_id}/recover", status=202)
        self._since[run_id] = since
        return plan

    def follow(self, run_id: int, since: int = 0) -> None:
        """Follow a run started some other way (e.g. a backfill) from event ``since``."""
        self._since[run_id] = since

    async def run(self, run_id: int) -> dict[str, Any]:
        return await self.ok("GET", f"/runs/{run_id}")

    async def wait_run(self, run_id: int, timeout: float = PATIENCE) -> dict[str, Any]:
        """The run once it has ended: its end is awaited as an event, then read back
        (the store is written just behind the events, so the read may take a retry)."""
        ended = await self.events.wait_for(
            lambda e: e["kind"] == "run" and e["run_id"] == run_id
            and e["state"] in FINISHED_RUN, since=self._since.get(run_id, 0), timeout=timeout)
        for _ in range(200):
            run = await self.run(run_id)
            if run["state"] == ended["state"]:
                return run
            await asyncio.sleep(0.02)
        raise AssertionError(f"run {run_id} ended {ended['state']} but reads {run}")

    async def wait_task(self, run_id: int, task: str, state: str,
                        timeout: float = PATIENCE) -> dict[str, Any]:
        """The event of ``task`` of ``run_id`` reaching ``state``."""
        return await self.events.wait_for(
            lambda e: e["kind"] == "task" and e["run_id"] == run_id
            and e.get("task_id") == task and e["state"] == state,
            since=self._since.get(run_id, 0), timeout=timeout)


def task_of(run: dict[str, Any], task: str) -> dict[str, Any]:
    """The task run ``task`` of a run as GET /runs/{id} shows it."""
    found = [t for t in run.get("tasks", []) if t["id"] == task]
    assert found, f"run {run['id']} has no task {task!r}: {run}"
    return found[0]


def states(run: dict[str, Any]) -> dict[str, str]:
    """task id -> state of a run as GET /runs/{id} shows it."""
    return {t["id"]: t["state"] for t in run.get("tasks", [])}
