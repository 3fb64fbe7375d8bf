"""IPython magics for developing scripts in a notebook (``%load_ext jupyter_batch``).

- ``%%batch_resource NAME.py [-m MESSAGE]``: save the cell as a new version of a
  resource (the CLI's rules: a bad name or format is refused; identical content makes
  no new version).
- ``%batch_run RESOURCE[@V] [--param k=v ...] [--date D]``: run a resource once, as a
  one-task pre-run of the workflow ``debug_<resource>``, with its log streamed into the
  cell while it runs, ending with the run's state.
- ``%batch_versions NAME``: a resource's versions; ``%batch_diff NAME A B``: what changed.

They act through the client, so they work against the notebook's Jupyter server or a
local service alike. A refused request ends the cell with one ``UsageError`` line.
"""

from __future__ import annotations

import argparse
import re
import shlex
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments

from .client import Batch, Run
from .errors import BatchError, InvalidWorkflow
from .model.resource import parse_ref
from .model.scalars import parse_pairs

#: which task type runs a resource of each format in a debug run
TASK_TYPES = {"sh": "shell", "py": "python", "ipynb": "notebook", "sql": "sql", "hql": "sql"}


@contextmanager
def _refusals() -> Iterator[None]:
    """A BatchError becomes one UsageError line (no traceback: it is the user's input)."""
    try:
        yield
    except BatchError as exc:
        raise UsageError(str(exc)) from None


def debug_names(resource: str) -> tuple[str, str]:
    """The debug workflow's name and its task's id for a resource name.

    >>> debug_names("clean.py")
    ('debug_clean_py', 'clean')
    """
    ident = re.sub(r"\W", "_", resource)
    task = re.sub(r"\W", "_", resource.rsplit(".", 2 if resource.endswith(".tar.gz") else 1)[0])
    if not re.match(r"[A-Za-z_]", task):
        task = "_" + task
    return f"debug_{ident}"[:64], task[:64]


def parse_line(magic: Any, line: str) -> argparse.Namespace:
    """A magic's arguments, split the shell's way (``-m "two words"`` is one message);
    IPython's own splitting would keep the quotes."""
    try:
        words = shlex.split(line)
    except ValueError as exc:
        raise UsageError(f"cannot read the arguments: {exc}") from None
    return magic.parser.parse_args(words)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [list(headers)] + [["-" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
                     for row in cells)


def _write(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


@magics_class
class BatchMagics(Magics):
    """The magics; ``batch`` is the client they use (``Batch()`` on first use; set it to
    use another, or to None to find the server again)."""

    def __init__(self, shell: Any = None) -> None:
        super().__init__(shell)
        self._batch: Batch | None = None

    @property
    def batch(self) -> Batch:
        if self._batch is None:
            with _refusals():
                self._batch = Batch()
        return self._batch

    @batch.setter
    def batch(self, value: Batch | None) -> None:
        self._batch = value

    @magic_arguments()
    @argument("name", help="resource name, e.g. clean.py")
    @argument("-m", "--message", default="", help="what changed")
    @cell_magic
    def batch_resource(self, line: str, cell: str) -> None:
        """Save the cell as a new version of resource NAME."""
        args = parse_line(self.batch_resource, line)
        content = cell if cell.endswith("\n") else cell + "\n"
        with _refusals():
            added = self.batch.add_resource(args.name, content.encode("utf-8"), args.message)
        version = added.version
        if added.created:
            print(f"added {version.ref} ({version.size} bytes)")
        else:
            print(f"unchanged: {args.name} is identical to version {version.version}; "
                  "no new version")

    @magic_arguments()
    @argument("ref", metavar="RESOURCE[@V]", help="the resource (latest version) or RESOURCE@V")
    @argument("-p", "--param", action="append", default=[], metavar="K=V",
              help="a run parameter (BATCH_PARAM_K for scripts, a papermill parameter for "
                   "notebooks); repeat for more")
    @argument("--date", help="the logical date (default today)")
    @line_magic
    def batch_run(self, line: str) -> None:
        """Run a resource once as a debug run and stream its log here."""
        args = parse_line(self.batch_run, line)
        with _refusals():
            params = parse_pairs(args.param)
            ref = parse_ref(args.ref)
            task_type = TASK_TYPES.get(ref.format)
            if task_type is None:
                raise UsageError(f"{ref.name} is a {ref.format} resource; a debug run takes "
                                 f"{', '.join(sorted(TASK_TYPES))} (run others as an app task "
                                 "in a workflow)")
            name, task = debug_names(ref.name)
            wf = self.batch.workflow(name, description=f"debug run of {ref} (%batch_run)")
            wf.task(task, task_type, resource=str(ref))
            try:
                run = wf.prerun(date=args.date, params=params or None)
            except InvalidWorkflow as exc:  # the debug workflow is ours: say only what is wrong
                raise UsageError("; ".join(p.message for p in exc.problems)) from None
            print(f"run {run.id} of {ref} ({name})", flush=True)
            self._follow(run, task)

    @staticmethod
    def _follow(run: Run, task: str) -> None:
        try:
            run.follow(task, _write)
        except KeyboardInterrupt:
            print(f"\nstopping run {run.id}…", flush=True)
            run.stop()
        s = run.status
        took = (f" in {(s.ended_at - s.started_at).total_seconds():.1f} s"
                if s.started_at and s.ended_at else "")
        print(f"run {run.id} {s.state.value}{took}"
              + (f" — {s.message}" if s.message else ""))

    @magic_arguments()
    @argument("name", help="resource name")
    @line_magic
    def batch_versions(self, line: str) -> None:
        """List a resource's versions."""
        args = parse_line(self.batch_versions, line)
        with _refusals():
            versions = self.batch.versions(args.name)
        print(table(["VERSION", "SIZE", "AUTHOR", "CREATED", "MESSAGE"],
                    [[v.version, v.size, v.author,
                      v.created_at.astimezone().strftime("%Y-%m-%d %H:%M"), v.message]
                     for v in versions]))

    @magic_arguments()
    @argument("name", help="resource name")
    @argument("old", type=int, help="the older version")
    @argument("new", type=int, help="the newer version")
    @line_magic
    def batch_diff(self, line: str) -> None:
        """The unified diff between two versions of a text resource."""
        args = parse_line(self.batch_diff, line)
        with _refusals():
            diff = self.batch.diff(args.name, args.old, args.new)
        print(diff.rstrip("\n") if diff else
              f"{args.name}@{args.old} and @{args.new} have the same content")
