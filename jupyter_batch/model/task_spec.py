"""What a task type accepts, as data: validation reads it, each task type declares one."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class OptionSpec:
    """A field specific to one task type. ``kind`` is a key of ``workflow.KINDS``."""

    name: str
    kind: str
    required: bool = False
    help: str = ""
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class TaskTypeSpec:
    """A task type's contract.

    ``bodies`` names the fields that may say what the task runs (``resource``,
    ``command``, ``code``, ``args``); unless ``body_optional``, at least one is required.
    ``formats`` are the resource formats its main ``resource`` may have.
    """

    name: str
    summary: str
    bodies: tuple[str, ...]
    formats: tuple[str, ...] = ()
    options: tuple[OptionSpec, ...] = field(default_factory=tuple)
    body_optional: bool = False
    #: body fields that cannot be combined (e.g. a shell resource and a command)
    exclusive: tuple[str, ...] = ("resource", "command", "code")
