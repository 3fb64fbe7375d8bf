"""``jupyter batch <noun> <verb>``: the command line.

Exit status: 0 success, 1 a run failed, 2 bad input or usage (one line on stderr per
problem). Commands import what they need when they run, so ``--help`` and small
commands start fast.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from . import library, resources, runs, scheduler, warehouse, workflows
from .output import fail

EXIT_OK, EXIT_RUN_FAILED, EXIT_BAD_INPUT = 0, 1, 2
#: where the parser of the command the words were for is noted while they are parsed
_COMMAND = "_batch_command_parser"


def whole_number(text: str) -> int:
    """An ``int`` argument (every ``type=int`` of the CLI: run ids, versions, attempts,
    limits), refused when no stored number can be that large."""
    from ..model.ids import MAX_STORED, fits_store

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not fits_store(value):
        raise argparse.ArgumentTypeError(f"{text} is out of range (at most {MAX_STORED})")
    return value


class _Parser(argparse.ArgumentParser):
    """argparse with usage errors on one line (subcommands inherit the class), whose
    ``type=int`` arguments are read by ``whole_number``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # one check for every number argument of every command, present and future
        self.register("type", int, whole_number)

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        parsed, extras = super().parse_known_args(args, namespace)
        # the innermost command parsed returns first: it is the one the words were for
        if not hasattr(parsed, _COMMAND):
            setattr(parsed, _COMMAND, self)
        return parsed, extras

    def parse_args(self, args: Any = None, namespace: Any = None) -> Any:
        """As argparse's, but words nothing took are refused by the command they were
        given to (``jupyter batch logs: unrecognized arguments: --json``), not by the
        top parser, which is where argparse collects them."""
        parsed, extras = self.parse_known_args(args, namespace)
        command = vars(parsed).pop(_COMMAND, self)
        if extras:
            command.error(f"unrecognized arguments: {' '.join(extras)}")
        return parsed

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"error: {self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="jupyter batch",
        description="Batch workflows for Jupyter: versioned resources, workflows, runs, the "
                    "warehouse and a library of built-in programs.",
    )
    nouns = parser.add_subparsers(dest="noun", metavar="<noun>", required=True)
    resources.register(nouns)
    workflow_verbs = workflows.register(nouns)
    runs.register(nouns, workflow_verbs)
    warehouse.register(nouns)
    library.register(nouns)
    scheduler.register(nouns)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from ..errors import BatchError, InvalidWorkflow

    try:
        return int(args.func(args) or EXIT_OK)
    except InvalidWorkflow as exc:
        for problem in exc.problems:
            fail(str(problem), prefix=getattr(args, "file", None))
        return EXIT_BAD_INPUT
    except BatchError as exc:
        fail(str(exc))
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        fail("interrupted")
        return 130
    except Exception as exc:  # not the user's input: one line, the details on request
        if os.environ.get("JUPYTER_BATCH_DEBUG"):
            raise
        fail(f"internal error: {type(exc).__name__}: {exc} "
             "(set JUPYTER_BATCH_DEBUG=1 for the traceback)")
        return EXIT_RUN_FAILED


def run() -> None:
    sys.exit(main())
