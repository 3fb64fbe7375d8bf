"""The notebook client, on the real wiring: the builder writes exactly the workflow file;
the whole life of a workflow (resources, validation, pre-run, logs, outputs, recover,
rerun, publish, run, backfill, stop, offline) goes the same way through the local
service and through a real Jupyter server's REST API; the server's errors arrive as
the same exceptions with the same messages; and ``Batch()`` finds the server its kernel
belongs to among real running servers."""

from __future__ import annotations

import asyncio
import inspect
import os
import textwrap
import time
from collections.abc import Callable, Iterator
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import nbformat
import pytest
from jupyter_server.serverapp import list_running_servers
from traitlets.config import Config

from jupyter_batch import Batch
from jupyter_batch.client import Published, Run, Workflow
from jupyter_batch.client.discovery import find_server, running_servers
from jupyter_batch.client.source import ClientSource
from jupyter_batch.errors import Conflict, InvalidInput, InvalidWorkflow, NotFound, Problem
from jupyter_batch.model.changes import RunChange, TaskChange
from jupyter_batch.model.states import RunState, TaskState
from tests.client.servers import jupyter_servers, run_in_kernel
from tests.helpers import design_example, master_sync

S = TaskState


@pytest.fixture
def jp_server_config(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Config:
    """The in-process server of ``jp_serverapp``, with the extension over ``data_dir``."""
    monkeypatch.delenv("JUPYTER_BATCH_DIR", raising=False)
    return Config({"ServerApp": {"jpserver_extensions": {"jupyter_batch": True}},
                   "BatchApp": {"data_dir": str(data_dir), "kernel_pool_size": 0,
                                "kill_grace": 1.0}})


@pytest.fixture
def remote(jp_serverapp: Any, jp_http_port: int, jp_base_url: str,
           http_server_client: Any) -> Iterator[Batch]:
    """A client of the in-process server's REST API (listening once ``http_server_client``
    is up). Its calls block, so async tests make them on a thread: the server's loop is
    the test's own."""
    batch = Batch(f"http://127.0.0.1:{jp_http_port}{jp_base_url}",
                  jp_serverapp.identity_provider.token)
    yield batch
    batch.close()


# --- the builder ----------------------------------------------------------------------

def build_design_example(batch: Batch) -> Workflow:
    """DESIGN.md's example workflow, built in Python."""
    wf = batch.workflow("daily_sales", description="Sales report for the day before",
                        params={"region": "eu"}, max_parallel=4, failure_strategy="continue")
    wf.schedule(cron="0 2 * * *", timezone="Europe/Berlin", catchup="none")
    masterdata = wf.reference("masterdata", workflow="master_sync", timeout=3600)
    extract = wf.shell("extract", command="echo extracting for $BATCH_DS")
    clean = wf.python("clean", resource="clean.py@2", retries=1, timeout=600)
    report = wf.notebook("report", "report.ipynb", params={"top": 10})
    masterdata >> extract >> clean
    wf.connect(clean, report, rerun=False)
    return wf


def test_the_builder_writes_the_design_example_exactly(local: Batch) -> None:
    assert build_design_example(local).to_dict() == design_example()


def test_lists_connect_each_pair_and_every_task_type_has_its_fields(local: Batch) -> None:
    wf = local.workflow("fan")
    a, b, c = wf.shell("a", "true"), wf.shell("b", "true"), wf.shell("c", "true")
    d = wf.sql("d", code="select 1", dialect="duckdb")
    e = wf.sync("e", source={"path": "/data/${ds}.csv", "format": "csv"}, target="raw.sales",
                mode="append")
    f = wf.app("f", args=["echo", "hi"], pool="default")
    a >> [b, c]
    [b, c] >> d
    d >> e >> f
    a >> b  # connecting again adds nothing
    wf.connect(c, d, rerun=False)  # ... but sets the switch
    wf.schedule(once="2026-12-01T02:00:00+01:00")

    assert wf.to_dict() == {
        "name": "fan",
        "schedule": {"once": "2026-12-01T02:00:00+01:00"},
        "tasks": [
            {"id": "a", "type": "shell", "command": "true"},
            {"id": "b", "type": "shell", "command": "true"},
            {"id": "c", "type": "shell", "command": "true"},
            {"id": "d", "type": "sql", "code": "select 1", "dialect": "duckdb"},
            {"id": "e", "type": "sync", "source": {"path": "/data/${ds}.csv", "format": "csv"},
             "target": "raw.sales", "mode": "append"},
            {"id": "f", "type": "app", "args": ["echo", "hi"], "pool": "default"},
        ],
        "relations": [
            {"from": "a", "to": "b"}, {"from": "a", "to": "c"},
            {"from": "b", "to": "d"}, {"from": "c", "to": "d", "rerun": False},
            {"from": "d", "to": "e"}, {"from": "e", "to": "f"},
        ],
    }
    assert local.validate(wf.to_dict()) == []

    wf.disconnect(a, [b, c])
    wf.remove(d)
    wf.schedule()
    assert wf.to_dict()["relations"] == [{"from": "e", "to": "f"}]
    assert [n.id for n in wf.nodes] == ["a", "b", "c", "e", "f"]
    assert "schedule" not in wf.to_dict()


def test_the_builder_refuses_what_it_cannot_represent(local: Batch) -> None:
    wf = local.workflow("w")
    a = wf.shell("a", "true")
    with pytest.raises(InvalidInput, match="already has a node 'a'"):
        wf.python("a", "x.py")
    with pytest.raises(NotFound, match="has no node 'nope'"):
        wf.connect(a, "nope")
    other = local.workflow("other")
    with pytest.raises(InvalidInput, match="belongs to workflow 'other'"):
        a >> other.shell("x", "true")


def test_a_saved_workflow_loads_back_into_a_builder(local: Batch) -> None:
    for content in (b"print(1)\n", b"print(2)\n"):
        local.add_resource("clean.py", content)
    local.add_resource("report.ipynb", report_notebook())
    upstream = local.workflow("master_sync")
    upstream.shell("sync", "true")
    upstream.publish()
    build_design_example(local).save()

    loaded = local.get_workflow("daily_sales")
    assert loaded.to_dict() == design_example()
    assert (loaded.state, loaded.latest_version) == ("draft", None)
    loaded.shell("more", "true")  # the builder's own copy: nothing saved yet
    assert [w.to_dict() for w in local.workflows()] == [design_example(), master_sync()]
    assert repr(loaded).splitlines()[:3] == [
        "Workflow 'daily_sales' (draft)",
        "  masterdata  reference  master_sync",
        '  extract     shell      "echo extracting for $BATCH_DS"']


# --- the life of a workflow, through either transport ---------------------------------

CLEAN = b"""\
import os, pathlib, sys
flag = pathlib.Path(os.environ["BATCH_PARAM_FLAG"])
if not flag.exists():
    print("input missing:", flag.name)
    sys.exit(3)
print("cleaned", os.environ["BATCH_DS"])
"""


def report_notebook() -> bytes:
    nb = nbformat.v4.new_notebook(metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"}})
    nb.cells = [nbformat.v4.new_code_cell("top = 1", metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell('print("top", top)')]
    return nbformat.writes(nb).encode("utf-8")


def wait_for(check: Callable[[], bool], what: str, patience: float = 30.0) -> None:
    deadline = time.monotonic() + patience
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def life_of_a_workflow(batch: Batch, scratch: Path) -> None:
    """Every step a notebook user takes; the same assertions for both transports."""
    # resources: versions, identical content, reading back
    added = batch.add_resource("clean.py", CLEAN, "first")
    assert (added.created, added.version.ref) == (True, "clean.py@1")
    again = batch.add_resource("clean.py", CLEAN.decode(), "same again")
    assert (again.created, again.version.version) == (False, 1)
    batch.add_resource("report.ipynb", report_notebook(), "report")
    assert batch.read("clean.py@1") == batch.read("clean.py") == CLEAN
    assert [r.name for r in batch.resources() if r.namespace == "user"] == [
        "clean.py", "report.ipynb"]

    # build; a problem reaches the right place
    flag = scratch / "input.ready"
    wf = batch.workflow("daily_client", params={"flag": str(flag)})
    extract = wf.shell("extract", "echo extracting $BATCH_DS")
    clean = wf.python("clean", "clean.py")
    report = wf.notebook("report", "report.ipynb", params={"top": 3})
    extract >> clean
    wf.connect(clean, report, rerun=False)
    wf.python("broken", "missing.py")
    problems = wf.validate()
    assert problems == [Problem("tasks[3].resource", "resource 'missing.py' does not exist")]
    with pytest.raises(InvalidWorkflow) as refused:
        wf.save()
    assert refused.value.problems == problems
    assert str(refused.value) == ("workflow 'daily_client' is invalid: tasks[3].resource: "
                                  "resource 'missing.py' does not exist")
    wf.remove("broken")
    assert wf.validate() == []
    assert wf.save().state == "draft"

    # a pre-run that fails: states, logs
    run = wf.prerun(date="2026-03-01").wait(timeout=60)
    assert (run.state, run.trigger, run.logical_date) == (RunState.FAILED, "prerun",
                                                          "2026-03-01")
    assert run.tasks == {"extract": S.SUCCESS, "clean": S.FAILED,
                         "report": S.UPSTREAM_FAILED}
    assert "extracting 2026-03-01" in run.log("extract")
    assert "input missing: input.ready" in run.log("clean")
    assert run.task("clean").exit_code == 3

    # recover once the input is there
    assert run.recover(preview=True) == ["clean", "report"]
    assert run.refresh().state == RunState.FAILED
    flag.touch()
    assert run.recover() == ["clean", "report"]
    assert run.wait(timeout=60).state == RunState.SUCCESS
    assert [(a.attempt, a.state) for a in run.attempts("clean")] == [(1, S.FAILED),
                                                                     (2, S.SUCCESS)]
    assert "input missing" in run.log("clean", attempt=1)
    assert "cleaned 2026-03-01" in run.log("clean")
    notebook = run.output("report")
    assert isinstance(notebook, nbformat.NotebookNode)
    printed = [o.get("text", "") for c in notebook.cells for o in c.get("outputs", [])]
    assert "top 3\n" in printed

    # rerun with downstream stops at the relation whose rerun switch is off
    assert run.rerun("extract", downstream=True) == ["extract", "clean"]
    run.wait(timeout=60)
    assert run.state == RunState.SUCCESS
    assert {t: run.task(t).attempt for t in run.tasks} == {"extract": 2, "clean": 3,
                                                           "report": 1}
    assert repr(run).startswith(f"Run {run.id} of 'daily_client' for 2026-03-01 (prerun): "
                                "success")

    # publish, run, backfill, stop, offline (a small workflow: no notebook to wait for)
    nightly = batch.workflow("nightly", params={"nap": "0"})
    nightly.shell("nap", 'sleep "$BATCH_PARAM_NAP"; echo "slept on $BATCH_DS"')
    assert nightly.publish("first") == Published(1, True)
    assert nightly.publish("nothing new") == Published(1, False)
    assert (nightly.state, nightly.latest_version) == ("published", 1)
    manual = nightly.run(date=date(2026, 3, 2)).wait(timeout=60)
    assert (manual.state, manual.trigger, manual.status.workflow_version) == (
        RunState.SUCCESS, "manual", 1)
    assert "slept on 2026-03-02" in manual.log("nap")
    filled = nightly.backfill("2026-03-03", "2026-03-04")
    assert [(r.wait(timeout=60).state, r.logical_date, r.trigger) for r in filled] == [
        (RunState.SUCCESS, "2026-03-03", "backfill"), (RunState.SUCCESS, "2026-03-04",
                                                       "backfill")]
    assert [r.logical_date for r in nightly.runs()] == ["2026-03-04", "2026-03-03",
                                                        "2026-03-02"]
    assert [r.id for r in batch.runs(state="failed")] == []

    sleepy = nightly.run(params={"nap": "30"})
    wait_for(lambda: sleepy.refresh().tasks["nap"] == S.RUNNING, "the task to start")
    started = time.monotonic()
    assert sleepy.stop().state == RunState.CANCELLED
    assert time.monotonic() - started < 15
    assert sleepy.tasks == {"nap": S.CANCELLED}

    assert nightly.offline().state == "offline"
    with pytest.raises(Conflict, match="workflow 'nightly' is offline; publish it first"):
        nightly.run()
    assert [w.name for w in batch.workflows()] == ["daily_client", "nightly"]
    assert batch.get_workflow("daily_client").to_dict() == wf.to_dict()

    # the server's errors, as exceptions that carry its message
    with pytest.raises(NotFound) as missing:
        batch.get_run(999999)
    assert str(missing.value) == "no run 999999"
    with pytest.raises(NotFound, match="no workflow named 'nope'"):
        batch.get_workflow("nope")
    with pytest.raises(InvalidInput, match=r"resource 'notes\.txt' has an unsupported format"):
        batch.add_resource("notes.txt", b"text")
    with pytest.raises(Conflict, match=r"has already ended \(success\)"):
        run.stop()


def test_the_life_of_a_workflow_on_the_local_service(local: Batch, tmp_path: Path) -> None:
    assert local.local and repr(local).startswith("<Batch: local service on ")
    life_of_a_workflow(local, tmp_path)


async def test_the_life_of_a_workflow_on_a_jupyter_server(remote: Batch,
                                                           tmp_path: Path) -> None:
    assert not remote.local
    await asyncio.to_thread(life_of_a_workflow, remote, tmp_path)


async def test_state_changes_arrive_from_the_server_as_they_happen(remote: Batch) -> None:
    """``subscribe`` gets the server's events; ``wait`` sleeps on them, noticing the end
    at once with a handful of requests rather than a tight polling loop."""
    reads: list[int] = []
    get_run = remote.transport.get_run

    def counted_get_run(run_id: int) -> dict[str, Any]:
        reads.append(run_id)
        return get_run(run_id)

    remote.transport.get_run = counted_get_run  # type: ignore[method-assign]

    def follow() -> tuple[list[tuple[str, str | None, str]], float]:
        seen: list[dict[str, Any]] = []
        unsubscribe = remote.subscribe(seen.append)
        try:
            wf = remote.workflow("events")
            wf.shell("a", "sleep 2") >> wf.shell("b", "exit 1")
            run = wf.prerun()
            reads.clear()
            run.wait(timeout=60)
            late = (datetime.now(timezone.utc) - run.status.ended_at).total_seconds()
            wait_for(lambda: any(e["kind"] == "run" and e["state"] == "failed" for e in seen),
                     "the run's last event")
        finally:
            unsubscribe()
        return [(e["kind"], e.get("task_id"), e["state"]) for e in seen
                if e["run_id"] == run.id], late

    events, late = await asyncio.to_thread(follow)
    assert events[0] == ("run", None, "running")
    assert ("task", "a", "success") in events and ("task", "b", "failed") in events
    assert events[-1] == ("run", None, "failed")
    assert len(reads) <= 10, reads
    assert late < 0.75


async def test_a_bad_request_to_the_server_keeps_its_message(remote: Batch) -> None:
    def ask() -> None:
        with pytest.raises(InvalidInput, match="run parameter 'ds': 'ds' is the name of a "):
            remote.workflow("p").shell("a", "true").workflow.prerun(params={"ds": "x"})
        with pytest.raises(NotFound, match="no run 424242"):
            remote.get_run(424242).wait()

    await asyncio.to_thread(ask)


# --- finding the server a kernel belongs to ---------------------------------------------

KERNEL_CODE = textwrap.dedent("""\
    import os
    from jupyter_batch import Batch
    from jupyter_batch.client.discovery import find_server, kernel_id, running_servers
    batch = Batch()
    by_id = find_server(running_servers(), kernel_id(), parent_pid=-1)
    batch.add_resource("from_kernel.py", "print(1)\\n", "saved in a notebook")
    print("found", batch.where, batch.local, by_id["url"], kernel_id())
    """)


def test_a_kernel_finds_the_server_it_belongs_to(tmp_path: Path) -> None:
    runtime = tmp_path / "runtime"
    with jupyter_servers(tmp_path, 2) as (first, second):
        listed = running_servers(runtime)
        assert sorted((s["pid"], s["url"]) for s in listed) == sorted(
            (s["pid"], s["url"]) for s in list_running_servers(str(runtime)))
        assert {s["url"] for s in listed} == {first.url, second.url}
        # outside a kernel no server is "ours", not even the only one running (Batch()
        # then asks a server where it keeps its state: tests/client/test_discovery.py)
        assert find_server(listed, None, os.getppid()) is None
        assert find_server([listed[0]], None, os.getppid()) is None

        kernel = second.call("POST", "api/kernels", json={"name": "python3"}).json()["id"]
        try:
            printed = run_in_kernel(runtime / f"kernel-{kernel}.json", KERNEL_CODE)
        finally:
            second.call("DELETE", f"api/kernels/{kernel}")
        # by its parent process (Batch()), and by its kernel id alone (find_server)
        assert printed.split() == ["found", second.url, "False", second.url, kernel]
        with Batch(second.url, second.token) as batch:
            (saved,) = batch.versions("from_kernel.py")
            assert saved.message == "saved in a notebook"


# --- the widgets' data source, and objects that show as widgets ---------------------------

def test_the_client_source_has_every_method_the_widgets_ask_for() -> None:
    from jupyter_batch.client.source import ClientSource
    from jupyter_batch.widgets.source import BatchSource

    asked = {name: inspect.signature(fn) for name, fn in vars(BatchSource).items()
             if inspect.isfunction(fn) and not name.startswith("_")}
    assert asked
    for name, signature in asked.items():
        given = inspect.signature(getattr(ClientSource, name))
        assert list(given.parameters) == list(signature.parameters), name
        assert [p.default for p in given.parameters.values()] == [
            p.default for p in signature.parameters.values()], name


def source_reads_and_acts(batch: Batch) -> None:
    source = ClientSource(batch.transport)
    seen: list[Any] = []
    unsubscribe = source.subscribe(seen.append)
    try:
        document = {"name": "src", "tasks": [{"id": "a", "type": "shell", "command": "echo a"},
                                             {"id": "b", "type": "shell", "command": "exit 2"}],
                    "relations": [{"from": "a", "to": "b"}]}
        wf, problems = source.validate({"name": "src", "tasks": []})
        assert (wf.name, problems) == ("src", [Problem("tasks", "a workflow needs at least "
                                                                "one task")])
        run_id = source.prerun(document)  # saves the document as the draft first
        Run(batch.transport, batch.transport.get_run(run_id)).wait(timeout=60)
        wait_for(lambda: any(isinstance(c, RunChange) and c.state == RunState.FAILED
                             for c in seen), "the run's last change")
    finally:
        unsubscribe()
    assert any(isinstance(c, TaskChange) and (c.task_id, c.state, c.attempt) == (
        "a", S.SUCCESS, 1) for c in seen)

    run = source.get_run(run_id)
    assert (run.state, run.definition.to_dict()) == (RunState.FAILED, document)
    assert [(t.task_id, t.state, t.exit_code) for t in run.tasks] == [
        ("a", S.SUCCESS, 0), ("b", S.FAILED, 2)]
    assert [r.id for r in source.list_runs("src")] == [run_id]
    assert [a.state for a in source.task_attempts(run_id, "b")] == [S.FAILED]
    part = source.read_log(run_id, "a")
    assert "\na\n" in part.text and part.complete
    assert source.read_log(run_id, "a", offset=part.next_offset).text == ""
    assert source.output_url(run_id, "a") is None  # not a notebook task
    assert source.rerun(run_id, "a", downstream=True) == ["a", "b"]
    Run(batch.transport, batch.transport.get_run(run_id)).wait(timeout=60)
    assert source.publish("src") == 1
    assert {"shell", "python", "notebook", "app", "sql", "sync"} <= set(source.task_types())
    assert source.layout("src")["edges"] == [{"from": "a", "to": "b", "rerun": True}]


def test_the_client_source_on_the_local_service(local: Batch) -> None:
    source_reads_and_acts(local)


async def test_the_client_source_on_a_jupyter_server(remote: Batch) -> None:
    await asyncio.to_thread(source_reads_and_acts, remote)
    url = remote.transport.output_url(7, "report")
    assert url == "/a%40b/batch/api/runs/7/tasks/report/output?format=html"


async def test_runs_and_workflows_show_as_their_widgets(remote: Batch) -> None:
    from ipywidgets.widgets.widget import _instances as widgets

    from jupyter_batch.widgets import DagView, Designer

    def shown(obj: Any) -> Any:
        """The widget IPython shows for ``obj`` as a cell's last expression."""
        bundle = obj._repr_mimebundle_()
        return widgets[bundle["application/vnd.jupyter.widget-view+json"]["model_id"]]

    def show() -> None:
        wf = remote.workflow("shown")
        wf.shell("a", "echo a")
        designer = shown(wf)  # not saved: the designer, to edit it
        assert isinstance(designer, Designer)
        designer.close()
        run = wf.prerun().wait(timeout=60)
        tabs = shown(run)
        try:
            assert tabs.titles == ("graph", "timeline")
            view = tabs.children[0]
            assert isinstance(view, DagView) and view.run_id == run.id
            wait_for(lambda: view.states == {"a": "success"}, "the view to catch up")
        finally:
            tabs.close()
        saved = shown(wf)  # saved as it is: its graph and its runs
        assert saved.titles == ("graph", "runs")
        saved.close()

    await asyncio.to_thread(show)


def test_listed_runs_read_their_tasks_and_the_warehouse_is_readable(local: Batch) -> None:
    wf = local.workflow("listed")
    wf.shell("only", command="echo hi")
    wf.prerun(date="2026-11-20").wait()

    [listed] = local.runs(workflow="listed")
    assert listed.tasks == {"only": TaskState.SUCCESS}
    assert listed.task("only").attempt == 1

    assert local.tables() == []
    with pytest.raises(NotFound, match="no_such_table"):
        local.preview("no_such_table")


# --- the library ----------------------------------------------------------------------

def library_life(batch: Batch, data_dir: Path) -> None:
    """``batch.library``: list, show, use (and run what it made), copy — and the errors,
    as the same exceptions whichever way the client talks."""
    from jupyter_batch import library

    programs = batch.library.list()
    assert [p.name for p in programs] == list(library.NAMES)
    sync = programs[2]
    assert (sync.resource, sync.version, sync.versions, sync.source) == (
        "library/file_sync.py", 1, [], None)
    assert next(p for p in sync.params if p.name == "compare").choices == [
        "size_mtime", "checksum"]

    shown = batch.library.show("library/data_quality.py")
    assert shown.source == library.source("data_quality").decode("utf-8")
    assert [(v.name, v.version) for v in shown.versions] == [("library/data_quality.py", 1)]
    # a library resource's name travels in a URL as library%2F...
    assert [v.version for v in batch.versions("library/data_quality.py")] == [1]
    assert batch.read("library/data_quality.py@1") == library.source("data_quality")

    import duckdb

    data_dir.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(data_dir / "warehouse.duckdb")) as con:
        con.execute("CREATE TABLE t AS SELECT * FROM range(4) r(id)")
    wf = batch.library.use("data_quality", workflow="dq_t",
                           params={"source": "t", "min_rows": 2, "unique_keys": ["id"]},
                           schedule="0 3 * * *")
    assert wf.to_dict()["schedule"] == {"cron": "0 3 * * *"}
    assert wf.to_dict()["tasks"][0]["params"] == {"source": "t", "min_rows": 2,
                                                  "unique_keys": "id"}
    run = wf.prerun(date="2026-11-20").wait()
    assert run.state == RunState.SUCCESS
    assert run.task("data_quality").outputs == {"checks": "2", "rows": "4"}

    with pytest.raises(InvalidWorkflow) as bad:
        batch.library.use("data_quality", workflow="dq_bad", params={"min_rows": "x"})
    assert [p.where for p in bad.value.problems] == ["params.source", "params.min_rows"]
    with pytest.raises(Conflict, match="a workflow named 'dq_t' exists already"):
        batch.library.use("data_quality", workflow="dq_t", params={"source": "t",
                                                                   "min_rows": 1})
    with pytest.raises(NotFound, match="no library program 'nope'"):
        batch.library.show("nope")

    copied = batch.library.copy("data_quality", "my_checks.py")
    assert (copied.name, copied.version, copied.message) == (
        "my_checks.py", 1, "copied from library/data_quality.py@1")
    with pytest.raises(Conflict, match="read-only namespace of the built-in programs"):
        batch.add_resource("library/data_quality.py", b"print('mine')\n")
    assert {r.name: r.namespace for r in batch.resources()}["my_checks.py"] == "user"


def test_the_library_on_the_local_service(local: Batch, data_dir: Path) -> None:
    library_life(local, data_dir)


async def test_the_library_on_a_jupyter_server(remote: Batch, data_dir: Path) -> None:
    await asyncio.to_thread(library_life, remote, data_dir)


def test_a_widget_can_be_placed_through_the_clients_source(local: Batch) -> None:
    """The widgets the README lists, built from ``batch.source`` as it says."""
    from jupyter_batch.widgets import DagView, Designer, RunsTable, Timeline

    wf = local.workflow("placed")
    wf.shell("a", "echo a") >> wf.shell("b", "echo b")
    run = wf.prerun().wait(timeout=60)

    timeline, table = Timeline(local.source, run.id), RunsTable(local.source, "placed")
    view, designer = DagView(local.source, run_id=run.id), Designer(local.source, wf.to_dict())
    try:
        assert [(b["task"], b["state"]) for b in timeline.bars] == [
            ("a", "success"), ("b", "success")]
        assert [r.id for r in table.runs] == [run.id]
        assert designer.node_ids == ["a", "b"]
    finally:
        for widget in (timeline, table, view, designer):
            widget.close()
