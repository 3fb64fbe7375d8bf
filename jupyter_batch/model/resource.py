"""Resource names, formats and references (``name`` or ``name@3``): pure rules, no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import InvalidInput

#: Every format a resource may have, longest suffix first so ``x.tar.gz`` is ``tar.gz``.
FORMATS: tuple[str, ...] = (
    "tar.gz", "ipynb", "sql", "hql", "xml", "jar", "zip", "tar", "sh", "py",
)
ARCHIVE_FORMATS: frozenset[str] = frozenset({"zip", "tar", "tar.gz"})
#: Formats whose versions can be shown and diffed as text.
TEXT_FORMATS: frozenset[str] = frozenset({"sh", "py", "sql", "hql", "xml", "ipynb"})

_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+-]{0,199}$")

#: The read-only namespace of the built-in programs: ``library/<program>.py`` is the one
#: resource name with a ``/``; every other name is a plain file name.
LIBRARY_PREFIX = "library/"


def is_library(name: str) -> bool:
    """Whether ``name`` is in the read-only library namespace."""
    return name.startswith(LIBRARY_PREFIX)


def namespace_of(name: str) -> str:
    """``library`` for a library program's resource, else ``user``."""
    return "library" if is_library(name) else "user"


def resource_format(name: str) -> str:
    """The format of a resource named ``name``, or InvalidInput listing the allowed ones.

    >>> resource_format("data.tar.gz")
    'tar.gz'
    """
    lowered = name.lower()
    for fmt in FORMATS:
        if lowered.endswith("." + fmt) and len(lowered) > len(fmt) + 1:
            return fmt
    allowed = " ".join(sorted(FORMATS))
    raise InvalidInput(f"resource {name!r} has an unsupported format; allowed formats: {allowed}")


def check_resource_name(name: str) -> str:
    """Return ``name`` if it is a safe resource name; else InvalidInput saying why.

    A name is a plain file name: no folders (``/``, ``\\``), no ``..``, no control
    characters, no leading dot, at most 200 characters, and a supported format — or
    such a name under ``library/`` (a built-in program's resource).
    """
    if not isinstance(name, str) or not name:
        raise InvalidInput("a resource name must be a non-empty string")
    if is_library(name) and len(name) > len(LIBRARY_PREFIX):
        try:
            check_resource_name(name[len(LIBRARY_PREFIX):])
        except InvalidInput as exc:
            raise InvalidInput(f"library resource {name!r}: {exc}") from None
        return name
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise InvalidInput(f"resource name {name!r} contains control characters")
    if "/" in name or "\\" in name:
        raise InvalidInput(f"resource name {name!r} must be a plain file name, without '/' or "
                           "'\\' (only the built-in programs live in a folder, library/)")
    if ".." in name:
        raise InvalidInput(f"resource name {name!r} must not contain '..'")
    if "@" in name:
        raise InvalidInput(f"resource name {name!r} must not contain '@' "
                           "(it separates the version)")
    if not _NAME.match(name):
        raise InvalidInput(
            f"resource name {name!r} may use letters, digits and _ . + - only, must not start "
            "with '.' or '-', and has at most 200 characters"
        )
    resource_format(name)
    return name


@dataclass(frozen=True)
class ResourceRef:
    """A reference to a resource: ``name`` (latest, pinned at publish) or ``name@version``."""

    name: str
    version: int | None = None

    def __str__(self) -> str:
        return self.name if self.version is None else f"{self.name}@{self.version}"

    @property
    def format(self) -> str:
        return resource_format(self.name)


def parse_ref(text: str, check_name: bool = True) -> ResourceRef:
    """Parse ``name`` or ``name@3``; InvalidInput names what is wrong. ``check_name``
    False is for looking a resource up: a name no resource may have is then simply one
    that is not found ("no resource named 'nope'", not "unsupported format").

    >>> parse_ref("clean.py@2")
    ResourceRef(name='clean.py', version=2)
    """
    if not isinstance(text, str):
        raise InvalidInput("a resource reference must be a string like 'clean.py' or 'clean.py@2'")
    name, sep, version = text.partition("@")
    if check_name:
        check_resource_name(name)
    elif not name:
        raise InvalidInput("a resource name must be a non-empty string")
    if not sep:
        return ResourceRef(name)
    if not version.isdigit() or int(version) < 1:
        raise InvalidInput(f"resource version in {text!r} must be a whole number from 1 up")
    return ResourceRef(name, int(version))
