"""Notebook tasks as a user meets them: real kernels, real papermill, no mocks.

Parameters are injected the papermill way and read back from the executed notebook; the
kernel works in the task's folder with the task's environment; pooled kernels share no
state; a failing cell fails the task with a readable log and keeps the notebook up to the
error; every attempt keeps its own executed notebook; a timeout or a stop ends the kernel
and whatever it started; ``jupyter batch output`` serves the executed notebook.

Three services are shared by the whole module (a kernel pool warms up once): ``pooled``
(the default, kernels forked from a warm fork server), ``cold`` (``kernel_pool_size=0``:
papermill starts a kernel from scratch, ~2.5 s a notebook, so few tests use it) and
``on_dask`` (papermill on the workers of the test session's Dask cluster, also cold).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest

from jupyter_batch.errors import NotFound
from jupyter_batch.model.records import Run
from jupyter_batch.model.states import RunState, TaskState
from jupyter_batch.service import BatchService
from tests.engine_fixtures import DAY, assert_gone, flow, process_gone, shell, wait_for
from tests.helpers import AUTHOR, Result

S = TaskState
JUPYTER = Path(sys.executable).parent / "jupyter"
BENCH = Path(__file__).resolve().parents[2] / "bench"


# --- notebooks --------------------------------------------------------------------------------

def notebook_bytes(*cells: str, parameters: str | None = None,
                   kernel: str | None = "python3") -> bytes:
    """An ipynb for ``kernel`` (None: no kernelspec in its metadata): an optional
    ``parameters``-tagged cell, then ``cells`` as code cells."""
    nb = nbformat.v4.new_notebook()
    if parameters is not None:
        cell = nbformat.v4.new_code_cell(parameters)
        cell.metadata["tags"] = ["parameters"]
        nb.cells.append(cell)
    nb.cells.extend(nbformat.v4.new_code_cell(source) for source in cells)
    if kernel is not None:
        nb.metadata["kernelspec"] = {"name": kernel, "display_name": kernel,
                                     "language": "python"}
    return nbformat.writes(nb).encode()


def notebook_task(task_id: str, resource: str, **fields: Any) -> dict[str, Any]:
    return {"id": task_id, "type": "notebook", "resource": resource, **fields}


def stdout_of(nb: nbformat.NotebookNode) -> str:
    """Everything the executed notebook's cells printed to stdout, in order."""
    return "".join(out.get("text", "") for cell in nb.cells if cell.cell_type == "code"
                   for out in cell.get("outputs", [])
                   if out.output_type == "stream" and out.name == "stdout")


def printed_json(nb: nbformat.NotebookNode, tag: str) -> Any:
    """The JSON a cell printed after ``tag`` on a line of its own."""
    for line in stdout_of(nb).splitlines():
        if line.startswith(tag):
            return json.loads(line[len(tag):])
    raise AssertionError(f"no line starting with {tag!r} in the notebook's output:\n"
                         f"{stdout_of(nb)}")


# --- the client -------------------------------------------------------------------------------

class Notebooks:
    """Notebook tasks driven the way a user drives them, over one service."""

    def __init__(self, service: BatchService, scratch: Path) -> None:
        self.service = service
        #: a folder outside the state folder, for the files notebooks and tests signal with
        self.scratch = scratch

    def add(self, name: str, *cells: str, parameters: str | None = None,
            kernel: str | None = "python3") -> None:
        self.service.add_resource(name, notebook_bytes(*cells, parameters=parameters,
                                                       kernel=kernel))

    def start(self, doc: dict[str, Any], params: dict[str, Any] | None = None) -> int:
        return self.service.prerun(doc, day=DAY, params=params)

    def finish(self, run_id: int, within: float = 90.0) -> Run:
        run = self.service.wait_run(run_id, timeout=within)
        assert run.state.finished, f"run {run_id} is still {run.state.value} after {within} s"
        return run

    def run(self, doc: dict[str, Any], params: dict[str, Any] | None = None) -> Run:
        return self.finish(self.start(doc, params))

    def executed_text(self, run_id: int, task: str, attempt: int | None = None) -> str:
        return self.service.notebook_output(run_id, task, attempt=attempt)[1]

    def executed(self, run_id: int, task: str, attempt: int | None = None
                 ) -> nbformat.NotebookNode:
        """The executed notebook of an attempt, read back through the service."""
        return nbformat.reads(self.executed_text(run_id, task, attempt), as_version=4)

    def log(self, run_id: int, task: str, attempt: int | None = None) -> str:
        return self.service.read_log(run_id, task, attempt=attempt).text

    def workdir(self, run_id: int, task: str, attempt: int) -> Path:
        return (self.service.data_dir / "runs" / str(run_id) / "work"
                / f"{task}.{attempt}").resolve()


def explain(run: Run) -> str:
    return "; ".join(f"{t.task_id}: {t.state.value} ({t.message})" for t in run.tasks)


# --- fixtures ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def _environment() -> Iterator[None]:
    """``$JUPYTER_BATCH_DIR`` would win over ``data_dir``: unset for the whole module."""
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("JUPYTER_BATCH_DIR", raising=False)
        mp.setenv("JUPYTER_BATCH_AUTHOR", AUTHOR)
        yield


@pytest.fixture(scope="module")
def pooled(_environment: None, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[Notebooks]:
    """The default service: a warm pool of two kernels."""
    folder = tmp_path_factory.mktemp("pooled")
    service = BatchService(data_dir=folder / "batch")
    try:
        yield Notebooks(service, tmp_path_factory.mktemp("pooled-scratch"))
    finally:
        service.close()


@pytest.fixture(scope="module")
def cold(_environment: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Notebooks]:
    """No pool: every notebook starts its kernel from scratch."""
    folder = tmp_path_factory.mktemp("cold")
    service = BatchService(data_dir=folder / "batch", kernel_pool_size=0)
    try:
        yield Notebooks(service, tmp_path_factory.mktemp("cold-scratch"))
    finally:
        service.close()


@pytest.fixture(scope="module")
def on_dask(_environment: None, tmp_path_factory: pytest.TempPathFactory, dask_cluster: str
            ) -> Iterator[Notebooks]:
    """Notebooks run on the workers of the session's Dask cluster, by papermill there
    (cold: no kernel is kept ahead of need on a worker)."""
    folder = tmp_path_factory.mktemp("on-dask")
    service = BatchService(data_dir=folder / "batch", executor="dask",
                           dask_address=dask_cluster)
    try:
        yield Notebooks(service, tmp_path_factory.mktemp("on-dask-scratch"))
    finally:
        service.close()


@pytest.fixture(params=["pooled", "cold", "on_dask"])
def notebooks(request: pytest.FixtureRequest) -> Notebooks:
    """Each service in turn (for the few behaviours every way in must share)."""
    return request.getfixturevalue(request.param)


def batch_cli(data_dir: Path, cwd: Path, *args: str | Path) -> Result:
    """The real ``jupyter batch`` (as the ``cli`` fixture runs it) over ``data_dir``."""
    env = {**os.environ, "JUPYTER_BATCH_DIR": str(data_dir), "JUPYTER_BATCH_AUTHOR": AUTHOR}
    proc = subprocess.run([str(JUPYTER), "batch", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60)
    return Result(proc.returncode, proc.stdout, proc.stderr)


# --- 1. parameters ----------------------------------------------------------------------------

PARAMS_CELL = ('region = "default"\ntop = 0\nlabel = "default"\nbatch_ds = None\n'
               'up_rows = None')
SHOW_PARAMS = ('import json\nprint("VALUES=" + json.dumps({"region": region, "top": top, '
               '"label": label, "batch_ds": batch_ds, "up_rows": up_rows}))')


def test_parameters_reach_the_notebook_the_papermill_way(notebooks: Notebooks) -> None:
    notebooks.add("params.ipynb", SHOW_PARAMS, parameters=PARAMS_CELL)
    doc = flow("nb_params", [
        shell("up", 'echo "rows=7" >> "$BATCH_OUTPUT"'),
        notebook_task("report", "params.ipynb", params={"top": 10}),
    ], [("up", "report")], params={"region": "eu", "top": 1, "label": "workflow"})

    run = notebooks.run(doc, params={"label": "run"})

    assert run.state == RunState.SUCCESS, explain(run)
    nb = notebooks.executed(run.id, "report")
    assert printed_json(nb, "VALUES=") == {
        "region": "eu",          # the workflow's
        "top": 10,               # the task's, over the workflow's, and still an int
        "label": "run",          # the run's, over the workflow's
        "batch_ds": run.logical_date,
        "up_rows": "7",          # the upstream's output, as <task>_<key>
    }
    assert run.logical_date == DAY
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1
    assert nb.cells.index(injected[0]) == 1, "the injected cell follows the parameters cell"


def test_a_parameter_named_like_a_python_keyword_does_not_break_the_notebook(
        pooled: Notebooks) -> None:
    pooled.add("keyword.ipynb", 'print("ran")')
    doc = flow("nb_keyword", [notebook_task("report", "keyword.ipynb")],
               params={"from": "2026-01-01", "to": "2026-01-31"})

    run = pooled.run(doc)

    assert run.state == RunState.SUCCESS, pooled.log(run.id, "report")
    nb = pooled.executed(run.id, "report")
    injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
    assert '"2026-01-01"' in injected.source, "the value still reaches the notebook"


# --- 2. working directory, environment, outputs -----------------------------------------------

def test_the_kernel_works_in_the_tasks_folder_with_its_environment(pooled: Notebooks) -> None:
    pooled.service.add_resource("settings.xml", b"<colour>blue</colour>\n")
    pooled.add("where.ipynb",
               'import json, os, pathlib\n'
               'print("FACTS=" + json.dumps({\n'
               '    "cwd": os.getcwd(),\n'
               '    "config": pathlib.Path("settings.xml").read_text(),\n'
               '    "task": os.environ.get("BATCH_TASK"),\n'
               '    "ds": os.environ.get("BATCH_DS"),\n'
               '}))',
               'from jupyter_batch.task import set_output\nset_output("answer", 42)')
    doc = flow("nb_where", [notebook_task("where", "where.ipynb",
                                          files=["settings.xml"])])

    run = pooled.run(doc)

    assert run.state == RunState.SUCCESS, explain(run)
    facts = printed_json(pooled.executed(run.id, "where"), "FACTS=")
    assert facts == {"cwd": str(pooled.workdir(run.id, "where", 1)),
                     "config": "<colour>blue</colour>\n", "task": "where", "ds": DAY}
    assert run.task("where").outputs == {"answer": "42"}


def test_on_dask_the_kernel_works_in_a_folder_of_the_workers_own(on_dask: Notebooks) -> None:
    on_dask.service.add_resource("settings.xml", b"<colour>blue</colour>\n")
    on_dask.add("where.ipynb",
                'import json, os, pathlib\n'
                'print("FACTS=" + json.dumps({\n'
                '    "cwd": os.getcwd(),\n'
                '    "config": pathlib.Path("settings.xml").read_text(),\n'
                '    "task": os.environ.get("BATCH_TASK"),\n'
                '}))',
                'from jupyter_batch.task import set_output\nset_output("answer", 42)')
    doc = flow("nb_where", [notebook_task("where", "where.ipynb", files=["settings.xml"])])

    run = on_dask.run(doc)

    assert run.state == RunState.SUCCESS, explain(run)
    facts = printed_json(on_dask.executed(run.id, "where"), "FACTS=")
    assert facts["config"] == "<colour>blue</colour>\n" and facts["task"] == "where"
    assert not Path(facts["cwd"]).is_relative_to(on_dask.service.data_dir), (
        "the notebook ran in the worker's folder, not the engine's")
    assert run.task("where").outputs == {"answer": "42"}, "the outputs file came back"


def test_a_module_shipped_beside_the_notebook_can_be_imported(pooled: Notebooks) -> None:
    pooled.service.add_resource("nbhelper.py", b"GREETING = 'hello from a helper'\n")
    pooled.add("imports.ipynb", "import nbhelper\nprint(nbhelper.GREETING)")
    doc = flow("nb_imports", [notebook_task("imports", "imports.ipynb",
                                            files=["nbhelper.py"])])

    run = pooled.run(doc)

    assert run.state == RunState.SUCCESS, pooled.log(run.id, "imports")
    assert "hello from a helper" in stdout_of(pooled.executed(run.id, "imports"))


# --- 3. no state leaks between pooled kernels ---------------------------------------------------

LEAKER = ('import json, os, sys, types\n'
          'leak = 42\n'
          'json.leaked = True\n'
          'os.environ["LEAK"] = "yes"\n'
          'sys.modules["leaky_module"] = types.ModuleType("leaky_module")\n'
          'print("PID=" + json.dumps(os.getpid()))')
CHECKER = ('import json, os, sys\n'
           'print("PID=" + json.dumps(os.getpid()))\n'
           'assert "leak" not in globals(), "a global leaked"\n'
           'assert not hasattr(json, "leaked"), "a module attribute leaked"\n'
           'assert "LEAK" not in os.environ, "an environment variable leaked"\n'
           'assert "leaky_module" not in sys.modules, "a module leaked"')


def test_no_state_leaks_from_one_pooled_kernel_into_the_next(pooled: Notebooks) -> None:
    pooled.add("leaker.ipynb", LEAKER)
    pooled.add("checker.ipynb", CHECKER)
    # more notebooks than the pool holds: later kernels are forked after A has run
    doc = flow("nb_leaks", [notebook_task("a", "leaker.ipynb"),
                            notebook_task("b", "checker.ipynb")], [("a", "b")])

    first = pooled.run(doc)
    second = pooled.run(doc)

    pids = []
    for run in (first, second):
        assert run.state == RunState.SUCCESS, (explain(run), pooled.log(run.id, "b"))
        pids += [printed_json(pooled.executed(run.id, task), "PID=") for task in ("a", "b")]
    assert len(set(pids)) == 4, f"a kernel served more than one notebook: {pids}"


# --- 4. a failing notebook --------------------------------------------------------------------

FAILING_CELL = 'x = 1\nraise ValueError("boom")'


def test_a_failing_cell_fails_the_task_and_keeps_the_notebook(pooled: Notebooks) -> None:
    pooled.add("failing.ipynb", 'print("before")', FAILING_CELL, 'print("after")')
    run = pooled.run(flow("nb_failing", [notebook_task("bad", "failing.ipynb")]))

    assert run.state == RunState.FAILED
    assert run.task("bad").state == S.FAILED
    assert re.search(r"after [\d.]+ s: cell \d+: ValueError: boom$",
                     run.task("bad").message or ""), run.task("bad").message
    log = pooled.log(run.id, "bad")
    assert "ValueError" in log and "boom" in log
    assert FAILING_CELL in log, "the failing cell's source is in the log"

    nb = pooled.executed(run.id, "bad")
    printed = stdout_of(nb)
    assert "before" in printed and "after" not in printed
    attempt, html = pooled.service.notebook_output(run.id, "bad", html=True)
    assert attempt == 1
    assert html.lstrip().lower().startswith("<!doctype html>")
    assert "boom" in html


# --- 5. one executed notebook per attempt -----------------------------------------------------

def test_each_attempt_keeps_its_own_executed_notebook(pooled: Notebooks) -> None:
    counter = pooled.scratch / "attempts.txt"
    pooled.add("flaky.ipynb",
               'import pathlib\n'
               'p = pathlib.Path(counter)\n'
               'n = int(p.read_text()) + 1 if p.exists() else 1\n'
               'p.write_text(str(n))\n'
               'print(f"attempt {n}")\n'
               'if n == 1:\n'
               '    raise RuntimeError("the first attempt fails")',
               parameters='counter = ""')
    doc = flow("nb_flaky", [notebook_task("flaky", "flaky.ipynb", retries=1,
                                          params={"counter": str(counter)}),
                            shell("plain", "echo not a notebook")])

    run = pooled.run(doc)

    assert run.state == RunState.SUCCESS, explain(run)
    assert run.task("flaky").attempt == 2
    first = pooled.executed_text(run.id, "flaky", attempt=1)
    second = pooled.executed_text(run.id, "flaky", attempt=2)
    assert first != second
    assert "attempt 1" in first and "the first attempt fails" in first
    assert "attempt 2" in second and "the first attempt fails" not in stdout_of(
        nbformat.reads(second, as_version=4))
    assert pooled.service.notebook_output(run.id, "flaky") == (2, second), \
        "the latest attempt by default"
    with pytest.raises(NotFound):
        pooled.service.notebook_output(run.id, "flaky", attempt=3)
    with pytest.raises(NotFound):
        pooled.service.notebook_output(run.id, "plain")
    with pytest.raises(NotFound):
        pooled.service.notebook_output(run.id, "plain", attempt=1)


def test_an_executed_notebook_is_only_found_for_a_task_of_that_run(pooled: Notebooks) -> None:
    pooled.add("tiny.ipynb", 'print("tiny")')
    other = pooled.run(flow("nb_other", [notebook_task("report", "tiny.ipynb")]))
    run = pooled.run(flow("nb_this", [shell("plain", "true")]))
    assert other.state == run.state == RunState.SUCCESS

    with pytest.raises(NotFound):
        pooled.service.notebook_output(run.id, "no_such_task", attempt=1)
    with pytest.raises(NotFound):
        pooled.service.notebook_output(run.id, f"../../{other.id}/notebooks/report", attempt=1)


# --- 6. the kernel ----------------------------------------------------------------------------

SHOW_KERNEL = ('import json, os\n'
               'print("KERNEL=" + json.dumps(os.environ.get("BATCH_TEST_KERNEL", "python3")))')


@pytest.fixture
def other_kernel(_environment: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                 ) -> Iterator[Notebooks]:
    """A service (with a warm pool of python3 kernels) where a second kernel is installed:
    ``other-python``, ipykernel of this Python telling itself apart by
    ``BATCH_TEST_KERNEL``."""
    folder = tmp_path / "jupyter" / "kernels" / "other-python"
    folder.mkdir(parents=True)
    (folder / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Other Python", "language": "python",
        "env": {"BATCH_TEST_KERNEL": "other-python"}}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    service = BatchService(data_dir=tmp_path / "batch", kernel_pool_size=1)
    try:
        yield Notebooks(service, tmp_path)
    finally:
        service.close()


def test_a_notebook_runs_on_the_kernel_it_names_unless_the_task_names_one(
        other_kernel: Notebooks) -> None:
    other_kernel.add("other.ipynb", SHOW_KERNEL, kernel="other-python")
    other_kernel.add("plain.ipynb", SHOW_KERNEL)
    doc = flow("nb_own_kernel", [
        notebook_task("own", "other.ipynb"),
        notebook_task("explicit", "other.ipynb", kernel="python3"),
        notebook_task("plain", "plain.ipynb"),
        notebook_task("chosen", "plain.ipynb", kernel="other-python"),
    ])

    run = other_kernel.run(doc)

    assert run.state == RunState.SUCCESS, explain(run)
    ran_on = {task: printed_json(other_kernel.executed(run.id, task), "KERNEL=")
              for task in ("own", "explicit", "plain", "chosen")}
    assert ran_on == {"own": "other-python", "explicit": "python3", "plain": "python3",
                      "chosen": "other-python"}
    assert "Executing notebook with kernel: other-python" in other_kernel.log(run.id, "own")


def test_an_unknown_kernel_fails_the_task_with_one_line_naming_it(
        notebooks: Notebooks) -> None:
    notebooks.add("julia.ipynb", 'print("not julia")', kernel="julia-9")
    notebooks.add("py.ipynb", 'print("python")')
    notebooks.add("bare.ipynb", 'print("bare")', kernel=None)
    doc = flow("nb_unknown_kernel", [
        notebook_task("julia", "julia.ipynb"),
        notebook_task("named", "py.ipynb", kernel="nokernel"),
        notebook_task("bare", "bare.ipynb", kernel="nokernel"),
    ])

    run = notebooks.run(doc)

    for task, kernel in (("julia", "julia-9"), ("named", "nokernel"), ("bare", "nokernel")):
        assert run.task(task).state == S.FAILED, explain(run)
        said = [line for line in notebooks.log(run.id, task).splitlines()
                if not line.startswith("#")]
        assert len(said) == 1, said
        assert re.fullmatch(rf"no kernel named '{kernel}' \(installed: .*\bpython3\b.*\)",
                            said[0]), said
        assert (run.task(task).message or "").endswith(f": {said[0]}"), run.task(task)


# --- 7. a timeout or a stop ends the kernel and what it started ----------------------------------

SLEEPER = ('import json, os, pathlib, subprocess, time\n'
           'child = subprocess.Popen(["sleep", "60"])\n'
           'pathlib.Path(pids).with_suffix(".tmp").write_text(json.dumps(\n'
           '    {"kernel": os.getpid(), "parent": os.getppid(), "child": child.pid}))\n'
           'pathlib.Path(pids).with_suffix(".tmp").rename(pids)')


def sleeper(notebooks: Notebooks, name: str) -> Path:
    """A notebook that starts a ``sleep 60``, writes the pids of its kernel, the kernel's
    parent and the child into the file named by its ``pids`` parameter, then sleeps 60 s."""
    notebooks.add("sleeper.ipynb", SLEEPER, "time.sleep(60)", parameters='pids = ""')
    return notebooks.scratch / f"{name}.json"


def read_pids(path: Path) -> dict[str, int]:
    return json.loads(wait_for(lambda: path.exists() and path.read_text(), f"pids in {path}"))


def assert_all_gone(pids: dict[str, int]) -> None:
    """Each process ends (bounded poll); any survivor is killed after the check, so a
    failing test leaves nothing behind."""
    try:
        for what, pid in pids.items():
            try:
                assert_gone(pid)
            except AssertionError:
                raise AssertionError(f"the notebook's {what} (pid {pid}) survived") from None
    finally:
        for pid in pids.values():
            if not process_gone(pid):
                os.kill(pid, signal.SIGKILL)


#: a timeout the notebook's kernel starts well within: a warm one at once, a cold one in
#: ~2.5 s here, more on a loaded machine (the kernel must be up to write its pids)
@pytest.mark.parametrize(("notebooks", "timeout"), [
    ("pooled", 2),
    ("cold", 12),
], indirect=["notebooks"])
def test_a_timeout_ends_the_kernel_and_its_children(notebooks: Notebooks, timeout: int
                                                    ) -> None:
    pid_file = sleeper(notebooks, "timeout")
    doc = flow("nb_timeout", [notebook_task("slow", "sleeper.ipynb", timeout=timeout,
                                            params={"pids": str(pid_file)})])

    run_id = notebooks.start(doc)
    pids = read_pids(pid_file)
    run = notebooks.finish(run_id)

    assert run.task("slow").state == S.FAILED
    assert "timed out" in (run.task("slow").message or "")
    assert_all_gone(pids)


@pytest.mark.parametrize("notebooks", ["pooled", "on_dask"], indirect=True)
def test_stop_ends_the_kernel_and_its_children(notebooks: Notebooks) -> None:
    pid_file = sleeper(notebooks, "stop")
    run_id = notebooks.start(flow("nb_stop", [notebook_task("slow", "sleeper.ipynb",
                                                            params={"pids": str(pid_file)})]))
    pids = read_pids(pid_file)
    assert not process_gone(pids["kernel"])

    notebooks.service.stop_run(run_id)
    run = notebooks.finish(run_id)

    assert run.state == RunState.CANCELLED
    assert run.task("slow").state == S.CANCELLED
    assert_all_gone(pids)


# --- closing ----------------------------------------------------------------------------------

def test_closing_a_service_that_ran_notebooks_leaves_no_file_open(
        _environment: None, tmp_path: Path) -> None:
    service = BatchService(data_dir=tmp_path / "batch", kernel_pool_size=1)
    service.add_resource("tiny.ipynb", notebook_bytes('print("tiny")'))
    try:
        run = service.wait_run(service.prerun(
            flow("nb_close", [notebook_task("tiny", "tiny.ipynb")]), day=DAY), timeout=90)
        assert run.state == RunState.SUCCESS
    finally:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ResourceWarning)
            service.close()

    assert [str(w.message) for w in caught if w.category is ResourceWarning] == []


# --- 8. the command line ----------------------------------------------------------------------

def test_jupyter_batch_output_prints_or_writes_the_executed_notebook(pooled: Notebooks) -> None:
    pooled.add("cli.ipynb", 'print("from the cli notebook")')
    run = pooled.run(flow("nb_cli", [notebook_task("report", "cli.ipynb"),
                                     shell("plain", "true")]))
    assert run.state == RunState.SUCCESS, explain(run)
    data_dir, cwd = pooled.service.data_dir, pooled.scratch

    as_json = batch_cli(data_dir, cwd, "output", str(run.id), "report")
    assert as_json.code == 0, as_json.err
    assert "from the cli notebook" in stdout_of(nbformat.reads(as_json.out, as_version=4))

    as_html = batch_cli(data_dir, cwd, "output", str(run.id), "report", "--html")
    assert as_html.code == 0, as_html.err
    assert as_html.out.lstrip().lower().startswith("<!doctype html>")
    assert "from the cli notebook" in as_html.out

    target = cwd / "report.html"
    written = batch_cli(data_dir, cwd, "output", str(run.id), "report", "--html", "-o", target)
    assert written.code == 0, written.err
    assert written.out.strip() == f"wrote {target} (attempt 1)"
    assert target.read_text(encoding="utf-8") == as_html.out

    missing = batch_cli(data_dir, cwd, "output", str(run.id), "plain")
    assert missing.code == 2
    assert len(missing.err_lines) == 1 and "plain" in missing.err


# --- the benchmark stays runnable -------------------------------------------------------------

def test_the_notebook_benchmark_runs_on_a_small_size() -> None:
    env = {k: v for k, v in os.environ.items() if k != "JUPYTER_BATCH_DIR"}
    proc = subprocess.run([sys.executable, str(BENCH / "notebooks.py"), "--chain", "2",
                           "--fan", "2"], capture_output=True, text=True, timeout=240, env=env)

    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split() == ["workload", "papermill", "s", "engine", "s", "speed-up"]
    assert [line.split()[:2] for line in lines[1:]] == [["chain", "x2"], ["independent", "x2"]]


def test_a_notebook_without_language_metadata_runs(pooled: Notebooks) -> None:
    bare = nbformat.v4.new_notebook()  # as some tools write it: no kernelspec, no language
    params = nbformat.v4.new_code_cell("who = 'nobody'")
    params.metadata["tags"] = ["parameters"]
    bare.cells = [params, nbformat.v4.new_code_cell("print('hello', who)")]
    pooled.service.add_resource("bare.ipynb", nbformat.writes(bare).encode())

    run = pooled.run(flow("nb_bare", [notebook_task("bare", "bare.ipynb",
                                                    params={"who": "world"})]))

    assert run.task("bare").state == TaskState.SUCCESS, explain(run)
    assert "hello world" in stdout_of(pooled.executed(run.id, "bare"))
    assert ("the notebook names no kernel in its metadata: running it with python3"
            in pooled.log(run.id, "bare").splitlines())
