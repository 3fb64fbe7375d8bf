"""The library of built-in programs: parameterised scripts for the jobs every data team
does, which a user turns into a workflow in one step ("use the program").

Each program is one script in ``programs/`` that declares its parameter schema
(``PROGRAM``, a ``model.program.Program``) and runs as an ordinary ``python`` task
(``runtime`` is what it uses at run time). The service stores each script as a version
of the read-only resource ``library/<name>.py``; this module says which programs ship,
their schemas and their sources.
"""

from __future__ import annotations

import importlib
from functools import cache
from pathlib import Path

from ..errors import NotFound
from ..model.program import Program
from ..model.resource import LIBRARY_PREFIX

#: the programs that ship, in the order they are listed
NAMES = ("columns_to_rows", "rows_to_columns", "file_sync", "table_export",
         "database_to_warehouse", "data_quality")
_SCRIPTS = Path(__file__).with_name("programs")


def program_name(text: str) -> str:
    """A program's name from how a user may write it: ``file_sync``, ``file_sync.py`` or
    its resource name ``library/file_sync.py``."""
    return text.removeprefix(LIBRARY_PREFIX).removesuffix(".py")


def _shipped(text: str) -> str:
    name = program_name(text)
    if name not in NAMES:
        raise NotFound(f"no library program {name!r} (programs: {', '.join(NAMES)})")
    return name


@cache
def program(name: str) -> Program:
    """The schema of a shipped program; NotFound naming the programs there are."""
    found: Program = importlib.import_module(f"{__name__}.programs.{_shipped(name)}").PROGRAM
    return found


def catalog() -> list[Program]:
    """Every shipped program, in the order they are listed. (Not ``programs``: that
    name is the subpackage of their scripts.)"""
    return [program(name) for name in NAMES]


def source(name: str) -> bytes:
    """The script of a shipped program, as its resource holds it (read, not imported)."""
    return (_SCRIPTS / f"{_shipped(name)}.py").read_bytes()


def by_resource(resource: str) -> Program | None:
    """The program a ``library/<name>.py`` resource runs; None for any other name."""
    name = program_name(resource)
    if resource != f"{LIBRARY_PREFIX}{name}.py" or name not in NAMES:
        return None
    return program(name)


__all__ = ["NAMES", "by_resource", "catalog", "program", "program_name", "source"]
