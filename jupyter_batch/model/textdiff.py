"""Showing and diffing resource versions as text."""

from __future__ import annotations

import difflib
import json

from ..errors import InvalidInput
from .resource import TEXT_FORMATS, resource_format


def as_text(name: str, content: bytes) -> str:
    """The content of a text resource as text; a notebook shows as its cells' sources,
    which is what a person wants to compare (not JSON with outputs and metadata)."""
    fmt = resource_format(name)
    if fmt not in TEXT_FORMATS:
        raise InvalidInput(f"{name!r} is a {fmt} resource; only text formats "
                           f"({', '.join(sorted(TEXT_FORMATS))}) can be shown as text")
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(f"{name!r} is not UTF-8 text") from None
    if fmt != "ipynb":
        return text
    try:
        cells = json.loads(text).get("cells", [])
    except (json.JSONDecodeError, AttributeError):
        return text
    parts = []
    for i, cell in enumerate(cells, 1):
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        parts.append(f"# --- cell {i} ({cell.get('cell_type', '?')}) ---\n{source.rstrip()}\n")
    return "".join(parts)


def diff_versions(name: str, old: tuple[int, bytes], new: tuple[int, bytes]) -> str:
    """A unified diff of two versions of a text resource ('' when they are equal)."""
    (a, old_content), (b, new_content) = old, new
    lines = difflib.unified_diff(
        as_text(name, old_content).splitlines(keepends=True),
        as_text(name, new_content).splitlines(keepends=True),
        fromfile=f"{name}@{a}", tofile=f"{name}@{b}",
    )
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
                   for line in lines)
