"""``jupyter batch run FILE``, ``workflow run NAME``, ``runs``, ``logs``, ``rerun``,
``recover``, ``stop``: running workflows and looking at their runs.

A run started from the command line is driven by this process and followed live (a
progress bar and a line per state change); Ctrl-C stops it cleanly. Exit status 0 when
the run succeeded, 1 when it did not.
"""

from __future__ import annotations

import argparse
import queue
import signal
import sys
import time
from collections.abc import Callable
from typing import Any

from ..model.scalars import parse_pairs
from ..model.wire import run_json
from .context import open_service
from .output import emit_json, table, when, write_out
from .workflows import read_document

_STATE_STYLE = {"success": "green", "failed": "red", "upstream_failed": "red",
                "cancelled": "yellow", "retrying": "yellow", "running": "cyan",
                "interrupted": "red"}


def follow(service: Any, start: Callable[[], int | None], quiet: bool
           ) -> tuple[int | None, int]:
    """Start a run with ``start`` and show its progress until it ends; the run's id (None
    when ``start`` started nothing) and 0 when it succeeded, 1 otherwise.

    Listening begins before the run starts, so a run that ends before this process could
    subscribe still shows every line; the lines are printed from this thread, never from
    the engine's. Ctrl-C asks the run to stop and shows it ending.
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
    from rich.text import Text

    from ..model.changes import RunChange, TaskChange

    console = Console(highlight=False, quiet=quiet)
    changes: queue.SimpleQueue[Any] = queue.SimpleQueue()
    unsubscribe = service.subscribe(changes.put)
    began = time.monotonic()
    previous_handler = None
    try:
        run_id = start()
        if run_id is None:
            return None, 0
        # from here Ctrl-C asks the run to stop, wherever it finds this thread (a
        # KeyboardInterrupt while a line prints would end the command instead)
        previous_handler = signal.signal(signal.SIGINT, lambda *_: changes.put(_CTRL_C))
        run = service.get_run(run_id)
        total = len(run.tasks)  # a task run per node: no need to parse the definition
        with Progress(TextColumn(f"run {run_id} {run.workflow} {run.logical_date}",
                                 markup=False),
                      BarColumn(), MofNCompleteColumn(), console=console, transient=True,
                      disable=quiet or not console.is_terminal) as progress:
            bar = progress.add_task("tasks", total=total)
            finished: set[str] = set()
            shown: set[str] = set()
            while True:
                change = _next_change(service, run_id, changes)
                if change.run_id != run_id:
                    continue
                if isinstance(change, RunChange):
                    if change.state.finished:
                        break
                    continue
                if not isinstance(change, TaskChange):
                    continue  # a log grew
                state = change.state.value
                detail = f" attempt {change.attempt}" if state == "running" else ""
                if change.message and state not in ("running", "success"):
                    detail += f" — {change.message}"
                progress.console.print(Text.assemble(
                    f"{change.at.astimezone():%H:%M:%S}  {change.task_id:<20} ",
                    (state, _STATE_STYLE.get(state, "")), detail),
                    soft_wrap=True)  # one line per change, also in a pipe or a log
                shown.add(change.task_id)
                if change.state.finished:
                    finished.add(change.task_id)
                else:
                    finished.discard(change.task_id)
                progress.update(bar, completed=len(finished))
    finally:
        if previous_handler is not None:
            signal.signal(signal.SIGINT, previous_handler)
        unsubscribe()
    run = service.wait_run(run_id)
    took = time.monotonic() - began  # a rerun's run began earlier: this is what it took now
    console.print(Text.assemble(f"run {run_id} ", (run.state.value,
                                _STATE_STYLE.get(run.state.value, "")), f" in {took:.2f} s"))
    # a rerun or a recovery may leave tasks it did not run as they were: say which
    kept = [f"{t.task_id} ({t.state.value})" for t in run.tasks
            if t.task_id not in shown and t.state.value not in ("success", "skipped")]
    if kept and run.state.value != "success":
        console.print(f"not run this time: {', '.join(kept)}", soft_wrap=True)
    return run_id, 0 if run.state.value == "success" else 1


#: what Ctrl-C puts among the changes ``follow`` reads
_CTRL_C = object()


def _next_change(service: Any, run_id: int, changes: queue.SimpleQueue[Any]) -> Any:
    """The next change told to this process; Ctrl-C meanwhile asks the run to stop."""
    while True:
        change = changes.get()
        if change is not _CTRL_C:
            return change
        print("stopping the run…", file=sys.stderr)
        service.request_stop(run_id)


def _finish(service: Any, args: argparse.Namespace, start: Callable[[], int | None]) -> int:
    try:
        run_id, code = follow(service, start, quiet=args.json)
        if args.json and run_id is not None:
            emit_json(run_json(service.get_run(run_id)))
        return code
    finally:
        service.close()


def run_file(args: argparse.Namespace) -> int:
    document, params = read_document(args.file), parse_pairs(args.param)
    service = open_service(executor=args.executor, dask_address=args.dask_address)
    return _finish(service, args, lambda: service.prerun(document, args.date, params))


def run_workflow(args: argparse.Namespace) -> int:
    params = parse_pairs(args.param)
    service = open_service(executor=args.executor, dask_address=args.dask_address)
    return _finish(service, args, lambda: service.trigger(args.name, args.date, params))


def backfill(args: argparse.Namespace) -> int:
    """One run per date from START to END, one after the other, in this process; a line
    per run as it ends. Exit 0 only when every run succeeded; Ctrl-C stops the run under
    way and cancels the dates not started."""
    params = parse_pairs(args.param)
    service = open_service(executor=args.executor, dask_address=args.dask_address)
    try:
        run_ids = service.backfill(args.name, args.start, args.end, params)
        if not args.json:
            print(f"backfill of {args.name}: {len(run_ids)} runs, {args.start} to {args.end}, "
                  "one after the other", file=sys.stderr)
        ended = []
        for run_id in run_ids:
            run = service.wait_run(run_id)
            ended.append(run)
            if not args.json:
                print(f"run {run.id} {run.logical_date} {run.state.value} "
                      f"{_duration(run.started_at, run.ended_at)}", flush=True)
        if args.json:
            emit_json([run_json(run) for run in ended])
        return 0 if all(run.state.value == "success" for run in ended) else 1
    finally:
        service.close()


def _duration(start: Any, end: Any) -> str:
    return f"{(end - start).total_seconds():.1f}s" if start and end else "-"


def runs(args: argparse.Namespace) -> int:
    service = open_service()
    if args.run_id is not None:
        run = service.get_run(args.run_id)
        if args.json:
            emit_json(run_json(run))
            return 0
        trigger = f"{run.trigger}, cycle {run.cycle}" if run.cycle else run.trigger
        print(f"run {run.id}: {run.workflow} {run.logical_date} ({trigger}) "
              f"{run.state.value}" + (f" — {run.message}" if run.message else ""))
        table(["TASK", "STATE", "ATTEMPT", "EXIT", "DURATION", "MESSAGE"],
              [[t.task_id, t.state.value, t.attempt, t.exit_code,
                _duration(t.started_at, t.ended_at), t.message] for t in run.tasks], "")
        return 0
    items, total = service.list_runs(args.workflow, args.state or (), args.limit, args.offset)
    if args.json:
        emit_json({"total": total, "runs": [run_json(r) for r in items]})
        return 0
    table(["RUN", "WORKFLOW", "DATE", "TRIGGER", "STATE", "CREATED", "DURATION"],
          [[r.id, r.workflow, r.logical_date, r.trigger, r.state.value, when(r.created_at),
            _duration(r.started_at, r.ended_at)] for r in items], "no runs")
    if total > args.offset + len(items):
        print(f"({total} runs in all; --offset {args.offset + len(items)} for more)")
    return 0


def logs(args: argparse.Namespace) -> int:
    service = open_service()
    offset = 0
    while True:
        chunk = service.read_log(args.run_id, args.task, args.attempt, offset)
        sys.stdout.write(chunk.text)
        sys.stdout.flush()
        offset = chunk.next_offset
        if not args.follow or (chunk.complete and not chunk.text):
            return 0
        if not chunk.text:
            time.sleep(0.2)  # another process writes the file: follow it like tail -f


def output(args: argparse.Namespace) -> int:
    attempt, text = open_service().notebook_output(args.run_id, args.task, args.attempt, args.html)
    write_out(text, args.output, f"attempt {attempt}")
    return 0


def rerun(args: argparse.Namespace) -> int:
    service = open_service(executor=args.executor, dask_address=args.dask_address)
    return _again(service, args, lambda: service.rerun(
        args.run_id, args.task, args.downstream, args.preview, args.latest))


def recover(args: argparse.Namespace) -> int:
    service = open_service(executor=args.executor, dask_address=args.dask_address)
    return _again(service, args, lambda: service.recover(args.run_id, args.preview,
                                                         args.latest))


def _again(service: Any, args: argparse.Namespace, plan_and_start: Callable[[], Any]) -> int:
    """Follow a rerun or recovery; a preview, or a plan with nothing to run, is printed."""
    def start() -> int | None:
        plan = plan_and_start()
        if not plan.started:
            if args.json:
                emit_json({"run_id": plan.run_id, "tasks": plan.tasks, "started": False})
            elif plan.tasks:
                print(f"would run in run {plan.run_id}: {', '.join(plan.tasks)}")
            else:
                print(f"run {plan.run_id}: nothing to run")
            return None
        if not args.json:
            print(f"running again in run {plan.run_id}: {', '.join(plan.tasks)}")
        return plan.run_id

    return _finish(service, args, start)


def stop(args: argparse.Namespace) -> int:
    run = open_service().stop_run(args.run_id)
    if args.json:
        emit_json(run_json(run))
    else:
        print(f"run {run.id} {run.state.value}")
    return 0


def _executor_options(p: argparse.ArgumentParser) -> None:
    """Where the tasks of a run this command drives run."""
    p.add_argument("--executor", choices=("local", "dask"),
                   help="run the tasks on this machine or on a Dask cluster (default: "
                        "c.BatchApp.executor, else local)")
    p.add_argument("--dask-address", metavar="ADDRESS",
                   help="with the dask executor: the scheduler (tcp://host:8786), or "
                        "local-cluster to start one on this machine (default: "
                        "c.BatchApp.dask_address, else local-cluster)")


def _date_and_params(p: argparse.ArgumentParser) -> None:
    _executor_options(p)
    p.add_argument("--date", help="logical date, written YYYY-MM-DD (2026-01-31; not 20260131 "
                                  "or 2026-1-31), from 0001-01-02 to 9999-12-30 "
                                  "(default: today)")
    p.add_argument("--param", action="append", metavar="NAME=VALUE",
                   help="a run parameter (repeatable); overrides the workflow's")
    p.add_argument("--json", action="store_true", help="print the finished run as JSON")


def _again_options(p: argparse.ArgumentParser) -> None:
    """What rerun and recover both take."""
    _executor_options(p)
    p.add_argument("--preview", action="store_true", help="only show which tasks would run")
    p.add_argument("--latest", action="store_true",
                   help="use the latest version of the resources (e.g. a fixed script)")
    p.add_argument("--json", action="store_true", help="print JSON")


def register(nouns: Any, workflow_verbs: Any) -> None:
    p = nouns.add_parser("run", help="run a workflow file now (pre-run) and follow it")
    p.add_argument("file", metavar="FILE.workflow.json")
    _date_and_params(p)
    p.set_defaults(func=run_file)

    p = workflow_verbs.add_parser("run", help="run the published workflow now and follow it")
    p.add_argument("name")
    _date_and_params(p)
    p.set_defaults(func=run_workflow)

    p = workflow_verbs.add_parser("backfill", help="run the published workflow once per date "
                                                   "of a range, oldest first, one at a time")
    p.add_argument("name")
    p.add_argument("start", metavar="START", help="the first logical date, YYYY-MM-DD")
    p.add_argument("end", metavar="END", help="the last logical date, YYYY-MM-DD")
    _executor_options(p)
    p.add_argument("--param", action="append", metavar="NAME=VALUE",
                   help="a run parameter (repeatable); overrides the workflow's")
    p.add_argument("--json", action="store_true", help="print the finished runs as JSON")
    p.set_defaults(func=backfill)

    p = nouns.add_parser("runs", help="list runs, or show one run's tasks")
    p.add_argument("run_id", nargs="?", type=int, metavar="RUN")
    p.add_argument("--workflow", help="only this workflow's runs")
    p.add_argument("--state", action="append", help="only runs in this state (repeatable)")
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--offset", type=int, default=0)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=runs)

    p = nouns.add_parser("logs", help="print a task's log (latest attempt by default)")
    p.add_argument("run_id", type=int, metavar="RUN")
    p.add_argument("task")
    p.add_argument("--attempt", type=int)
    p.add_argument("-f", "--follow", action="store_true", help="keep printing while it runs")
    p.set_defaults(func=logs)

    p = nouns.add_parser("output", help="a notebook task's executed notebook (ipynb or HTML)")
    p.add_argument("run_id", type=int, metavar="RUN")
    p.add_argument("task")
    p.add_argument("--attempt", type=int)
    p.add_argument("--html", action="store_true", help="export to HTML")
    p.add_argument("-o", "--output", help="file to write (default: standard output)")
    p.set_defaults(func=output)

    p = nouns.add_parser("rerun", help="rerun a task of a finished run (± its downstream)")
    p.add_argument("run_id", type=int, metavar="RUN")
    p.add_argument("task")
    p.add_argument("--downstream", action="store_true", help="also everything below it")
    _again_options(p)
    p.set_defaults(func=rerun)

    p = nouns.add_parser("recover", help="rerun what failed in a run, and what depends on it")
    p.add_argument("run_id", type=int, metavar="RUN")
    _again_options(p)
    p.set_defaults(func=recover)

    p = nouns.add_parser("stop", help="stop a running run (whichever process drives it) and "
                                      "wait until it has ended")
    p.add_argument("run_id", type=int, metavar="RUN")
    p.add_argument("--json", action="store_true", help="print the stopped run as JSON")
    p.set_defaults(func=stop)
