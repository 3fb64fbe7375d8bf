"""A task attempt's working directory: its resource versions materialised, archives unpacked."""

from __future__ import annotations

import io
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from ..errors import InvalidInput
from ..model.resource import ARCHIVE_FORMATS, parse_ref

#: ``fetch("clean.py@2") -> content``: resource content, already verified by its sha256
Fetch = Callable[[str], bytes]


def _safe_member(name: str, archive: str) -> str:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts:
        raise InvalidInput(f"archive {archive} holds an unsafe path {name!r}; not unpacked")
    return name


def unpack(name: str, content: bytes, into: Path) -> None:
    """Unpack a zip/tar/tar.gz resource into ``into``; paths escaping it are refused."""
    fmt = parse_ref(name).format
    if fmt == "zip":
        with zipfile.ZipFile(io.BytesIO(content)) as zf:
            for member in zf.namelist():
                _safe_member(member, name)
            zf.extractall(into)
        return
    mode = "r:gz" if fmt == "tar.gz" else "r:"
    with tarfile.open(fileobj=io.BytesIO(content), mode=mode) as tf:
        for member in tf.getmembers():
            _safe_member(member.name, name)
            if member.issym() or member.islnk():
                _safe_member(member.linkname, name)
            if not (member.isfile() or member.isdir() or member.issym() or member.islnk()):
                raise InvalidInput(f"archive {name} holds a special file {member.name!r}")
        # every member was checked above; Python's "data" filter (3.11.4+) checks again
        safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
        tf.extractall(into, **safe)


def materialise(refs: list[str], fetch: Fetch, workdir: Path) -> dict[str, Path]:
    """Write each pinned resource into ``workdir`` under its name (a library program's in
    ``library/``; archives also unpacked there); return name → path."""
    workdir.mkdir(parents=True, exist_ok=True)
    placed = {}
    for ref in refs:
        parsed = parse_ref(ref)
        content = fetch(ref)
        path = workdir / parsed.name
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(content)
        if parsed.format in ARCHIVE_FORMATS:
            unpack(parsed.name, content, workdir)
        placed[parsed.name] = path
    return placed
