"""Validate a workflow: every problem at once, each with where it is.

Pure: what lies outside the workflow (which task types exist, which resource versions
are stored) comes in through ``ValidationContext``.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from . import dag
from .errors import InvalidInput, InvalidWorkflow, Problem
from .model.program import Program, check_params
from .model.resource import is_library, parse_ref
from .model.schedule import next_fire, parse_instant
from .model.task_spec import TaskTypeSpec
from .model.variables import env_name
from .model.workflow import (
    CATCHUP_POLICIES,
    FAILURE_STRATEGIES,
    KINDS,
    TASK_FIELDS,
    Reference,
    Schedule,
    Task,
    Workflow,
    param_value_problem,
    parse_workflow,
    unknown_field,
)

_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$")
_PARAM = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CRON_FIELDS = ("minute", "hour", "day of month", "month", "day of week", "second")


@dataclass(frozen=True)
class StoredWorkflow:
    """What a reference check needs to know of a stored workflow.

    ``tasks`` are the task ids of the definition that runs: the latest published
    version's (numbered ``version``) — it is what scheduled, triggered and backfilled runs
    execute, and only their task runs satisfy a reference. A workflow never published
    (``version`` None) has no such definition yet: ``tasks`` are then its draft's, which
    publishing makes version 1. ``draft_tasks`` are the draft's task ids in every case,
    to tell a user that a task they name is waiting to be published.
    """

    version: int | None
    tasks: tuple[str, ...]
    draft_tasks: tuple[str, ...] = ()


@dataclass
class ValidationContext:
    """What validation needs to know about the world.

    ``latest_version(name)`` gives a resource's latest version number, or None when no
    resource has that name; leave it None to skip resource checks.

    ``workflow(name)`` gives a stored workflow, or None when none has that name; leave
    it None (a workflow file checked without a store) to skip reference checks.
    ``workflow_names()`` lists the stored workflows, to suggest the nearest to a name
    that is not one of them.
    """

    task_types: Mapping[str, TaskTypeSpec] = field(default_factory=dict)
    latest_version: Callable[[str], int | None] | None = None
    #: the pools tasks may name; None skips the check
    pools: Collection[str] | None = None
    #: the built-in program a ``library/...`` resource name runs (None when there is no
    #: such program), so a task's params are checked against its schema
    program: Callable[[str], Program | None] | None = None
    workflow: Callable[[str], StoredWorkflow | None] | None = None
    workflow_names: Callable[[], Collection[str]] | None = None


#: workflow names that would clash with a route of the REST API
RESERVED_WORKFLOW_NAMES = frozenset({"validate"})

#: names of the built-in variables, which a parameter may not take (``${ds}`` must mean
#: the logical date whatever the parameters are)
RESERVED_PARAMS = frozenset({"ds", "ds_nodash", "prev_ds", "next_ds", "month", "year",
                             "run_id", "workflow", "task", "attempt", "trigger", "output",
                             "warehouse", "cycle"})


def reserved_param_problem(name: str) -> str | None:
    if name.lower() in RESERVED_PARAMS:
        return f"{name!r} is the name of a built-in variable; choose another parameter name"
    return None


def parse_time(text: str, where: str, problems: list[Problem]) -> datetime | None:
    """An ISO-8601 timestamp, or a problem saying what is wrong with it."""
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        problems.append(Problem(where, f"{text!r} is not a valid ISO-8601 timestamp "
                                       "(e.g. 2026-12-01T02:00:00+01:00)"))
        return None


def cron_problem(expr: str) -> str | None:
    """Why ``expr`` is not a valid cron expression (naming the bad field), or None."""
    from croniter import croniter

    parts = expr.split()
    if len(parts) not in (5, 6):
        return (f"{expr!r} must have 5 fields (minute hour day-of-month month day-of-week) "
                f"or 6 (with seconds last), not {len(parts)}")
    if croniter.is_valid(expr):
        return None
    bad = []
    for i, part in enumerate(parts):
        probe = ["*"] * len(parts)
        probe[i] = part
        if not croniter.is_valid(" ".join(probe)):
            bad.append(f"{_CRON_FIELDS[i]} field {part!r}")
    what = ", ".join(bad) if bad else "the combination of fields"
    return f"invalid cron expression {expr!r}: {what} is not valid"


#: where a cron expression is tried for a first fire: any instant does, since the fields
#: repeat within 400 years (croniter searches that far)
_SOME_TIME = datetime(2000, 1, 1, tzinfo=timezone.utc)


def _check_schedule(s: Schedule, problems: list[Problem]) -> None:
    before = len(problems)
    _check_schedule_fields(s, problems)
    if len(problems) == before:
        _check_schedule_fires(s, problems)


def _check_schedule_fires(s: Schedule, problems: list[Problem]) -> None:
    """A schedule whose fields are each valid but that can never fire: a cron naming a
    day no month it names has (``0 0 30 2 *``), or a start after the end."""
    if s.cron is not None and next_fire(Schedule(cron=s.cron), _SOME_TIME) is None:
        problems.append(Problem("schedule.cron", f"{s.cron!r} never fires: none of the "
                                                 "months it names has the day it names"))
    if s.start is not None and s.end is not None:
        tz = ZoneInfo(s.tz)
        if parse_instant(s.start, tz) > parse_instant(s.end, tz):
            problems.append(Problem("schedule.start", f"start is after end ({s.start} > "
                                                      f"{s.end}): the schedule never fires"))


def require_future_fire(wf: Workflow, now: datetime) -> Workflow:
    """``wf`` if it has no schedule or its schedule fires after ``now``; else
    InvalidWorkflow saying so. A draft may hold such a schedule (it was valid once);
    publishing it would never run the workflow, so publishing is refused."""
    s = wf.schedule
    if s is None or next_fire(s, now) is not None:
        return wf
    if s.once is not None and parse_instant(s.once, ZoneInfo(s.tz)) <= now:
        where, what = "schedule.once", f"{s.once} is past"
    elif s.end is not None:
        where, what = "schedule.end", f"no fire is left before its end {s.end}"
    else:
        where, what = "schedule", "it has no fire to come"
    raise InvalidWorkflow([Problem(where, f"{what} (now is {now.isoformat(timespec='seconds')}"
                                          "): a schedule that never fires again cannot be "
                                          "published; give a later time, or remove the "
                                          "schedule to run the workflow by hand")], wf.name)


def _check_schedule_fields(s: Schedule, problems: list[Problem]) -> None:
    if s.cron is None and s.once is None:
        problems.append(Problem("schedule", "needs 'cron' or 'once'"))
    if s.cron is not None and s.once is not None:
        problems.append(Problem("schedule", "takes either 'cron' or 'once', not both"))
    if s.cron is not None and (why := cron_problem(s.cron)):
        problems.append(Problem("schedule.cron", why))
    if s.timezone is not None:
        try:
            ZoneInfo(s.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(Problem("schedule.timezone",
                                    f"unknown time zone {s.timezone!r} (use an IANA name "
                                    "such as 'Europe/Berlin' or 'UTC')"))
    if s.once is not None:
        parse_time(s.once, "schedule.once", problems)
    for name in ("start", "end"):
        value = getattr(s, name)
        if value is not None:
            parse_time(value, f"schedule.{name}", problems)
    if s.catchup is not None and s.catchup not in CATCHUP_POLICIES:
        problems.append(Problem("schedule.catchup", f"must be one of {', '.join(CATCHUP_POLICIES)}"
                                                    f", not {s.catchup!r}"))
    if s.max_active_runs is not None and s.max_active_runs < 1:
        problems.append(Problem("schedule.max_active_runs", "must be at least 1"))


def param_name_problems(name: str) -> list[str]:
    """Why ``name`` cannot name a parameter (of a workflow, a task or a run)."""
    found = [why] if (why := reserved_param_problem(name)) else []
    if not _PARAM.match(name):
        found.append("a parameter name may use letters, digits and _ and must not start "
                     "with a digit")
    return found


def _check_params(params: Mapping[str, Any] | None, where: str, problems: list[Problem],
                  outer: Mapping[str, str] | None = None) -> None:
    """The names of a params object; two of them (or one and a parameter of the workflow,
    ``outer``: environment variable -> name) must not become the same variable."""
    seen: dict[str, str] = {}
    for key in params or {}:
        whys = param_name_problems(key)
        problems += [Problem(f"{where}.{key}", why) for why in whys]
        if whys:
            continue
        var = env_name(key)
        if (other := seen.setdefault(var, key)) != key:
            problems.append(Problem(f"{where}.{key}", f"{key!r} and {other!r} both become the "
                                                      f"environment variable {var}; rename one"))
        elif (other := (outer or {}).get(var, key)) != key:
            problems.append(Problem(f"{where}.{key}", f"{key!r} and the workflow parameter "
                                    f"{other!r} both become the environment variable {var}; "
                                    f"to override it, name it {other!r}"))


def _by_variable(params: Mapping[str, Any] | None) -> dict[str, str]:
    """Environment variable -> the (first) parameter name that becomes it."""
    found: dict[str, str] = {}
    for key in params or {}:
        found.setdefault(env_name(key), key)
    return found


def run_param_problems(params: Mapping[str, Any], wf: Workflow) -> list[str]:
    """Why the parameters given to a run of ``wf`` cannot be used, a message each: the
    rules of a workflow's params (names and values), and no two names that become the
    same environment variable, among them or with a parameter of the workflow."""
    #: environment variable -> (a parameter the workflow declares, said in a message)
    declared: dict[str, tuple[str, str]] = {}
    for task in wf.tasks:
        for key in task.params or {}:
            declared.setdefault(env_name(key), (key, f"the parameter {key!r} of task "
                                                     f"{task.id!r}"))
    for var, key in _by_variable(wf.params).items():
        declared[var] = (key, f"the workflow parameter {key!r}")
    found: list[str] = []
    seen: dict[str, str] = {}
    for key, value in params.items():
        whys = param_name_problems(key)
        if why := param_value_problem(value):
            whys.append(why)
        found += [f"run parameter {key!r}: {why}" for why in whys]
        if whys:
            continue
        var = env_name(key)
        if (other := seen.setdefault(var, key)) != key:
            found.append(f"run parameters {other!r} and {key!r} both become the environment "
                         f"variable {var}; give one of them")
        elif (other := declared.get(var, (key, "")))[0] != key:
            found.append(f"run parameter {key!r} and {other[1]} both become the "
                         f"environment variable {var}; to override it, name it {other[0]!r}")
    return found


def require_valid_run_params(params: Mapping[str, Any] | None, wf: Workflow
                             ) -> dict[str, Any]:
    """``params`` as a run of ``wf`` stores them; InvalidInput with every problem."""
    params = dict(params or {})
    if problems := run_param_problems(params, wf):
        raise InvalidInput("; ".join(problems))
    return params


def _check_resource(text: str, where: str, formats: tuple[str, ...], type_name: str,
                    ctx: ValidationContext, problems: list[Problem]) -> None:
    try:
        ref = parse_ref(text)
    except InvalidInput as exc:
        problems.append(Problem(where, str(exc)))
        return
    if formats and ref.format not in formats:
        problems.append(Problem(where, f"a {type_name} task runs a {' or '.join(formats)} "
                                       f"resource, not {ref.format} ({text!r})"))
    if ctx.latest_version is None:
        return
    latest = ctx.latest_version(ref.name)
    if latest is None:
        problems.append(Problem(where, f"resource {ref.name!r} does not exist"))
    elif ref.version is not None and ref.version > latest:
        problems.append(Problem(where, f"resource {ref.name!r} has no version {ref.version} "
                                       f"(latest is {latest})"))


def _check_pool(pool: str | None, where: str, ctx: ValidationContext,
                problems: list[Problem]) -> None:
    if pool is not None and ctx.pools is not None and pool not in ctx.pools:
        problems.append(Problem(where, f"unknown pool {pool!r} (pools: "
                                       f"{', '.join(sorted(ctx.pools))})"))


def _check_program_params(task: Task, where: str, workflow_params: Collection[str],
                          ctx: ValidationContext, problems: list[Problem]) -> None:
    """A task that runs a library program: its params against the program's schema (a
    required one may come from the workflow's params instead)."""
    try:
        name = parse_ref(task.resource or "").name
    except InvalidInput:
        return  # said already
    program = ctx.program(name) if ctx.program is not None and is_library(name) else None
    if program is not None:
        problems += check_params(program, task.params, f"{where}.params",
                                 frozenset(workflow_params))[1]


def _check_reference(i: int, ref: Reference, owner: str, ctx: ValidationContext,
                     problems: list[Problem]) -> None:
    """A reference against the store: only a run of a published version of another
    workflow (not a pre-run) satisfies it, so the workflow it names must exist, be another
    one and have been published, and the task it names must be one of that version's.

    A workflow taken offline is fine: its runs so far still satisfy references and
    publishing it again resumes them (it cannot be deleted while anything references it).
    """
    where = f"references[{i}]"
    if ctx.workflow is None or not ref.workflow:
        return
    if ref.workflow == owner:
        problems.append(Problem(f"{where}.workflow", f"workflow {owner!r} cannot reference "
                                "itself: a run would wait for its own success"))
        return
    target = ctx.workflow(ref.workflow)
    if target is None:
        known = ctx.workflow_names() if ctx.workflow_names is not None else ()
        close = difflib.get_close_matches(ref.workflow, [n for n in known if n != owner], n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        problems.append(Problem(f"{where}.workflow", f"no workflow named {ref.workflow!r}{hint}"))
        return
    if target.version is None:
        problems.append(Problem(f"{where}.workflow", f"workflow {ref.workflow!r} has never been "
                                "published, so nothing can satisfy the reference (pre-runs "
                                "do not); publish it first"))
    if ref.task is None or ref.task in target.tasks:
        return
    of = (f"workflow {ref.workflow!r}" if target.version is None
          else f"version {target.version} of workflow {ref.workflow!r}")
    message = (f"{of} has no task {ref.task!r} (its tasks: "
               f"{', '.join(target.tasks) or 'none'})")
    if target.version is not None and ref.task in target.draft_tasks:
        message += f"; its draft has it: publish {ref.workflow!r} first"
    problems.append(Problem(f"{where}.task", message))


def _check_task(i: int, task: Task, ctx: ValidationContext, problems: list[Problem],
                workflow_params: Mapping[str, str] | None = None) -> None:
    """``workflow_params``: the workflow's parameters, by their environment variable."""
    where = f"tasks[{i}]"
    if not task.type:
        problems.append(Problem(f"{where}.type", "is required"))
        return
    spec = ctx.task_types.get(task.type)
    if spec is None:
        known = ", ".join(sorted(ctx.task_types))
        problems.append(Problem(f"{where}.type", f"unknown task type {task.type!r} "
                                                 f"(known types: {known})"))
        return
    given = [b for b in ("resource", "command", "code", "args") if getattr(task, b) is not None]
    for body in given:
        if body not in spec.bodies:
            problems.append(Problem(f"{where}.{body}", f"a {spec.name} task takes "
                                    f"{' or '.join(repr(b) for b in spec.bodies) or 'no body'}"
                                    f", not {body!r}"))
    clash = [b for b in given if b in spec.exclusive and b in spec.bodies]
    if len(clash) > 1:
        problems.append(Problem(where, f"give either {' or '.join(repr(b) for b in clash)}, "
                                       "not both"))
    if not given and not spec.body_optional:
        problems.append(Problem(where, f"a {spec.name} task needs "
                                       f"{' or '.join(repr(b) for b in spec.bodies)}"))
    if given == ["args"] and not task.args and not spec.body_optional:
        problems.append(Problem(f"{where}.args", "is empty: name the program to run first"))
    if task.resource is not None and "resource" in spec.bodies:
        _check_resource(task.resource, f"{where}.resource", spec.formats, spec.name, ctx,
                        problems)
        _check_program_params(task, where, (workflow_params or {}).values(), ctx, problems)
    for j, extra in enumerate(task.files or []):
        _check_resource(extra, f"{where}.files[{j}]", (), spec.name, ctx, problems)
    _check_params(task.params, f"{where}.params", problems, workflow_params)
    for name in ("retries", "memory_mb", "cpu_seconds"):
        value = getattr(task, name)
        if value is not None and value < (0 if name == "retries" else 1):
            problems.append(Problem(f"{where}.{name}", "must not be negative" if name == "retries"
                                    else "must be at least 1"))
    if task.timeout is not None and task.timeout <= 0:
        problems.append(Problem(f"{where}.timeout", "must be more than 0 seconds "
                                                    "(leave it out for no limit)"))
    if task.retry_delay is not None and task.retry_delay < 0:
        problems.append(Problem(f"{where}.retry_delay", "must not be negative"))
    _check_pool(task.pool, f"{where}.pool", ctx, problems)
    options = {o.name: o for o in spec.options}
    for key, value in task.options.items():
        opt = options.get(key)
        if opt is None:
            # suggest the common task fields too: 'retires' is a typo of 'retries'
            problems.append(Problem(f"{where}.{key}", unknown_field(
                key, [*options, *TASK_FIELDS], f"a {spec.name} task")))
            continue
        check, expected = KINDS[opt.kind]
        if not check(value):
            problems.append(Problem(f"{where}.{key}", f"must be {expected}, "
                                                      f"not {json.dumps(value)[:60]}"))
        elif opt.choices and value not in opt.choices:
            problems.append(Problem(f"{where}.{key}", f"must be one of {', '.join(opt.choices)}"
                                                      f", not {value!r}"))
    for opt in spec.options:
        if opt.required and opt.name not in task.options:
            problems.append(Problem(f"{where}.{opt.name}", f"is required for a {spec.name} task"))


def _check_graph(wf: Workflow, problems: list[Problem]) -> None:
    seen: dict[str, str] = {}
    places = [(f"references[{i}].id", r.id) for i, r in enumerate(wf.references)]
    places += [(f"tasks[{i}].id", t.id) for i, t in enumerate(wf.tasks)]
    for where, node_id in places:
        if not node_id:
            problems.append(Problem(where, "is required"))
            continue
        if not _ID.match(node_id):
            problems.append(Problem(where, f"id {node_id!r} may use letters, digits, _ and - "
                                           "(at most 64, not starting with a digit or -)"))
        if node_id in seen:
            problems.append(Problem(where, f"duplicate id {node_id!r} (also {seen[node_id]})"))
        else:
            seen[node_id] = where
    references = {r.id for r in wf.references}
    good_edges = []
    pairs: set[tuple[str, str]] = set()
    for i, rel in enumerate(wf.relations):
        pair = (rel.upstream, rel.downstream)
        if (pair[0] in seen and pair[1] in seen and pair[0] != pair[1]
                and pair[1] not in references and pair not in pairs):  # the usual case
            pairs.add(pair)
            good_edges.append(pair)
            continue
        where = f"relations[{i}]"
        ok = True
        for end, node in (("from", rel.upstream), ("to", rel.downstream)):
            if not node:
                problems.append(Problem(f"{where}.{end}", "is required"))
                ok = False
            elif node not in seen:
                problems.append(Problem(f"{where}.{end}", f"unknown node {node!r}"))
                ok = False
        if rel.upstream and rel.upstream == rel.downstream:
            problems.append(Problem(where, f"relation from {rel.upstream!r} into itself"))
            ok = False
        if rel.downstream in references:
            problems.append(Problem(f"{where}.to", f"reference {rel.downstream!r} cannot have an "
                                                   "upstream: a reference is always a root"))
            ok = False
        if (rel.upstream, rel.downstream) in pairs:
            problems.append(Problem(where, f"duplicate relation {rel.upstream!r} -> "
                                           f"{rel.downstream!r}"))
        pairs.add((rel.upstream, rel.downstream))
        if ok and rel.upstream and rel.downstream:
            good_edges.append((rel.upstream, rel.downstream))
    cycle = dag.find_cycle(seen, good_edges)
    if cycle:
        problems.append(Problem("relations", "relations form a cycle: " +
                                " -> ".join([*cycle, cycle[0]])))


def validate(wf: Workflow, ctx: ValidationContext) -> list[Problem]:
    """Every semantic problem of a parsed workflow (an empty list when it is valid)."""
    problems: list[Problem] = []
    if not wf.name:
        problems.append(Problem("name", "is required"))
    elif not _ID.match(wf.name):
        problems.append(Problem("name", f"workflow name {wf.name!r} may use letters, digits, _ "
                                        "and - (at most 64, not starting with a digit or -)"))
    elif wf.name in RESERVED_WORKFLOW_NAMES:
        problems.append(Problem("name", f"{wf.name!r} is reserved (it names a REST route); "
                                        "choose another name"))
    _check_params(wf.params, "params", problems)
    if wf.max_parallel is not None and wf.max_parallel < 1:
        problems.append(Problem("max_parallel", "must be at least 1"))
    if wf.failure_strategy is not None and wf.failure_strategy not in FAILURE_STRATEGIES:
        problems.append(Problem("failure_strategy", f"must be one of "
                                f"{', '.join(FAILURE_STRATEGIES)}, not {wf.failure_strategy!r}"))
    if wf.schedule is not None:
        _check_schedule(wf.schedule, problems)
    _check_pool(wf.pool, "pool", ctx, problems)
    if not wf.tasks:
        problems.append(Problem("tasks", "a workflow needs at least one task"))
    for i, ref in enumerate(wf.references):
        if not ref.workflow:
            problems.append(Problem(f"references[{i}].workflow", "is required"))
        if ref.timeout is not None and ref.timeout <= 0:
            problems.append(Problem(f"references[{i}].timeout", "must be more than 0 seconds"))
        _check_reference(i, ref, wf.name, ctx, problems)
    by_variable = _by_variable(wf.params)
    for i, task in enumerate(wf.tasks):
        _check_task(i, task, ctx, problems, by_variable)
    _check_graph(wf, problems)
    return problems


def check_document(data: Any, ctx: ValidationContext) -> tuple[Workflow, list[Problem]]:
    """Parse and validate a workflow file's JSON; every problem, shape and meaning alike.

    A part whose shape is wrong gets only its shape problem: what validation would add
    at or under that path (``tasks[2].type`` "is required" again) follows from it.
    """
    wf, problems = parse_workflow(data)
    return wf, problems + [p for p in validate(wf, ctx)
                           if not any(_under(p.where, q.where) for q in problems)]


def _under(path: str, parent: str) -> bool:
    """Whether ``path`` is ``parent`` or inside it (``tasks[1].id`` is inside ``tasks[1]``,
    ``tasks[10]`` is not)."""
    return (not parent or path == parent or path.startswith(parent + ".")
            or path.startswith(parent + "["))


def require_valid(wf: Workflow, ctx: ValidationContext) -> Workflow:
    """``wf`` if it is valid, else InvalidWorkflow listing every problem."""
    problems = validate(wf, ctx)
    if problems:
        raise InvalidWorkflow(problems, wf.name or None)
    return wf
