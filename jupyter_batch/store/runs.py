"""Runs, task runs and attempts: created here, and changed only by ``apply``."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Row,
    Table,
    Text,
    bindparam,
    cast,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from ..errors import Conflict, NotFound
from ..model.changes import Change, RunChange, TaskChange
from ..model.records import Run, TaskAttempt, TaskRun
from ..model.states import RunState, TaskState
from ..model.workflow import Workflow, workflow_to_json
from .db import JSONText, reading
from .tables import runs as runs_t
from .tables import task_attempts as att_t
from .tables import task_runs as tr_t

#: a run's columns, its definition as the JSON text the database holds (``Run`` parses
#: it when it is first read): a cast, since PostgreSQL's driver would decode a json column
_RUN_COLUMNS = [cast(c, Text).label(c.name) if c.name == "definition" else c for c in runs_t.c]


def _run(row: Row, tasks: list[TaskRun]) -> Run:
    return Run(id=row.id, workflow=row.workflow, workflow_version=row.workflow_version,
               logical_date=row.logical_date, trigger=row.trigger, state=RunState(row.state),
               created_at=row.created_at, started_at=row.started_at, ended_at=row.ended_at,
               params=row.params or {}, definition=row.definition, message=row.message,
               tasks=tasks, cycle=row.cycle)


class RunRepo:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._ids: dict[int, dict[str, int]] = {}
        self._statements: dict[tuple[str, tuple[str, ...], bool], _Compiled] = {}

    def create(self, *, workflow: Workflow, version: int | None, logical_date: str,
               trigger: str, params: dict[str, Any], owner: str | None,
               cycle: str | None = None) -> int:
        """A new queued run with a pending task run per node; Conflict when a scheduled
        run of the same cycle exists already."""
        now = datetime.now(timezone.utc)
        try:
            with self._engine.begin() as conn:
                run_id = conn.execute(insert(runs_t).values(
                    workflow=workflow.name, workflow_version=version,
                    logical_date=logical_date, trigger=trigger, state=RunState.QUEUED.value,
                    params=params, definition=JSONText(workflow_to_json(workflow)),
                    cycle=cycle, owner=owner,
                    created_at=now)).inserted_primary_key[0]
                cursor = conn.connection.cursor()
                try:  # a row per node: one executemany, as apply writes its batches
                    self._write_alike(cursor, tr_t, [
                        {"run_id": run_id, "task_id": node, "state": TaskState.PENDING.value,
                         "attempt": 0, "outputs": {}} for node in workflow.node_ids],
                        insert_rows=True)
                finally:
                    cursor.close()
        except IntegrityError:
            raise Conflict(f"workflow {workflow.name!r} already has a run for cycle "
                           f"{cycle}") from None
        return int(run_id)

    # --- reading ---------------------------------------------------------------------

    def _row(self, conn: Connection, run_id: int) -> Row:
        row = conn.execute(select(*_RUN_COLUMNS).where(runs_t.c.id == run_id)).first()
        if row is None:
            raise NotFound(f"no run {run_id}")
        return row

    @functools.cached_property
    def _task_runs_query(self) -> _CompiledQuery:
        return _CompiledQuery(
            select(tr_t.c.task_id, tr_t.c.state, tr_t.c.attempt, tr_t.c.started_at,
                   tr_t.c.ended_at, tr_t.c.exit_code, tr_t.c.log_path, tr_t.c.message,
                   tr_t.c.outputs).where(tr_t.c.run_id == bindparam("run_id"))
            .order_by(tr_t.c.id), self._engine.dialect)

    def get(self, run_id: int) -> Run:
        """A run with its task runs (in the order they were created: the definition's)."""
        with reading(self._engine) as conn:
            row = self._row(conn, run_id)
            cursor = conn.connection.cursor()
            try:
                rows = self._task_runs_query.all(cursor, {"run_id": run_id})
            finally:
                cursor.close()
        return _run(row, [
            TaskRun(task_id=task_id, state=TaskState(state), attempt=attempt,
                    started_at=started_at, ended_at=ended_at, exit_code=exit_code,
                    log_path=log_path, message=message, outputs=outputs or {})
            for task_id, state, attempt, started_at, ended_at, exit_code, log_path, message,
            outputs in rows])

    def list(self, workflow: str | None = None, states: Sequence[str] = (),
             limit: int = 50, offset: int = 0) -> tuple[list[Run], int]:
        """Runs newest first (without their task runs) and how many match in all."""
        where = []
        if workflow is not None:
            where.append(runs_t.c.workflow == workflow)
        if states:
            where.append(runs_t.c.state.in_(list(states)))
        with reading(self._engine) as conn:
            total = conn.execute(select(func.count()).select_from(runs_t).where(*where)).scalar()
            rows = conn.execute(select(*_RUN_COLUMNS).where(*where).order_by(runs_t.c.id.desc())
                                .limit(limit).offset(offset)).all()
        return [_run(r, []) for r in rows], int(total or 0)

    def attempts(self, run_id: int, task_id: str) -> list[TaskAttempt]:
        with reading(self._engine) as conn:
            task_run_id = conn.execute(select(tr_t.c.id).where(
                tr_t.c.run_id == run_id, tr_t.c.task_id == task_id)).scalar()
            if task_run_id is None:
                self._row(conn, run_id)
                raise NotFound(f"run {run_id} has no task {task_id!r}")
            rows = conn.execute(select(att_t).where(att_t.c.task_run_id == task_run_id)
                                .order_by(att_t.c.attempt)).all()
        return [TaskAttempt(attempt=r.attempt, state=TaskState(r.state),
                            started_at=r.started_at, ended_at=r.ended_at,
                            exit_code=r.exit_code, log_path=r.log_path, message=r.message)
                for r in rows]

    def owner(self, run_id: int) -> str | None:
        """The process that drives (or last drove) a run: ``host:pid``."""
        with reading(self._engine) as conn:
            return conn.execute(select(runs_t.c.owner).where(runs_t.c.id == run_id)).scalar()

    def in_flight(self) -> list[tuple[int, str | None]]:
        """(run id, owner) of every run that is queued or running."""
        with reading(self._engine) as conn:
            rows = conn.execute(select(runs_t.c.id, runs_t.c.owner).where(
                runs_t.c.state.in_([RunState.QUEUED.value, RunState.RUNNING.value]))).all()
        return [(r.id, r.owner) for r in rows]

    def succeeded(self, workflow: str, logical_date: str, task: str | None = None) -> bool:
        """Whether ``workflow`` (or one ``task`` of it) has succeeded for ``logical_date``
        in some run other than a pre-run."""
        if task is None:
            query = select(runs_t.c.id).where(runs_t.c.state == RunState.SUCCESS.value)
        else:
            query = (select(runs_t.c.id).join(tr_t, tr_t.c.run_id == runs_t.c.id)
                     .where(tr_t.c.task_id == task, tr_t.c.state == TaskState.SUCCESS.value))
        query = query.where(runs_t.c.workflow == workflow, runs_t.c.logical_date == logical_date,
                            runs_t.c.trigger != "prerun").limit(1)
        with reading(self._engine) as conn:
            return conn.execute(query).first() is not None

    def last_cycles(self) -> dict[str, str]:
        """The newest cycle the scheduler has started, per workflow: the scheduler's only
        memory. Only scheduled runs have a cycle, and cycles share one ISO-8601 UTC form,
        so the string maximum is the newest — read from the (workflow, cycle) index alone."""
        with reading(self._engine) as conn:
            rows = conn.execute(select(runs_t.c.workflow, func.max(runs_t.c.cycle))
                                .where(runs_t.c.cycle.is_not(None))
                                .group_by(runs_t.c.workflow)).all()
        return {workflow: cycle for workflow, cycle in rows}

    def latest_per_workflow(self) -> dict[str, Run]:
        """The newest run of every workflow (without task runs), in one query."""
        newest = select(func.max(runs_t.c.id)).group_by(runs_t.c.workflow)
        with reading(self._engine) as conn:
            rows = conn.execute(select(*_RUN_COLUMNS).where(runs_t.c.id.in_(newest))).all()
        return {r.workflow: _run(r, []) for r in rows}

    def count_active(self, workflow: str, trigger: str) -> int:
        """How many runs of ``workflow`` made by ``trigger`` are queued or running."""
        with reading(self._engine) as conn:
            return int(conn.execute(select(func.count()).select_from(runs_t).where(
                runs_t.c.workflow == workflow, runs_t.c.trigger == trigger,
                runs_t.c.state.in_([RunState.QUEUED.value, RunState.RUNNING.value]))
            ).scalar() or 0)

    # --- the one writer of states ----------------------------------------------------

    def interrupt(self, run_id: int, message: str) -> None:
        """Mark a run whose driving process died: tasks that had started (or were about
        to) failed, tasks still pending stay pending, the run interrupted."""
        now = datetime.now(timezone.utc)
        unfinished = [s.value for s in TaskState
                      if not s.finished and s != TaskState.PENDING]
        with self._engine.begin() as conn:
            conn.execute(update(att_t).where(
                att_t.c.task_run_id.in_(select(tr_t.c.id).where(tr_t.c.run_id == run_id)),
                att_t.c.state == TaskState.RUNNING.value)
                .values(state=TaskState.FAILED.value, ended_at=now, message=message))
            conn.execute(update(tr_t).where(tr_t.c.run_id == run_id,
                                            tr_t.c.state.in_(unfinished))
                         .values(state=TaskState.FAILED.value, ended_at=now, message=message))
            conn.execute(update(runs_t).where(runs_t.c.id == run_id).values(
                state=RunState.INTERRUPTED.value, ended_at=now, message=message))

    def apply(self, changes: Iterable[Change]) -> None:
        """Persist state changes in one transaction.

        Successive changes of one task run (or run) are merged into the values they end
        with, and rows changed alike are written with one executemany: a batch of a
        thousand transitions costs a handful of statements.
        """
        tasks: dict[tuple[int, str], dict[str, Any]] = {}
        attempts: dict[tuple[int, str, int], dict[str, Any]] = {}
        runs: dict[int, dict[str, Any]] = {}
        for c in changes:
            if isinstance(c, TaskChange):
                tasks.setdefault((c.run_id, c.task_id), {}).update(_task_values(c))
                key = (c.run_id, c.task_id, c.attempt)
                if c.attempt_started:
                    attempts[key] = {"new": True, "state": c.state.value, "started_at": c.at,
                                     "log_path": c.log_path}
                elif c.attempt_ended:
                    state = TaskState.FAILED if c.state == TaskState.RETRYING else c.state
                    attempts.setdefault(key, {"new": False}).update(
                        state=state.value, ended_at=c.at, exit_code=c.exit_code,
                        message=c.message)
            else:
                runs.setdefault(c.run_id, {}).update(_run_values(c))
        if not (tasks or runs):
            return
        with self._engine.begin() as conn:
            ids = self._task_run_ids(conn, {run_id for run_id, _ in tasks})
            cursor = conn.connection.cursor()
            try:
                self._write_alike(cursor, tr_t, [{"_id": ids[r][t], **values}
                                                 for (r, t), values in tasks.items()])
                new = [{"task_run_id": ids[r][t], "attempt": a,
                        **{k: v for k, v in row.items() if k != "new"}}
                       for (r, t, a), row in attempts.items() if row["new"]]
                for row in new:  # one attempt may start and end in the same batch
                    row.setdefault("ended_at", None)
                    row.setdefault("exit_code", None)
                    row.setdefault("message", None)
                self._write_alike(cursor, att_t, new, insert_rows=True)
                self._write_alike(cursor, att_t, [
                    {"_task_run_id": ids[r][t], "_attempt": a,
                     **{k: v for k, v in row.items() if k != "new"}}
                    for (r, t, a), row in attempts.items() if not row["new"]])
            finally:
                cursor.close()
            for run_id, values in runs.items():
                conn.execute(update(runs_t).where(runs_t.c.id == run_id).values(**values))

    def _write_alike(self, cursor: Any, table: Table, rows: list[dict[str, Any]],
                     insert_rows: bool = False) -> None:
        """INSERT ``rows``, or UPDATE them keyed by their ``_``-prefixed keys: one
        executemany per column set, on the DBAPI cursor. The few shapes that recur are
        compiled once for the engine's dialect; going through SQLAlchemy's execution
        for each batch cost more than the database did."""
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for row in rows:
            groups.setdefault(tuple(sorted(row)), []).append(row)
        for columns, group in groups.items():
            key = (table.name, columns, insert_rows)
            statement = self._statements.get(key)
            if statement is None:
                statement = self._statements[key] = _Compiled(
                    _write_statement(table, columns, insert_rows), self._engine.dialect)
            statement.executemany(cursor, group)

    def _task_run_ids(self, conn: Connection, run_ids: set[int]) -> dict[int, dict[str, int]]:
        """run id → task id → task run row id, cached: these ids never change."""
        missing = [r for r in run_ids if r not in self._ids]
        if missing:
            for row in conn.execute(select(tr_t.c.id, tr_t.c.run_id, tr_t.c.task_id)
                                    .where(tr_t.c.run_id.in_(missing))):
                self._ids.setdefault(row.run_id, {})[row.task_id] = row.id
            while len(self._ids) > 256:
                self._ids.pop(next(iter(self._ids)))
        return {r: self._ids.get(r, {}) for r in run_ids}

    def set_definition(self, run_id: int, workflow: Workflow) -> None:
        """Replace a run's pinned definition (a rerun with the latest resource versions);
        each attempt's log names the versions it ran."""
        with self._engine.begin() as conn:
            conn.execute(update(runs_t).where(runs_t.c.id == run_id)
                         .values(definition=JSONText(workflow_to_json(workflow))))

    def cancel_queued(self, run_id: int, message: str) -> bool:
        """Cancel a run that is still queued (never started), its pending tasks with it,
        in one transaction; False when it is not queued any more."""
        now = datetime.now(timezone.utc)
        with self._engine.begin() as conn:
            if conn.execute(update(runs_t).where(
                    runs_t.c.id == run_id, runs_t.c.state == RunState.QUEUED.value)
                    .values(state=RunState.CANCELLED.value, ended_at=now,
                            message=message)).rowcount != 1:
                return False
            conn.execute(update(tr_t).where(tr_t.c.run_id == run_id,
                                            tr_t.c.state == TaskState.PENDING.value)
                         .values(state=TaskState.CANCELLED.value, ended_at=now,
                                 message=message))
            return True

    def claim(self, run_id: int, owner: str) -> bool:
        """Take a finished run to drive it again (a rerun, a recovery): queued and owned
        by ``owner``, in one conditional statement — of two processes claiming it at
        once, one gets it. False when the run is not finished (someone drives it)."""
        with self._engine.begin() as conn:
            return conn.execute(
                update(runs_t)
                .where(runs_t.c.id == run_id,
                       runs_t.c.state.in_([s.value for s in RunState if s.finished]))
                .values(state=RunState.QUEUED.value, owner=owner, ended_at=None,
                        message=None)).rowcount == 1


def _task_values(c: TaskChange) -> dict[str, Any]:
    values: dict[str, Any] = {"state": c.state.value, "attempt": c.attempt}
    if c.state == TaskState.PENDING:
        values.update(started_at=None, ended_at=None, exit_code=None, message=None)
    if c.attempt_started:
        values.update(started_at=c.at, ended_at=None, exit_code=None, message=None,
                      log_path=c.log_path)
    if c.attempt_ended or (c.state.finished and not c.attempt_started):
        values.update(ended_at=c.at)
    if c.attempt_ended:
        values.update(exit_code=c.exit_code)
    if c.message is not None:
        values["message"] = c.message
    if c.outputs is not None:
        values["outputs"] = c.outputs
    return values


def _run_values(c: RunChange) -> dict[str, Any]:
    values: dict[str, Any] = {"state": c.state.value, "message": c.message}
    if c.state == RunState.RUNNING:
        # typed as the column: a bare datetime in a SQL function skips its UTC conversion
        values.update(ended_at=None, started_at=func.coalesce(
            runs_t.c.started_at, bindparam(None, c.at, type_=runs_t.c.started_at.type)))
    elif c.state.finished:
        values["ended_at"] = c.at
    return values


def _write_statement(table: Table, columns: tuple[str, ...], insert_rows: bool) -> Any:
    """An INSERT of rows with these keys, or the UPDATE of them (``_``-prefixed keys
    select the row, the others are set). Bind parameters are named after the keys."""
    if insert_rows:
        return insert(table).values({c: bindparam(c) for c in columns})
    return update(table).where(
        *[table.c[k[1:]] == bindparam(k) for k in columns if k.startswith("_")]).values(
        {c: bindparam(c) for c in columns if not c.startswith("_")})


class _Compiled:
    """A statement compiled for one dialect, run with rows of plain values on a DBAPI
    cursor: the SQL text in the driver's parameter style, the parameter order (for
    positional styles) and each parameter's conversion (dates, JSON), as SQLAlchemy's
    own execution would apply them. Works for any dialect (sqlite3, psycopg, ...)."""

    def __init__(self, statement: Any, dialect: Any) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql = compiled.string
        self.order: list[str] | None = list(compiled.positiontup or []) \
            if compiled.positional else None
        self.convert = {}
        for name, bind in compiled.binds.items():
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                self.convert[name] = processor

    def executemany(self, cursor: Any, rows: list[dict[str, Any]]) -> None:
        convert = self.convert
        if self.order is None:
            params: list[Any] = [{k: convert[k](v) if k in convert else v
                                  for k, v in row.items()} for row in rows]
        else:
            params = [tuple(convert[k](row[k]) if k in convert else row[k]
                            for k in self.order) for row in rows]
        cursor.executemany(self.sql, params)


class _CompiledQuery(_Compiled):
    """A SELECT compiled once (see ``_Compiled``), its rows fetched on a DBAPI cursor and
    each column converted by the result processor SQLAlchemy's own result would apply
    (dates, JSON): reading a run's 200 task runs through SQLAlchemy's execution and Row
    objects cost 0.9 ms, the database 0.3 ms."""

    def __init__(self, statement: Any, dialect: Any) -> None:
        super().__init__(statement, dialect)
        self.results = [c.type.dialect_impl(dialect).result_processor(dialect, None)
                        for c in statement.selected_columns]

    def all(self, cursor: Any, values: dict[str, Any]) -> list[tuple[Any, ...]]:
        """Every row the query selects with these parameter ``values``."""
        params = {k: self.convert[k](v) if k in self.convert else v for k, v in values.items()}
        cursor.execute(self.sql, params if self.order is None
                       else tuple(params[k] for k in self.order))
        columns: list[Any] = list(zip(*cursor.fetchall(), strict=True))  # [] for no row
        for i, process in enumerate(self.results):
            if process is not None and columns:
                columns[i] = map(process, columns[i])
        return list(zip(*columns, strict=True))
