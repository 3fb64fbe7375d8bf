"""Files at any fsspec URL, for the programs that move them (``file_sync``,
``table_export``): what a folder holds, and copying one file from one filesystem to
another, checked by size once written."""

from __future__ import annotations

import hashlib
import posixpath
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..errors import BatchError, NotFound
from ..warehouse.storage import filesystem

#: where backends keep a file's modification time in its listing
_MTIME_KEYS = ("mtime", "LastModified", "last_modified", "modified", "updated", "created")
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Entry:
    """A file: its path relative to the folder, its size, when it last changed (epoch
    seconds; None when its backend does not say)."""

    path: str
    size: int
    mtime: float | None


def _seconds(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return None
    return None


def _mtime(info: Mapping[str, Any]) -> float | None:
    for key in _MTIME_KEYS:
        if key in info and (seconds := _seconds(info[key])) is not None:
            return seconds
    return None


class Location:
    """A folder, or a single file, at a local path or fsspec URL."""

    def __init__(self, url: str, storage_options: Mapping[str, Any] | None = None) -> None:
        self.url = url
        self.fs, root = filesystem(url, storage_options)
        self.root = root.rstrip("/") or root
        #: the URL names one existing file rather than a folder
        self.single = bool(self.fs.isfile(self.root))

    def path(self, relative: str) -> str:
        """The full path of a file of the folder; the URL's own path for ``""`` (and for
        every file of a single-file location)."""
        if self.single or not relative:
            return self.root
        return posixpath.join(self.root, relative)

    def files(self) -> dict[str, Entry]:
        """Every file under the folder by relative path (a file: itself, by its name);
        nothing when there is nothing there yet."""
        self.fs.invalidate_cache()
        if self.single:
            info = self.fs.info(self.root)
            name = posixpath.basename(self.root)
            return {name: Entry(name, int(info.get("size") or 0), _mtime(info))}
        if not self.fs.exists(self.root):
            return {}
        found = self.fs.find(self.root, withdirs=False, detail=True)
        prefix = self.root.rstrip("/") + "/"
        entries = {}
        for full, info in found.items():
            relative = full[len(prefix):] if full.startswith(prefix) else posixpath.basename(full)
            entries[relative] = Entry(relative, int(info.get("size") or 0), _mtime(info))
        return dict(sorted(entries.items()))

    def require(self) -> None:
        """NotFound unless the folder or file exists."""
        if not self.fs.exists(self.root):
            raise NotFound(f"{self.url} does not exist")

    def digest(self, relative: str) -> str:
        """The MD5 of a file's content (read whole: any backend can do that)."""
        md5 = hashlib.md5(usedforsecurity=False)
        with self.fs.open(self.path(relative), "rb") as f:
            while chunk := f.read(_CHUNK):
                md5.update(chunk)
        return md5.hexdigest()

    def size(self, relative: str) -> int | None:
        """A file's size as its backend tells it now (None when there is no such file)."""
        self.fs.invalidate_cache(self.path(relative))
        try:
            return int(self.fs.info(self.path(relative)).get("size") or 0)
        except FileNotFoundError:
            return None


def copy_file(source: Location, relative: str, target: Location,
              target_relative: str | None = None) -> int:
    """Copy one file of ``source`` into ``target`` (at the same relative path unless
    ``target_relative`` is given), creating folders on the way; the bytes copied.
    BatchError when the copy does not have the source's size afterwards."""
    destination = target.path(relative if target_relative is None else target_relative)
    parent = posixpath.dirname(destination)
    if parent:
        target.fs.makedirs(parent, exist_ok=True)
    with source.fs.open(source.path(relative), "rb") as src, \
            target.fs.open(destination, "wb") as dst:
        shutil.copyfileobj(src, dst, _CHUNK)
    expected = source.fs.info(source.path(relative)).get("size")
    written = target.size(relative if target_relative is None else target_relative)
    if written != expected:
        raise BatchError(f"copying {relative} to {target.url} went wrong: {written} bytes "
                         f"arrived of {expected}")
    return int(expected or 0)
