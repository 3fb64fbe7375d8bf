"""Printing for the CLI: aligned tables for people, JSON for scripts, errors on stderr."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from ..model.wire import plain


def fail(message: str, prefix: str | None = None) -> None:
    """One line on stderr."""
    print(f"{prefix}: {message}" if prefix else f"error: {message}", file=sys.stderr)


def write_out(text: str, path: str | None, what: str = "") -> None:
    """``text`` into the file ``path`` (saying so), or on standard output. Every command
    that writes a file the user names writes it here: InvalidInput when it cannot be."""
    if path:
        from ..errors import InvalidInput

        try:
            Path(path).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise InvalidInput(f"cannot write {path}: {exc.strerror or exc}") from None
        print(f"wrote {path}{f' ({what})' if what else ''}")
    else:
        sys.stdout.write(text)


def emit_json(value: Any) -> None:
    print(json.dumps(plain(value), indent=2, ensure_ascii=False, default=str, allow_nan=False))


def when(value: datetime | None) -> str:
    """A time for people: local time, to the minute."""
    return value.astimezone().strftime("%Y-%m-%d %H:%M") if value else "-"


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], empty: str) -> None:
    if not rows:
        print(empty)
        return
    cells = [[str(c) for c in headers]] + [["-" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for row in cells:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
