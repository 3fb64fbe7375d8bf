"""The notebook-side API: ``Batch`` talks REST to the Jupyter server (or runs a local
service when there is none); ``Workflow`` builds and runs workflows; ``Run`` follows
and reruns runs.

Modules: ``batch`` (the entry point), ``workflow`` (the builder), ``runs``, ``records``
(what calls return), ``transport`` (the seam) with ``rest`` and ``local`` behind it,
``discovery`` (which server, if any, a process talks to), ``display`` (where widgets plug in),
``library`` (the built-in programs, ``batch.library``).
"""

from .batch import Batch
from .library import Library
from .records import LibraryProgram, LogChunk, ProgramParam, Published, RunStatus, TaskStatus
from .runs import Run
from .workflow import Node, Workflow

__all__ = ["Batch", "Library", "LibraryProgram", "LogChunk", "Node", "ProgramParam",
           "Published", "Run", "RunStatus", "TaskStatus", "Workflow"]
