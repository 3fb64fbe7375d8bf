"""Built-in variables and parameters as a task receives them.

Parameters reach tasks as data: environment variables (``BATCH_*``), argv elements with
``${name}`` placeholders expanded one element at a time, papermill parameters. Nothing
is ever spliced into a shell string.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from ..errors import InvalidInput

_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}|\$\$")
_DATE_EXPR = re.compile(r"^(ds|ds_nodash)\s*([+-])\s*(\d{1,4})$")
_LOGICAL_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
#: the range of logical dates: a run also has the day before (``prev_ds``) and after
FIRST_DATE, LAST_DATE = date.min + timedelta(days=1), date.max - timedelta(days=1)


def parse_logical_date(text: str) -> date:
    """A logical date: exactly ``YYYY-MM-DD`` (``2026-01-31``; not ``20260131``, not
    ``2026-1-31``), from ``FIRST_DATE`` to ``LAST_DATE``; InvalidInput otherwise."""
    if not isinstance(text, str) or not _LOGICAL_DATE.fullmatch(text):
        raise InvalidInput(f"logical date {text!r} must be written YYYY-MM-DD, like "
                           "2026-11-22")
    try:
        day = date.fromisoformat(text)
    except ValueError as exc:
        raise InvalidInput(f"logical date {text!r} is not a date: {exc}") from None
    if not FIRST_DATE <= day <= LAST_DATE:
        raise InvalidInput(f"logical date {text} is out of range: a run needs the days "
                           f"before and after it, so it must be from {FIRST_DATE} to "
                           f"{LAST_DATE}")
    return day


@dataclass(frozen=True)
class RunContext:
    """Who and when: the facts every task of a run shares."""

    workflow: str
    run_id: int
    logical_date: str
    trigger: str
    #: a scheduled run's cycle (its fire time, ISO-8601 in UTC); None for other runs
    cycle: str | None = None


def builtin_variables(ctx: RunContext, task_id: str, attempt: int) -> dict[str, str]:
    """The built-in variables (without the ``BATCH_`` prefix), in lower case names.

    ``ds`` is the logical date, ``ds_nodash`` its compact form, ``prev_ds``/``next_ds``
    the days around it; ``${ds-7}`` style offsets are available in argv placeholders.
    ``cycle`` is a scheduled run's fire time (empty for other runs): it tells a catch-up
    run, started late, which fire it stands for.
    """
    return {**_run_variables(ctx), "task": task_id, "attempt": str(attempt)}


@lru_cache(maxsize=64)
def _run_variables(ctx: RunContext) -> dict[str, str]:
    """The variables every task of a run shares, worked out once per run (shared: copy
    before changing), in the order tasks see them."""
    day = parse_logical_date(ctx.logical_date)
    return {
        "ds": day.isoformat(),
        "ds_nodash": day.strftime("%Y%m%d"),
        "prev_ds": (day - timedelta(days=1)).isoformat(),
        "next_ds": (day + timedelta(days=1)).isoformat(),
        "month": day.strftime("%Y-%m"),
        "year": day.strftime("%Y"),
        "run_id": str(ctx.run_id),
        "workflow": ctx.workflow,
        "task": "",
        "attempt": "",
        "trigger": ctx.trigger,
        "cycle": ctx.cycle or "",
    }


def env_name(param: str) -> str:
    """``clean.rows`` → ``BATCH_PARAM_CLEAN_ROWS``."""
    return "BATCH_PARAM_" + re.sub(r"[^A-Za-z0-9]", "_", param).upper()


def task_environment(builtins: Mapping[str, str], params: Mapping[str, object]) -> dict[str, str]:
    """``BATCH_<BUILTIN>`` and ``BATCH_PARAM_<NAME>`` variables for one task."""
    env = {f"BATCH_{k.upper()}": v for k, v in builtins.items()}
    env.update({env_name(k): param_text(v) for k, v in params.items()})
    return env


def param_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _resolve(expr: str, values: Mapping[str, str]) -> str:
    expr = expr.strip()
    if expr in values:
        return values[expr]
    m = _DATE_EXPR.match(expr)
    if m:
        day = date.fromisoformat(values["ds"])
        days = int(m.group(3)) * (1 if m.group(2) == "+" else -1)
        try:
            shifted = day + timedelta(days=days)
        except OverflowError:
            raise InvalidInput(f"${{{expr}}} is out of range: {day} {m.group(2)} "
                               f"{m.group(3)} days is not a date from {date.min} to "
                               f"{date.max}") from None
        return shifted.isoformat() if m.group(1) == "ds" else shifted.strftime("%Y%m%d")
    known = ", ".join(sorted(values))
    raise InvalidInput(f"unknown placeholder ${{{expr}}} (known: {known}; dates also as "
                       "${ds-1}, ${ds_nodash+7}; write $$ for a literal $)")


def expand(text: str, values: Mapping[str, str]) -> str:
    """Replace ``${name}`` / ``${ds-1}`` in one argv element; ``$$`` is a literal ``$``."""
    def sub(m: re.Match[str]) -> str:
        return "$" if m.group(0) == "$$" else _resolve(m.group(1), values)

    return _PLACEHOLDER.sub(sub, text)
