"""A task attempt's working directory: its resource versions materialised, archives unpacked."""

from __future__ import annotations

import io
import tarfile
import zipfile
import zlib
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


#: what reading a damaged or mislabelled archive raises
_ARCHIVE_ERRORS = (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError, zlib.error)


def _check_members(name: str, archive: zipfile.ZipFile | tarfile.TarFile) -> None:
    """Refuse a member whose path escapes the folder, and special files."""
    if isinstance(archive, zipfile.ZipFile):
        for member in archive.namelist():
            _safe_member(member, name)
        return
    for info in archive.getmembers():
        _safe_member(info.name, name)
        if info.issym() or info.islnk():
            _safe_member(info.linkname, name)
        if not (info.isfile() or info.isdir() or info.issym() or info.islnk()):
            raise InvalidInput(f"archive {name} holds a special file {info.name!r}")


def unpack(name: str, content: bytes, into: Path | None) -> None:
    """Unpack a zip/tar/tar.gz resource into ``into`` (None: only check that it can be);
    paths escaping it are refused, and so is content that is not such an archive."""
    fmt = parse_ref(name).format
    unreadable = f"{name} is not a readable {fmt} archive"
    try:  # opening is what fails on bad content; the with below closes it
        opened = (zipfile.ZipFile(io.BytesIO(content)) if fmt == "zip" else
                  tarfile.open(fileobj=io.BytesIO(content),  # noqa: SIM115
                               mode="r:gz" if fmt == "tar.gz" else "r:"))
    except _ARCHIVE_ERRORS as exc:
        raise InvalidInput(f"{unreadable}: {exc}") from None
    with opened as archive:
        try:
            _check_members(name, archive)
        except _ARCHIVE_ERRORS as exc:
            raise InvalidInput(f"{unreadable}: {exc}") from None
        if into is None:
            return
        if isinstance(archive, tarfile.TarFile) and hasattr(tarfile, "data_filter"):
            # every member was checked above; Python's "data" filter (3.11.4+) checks again
            archive.extractall(into, filter="data")
        else:
            archive.extractall(into)


def check_content(name: str, content: bytes) -> None:
    """InvalidInput when ``content`` cannot be what the resource's format says — an
    archive that does not unpack, a notebook that is not one — so it is refused when it
    is added, not when a task first runs it."""
    fmt = parse_ref(name).format
    if fmt in ARCHIVE_FORMATS:
        unpack(name, content, None)
    elif fmt == "ipynb":
        import nbformat

        try:
            nbformat.validate(nbformat.reads(content.decode("utf-8"), as_version=4))
        except Exception as exc:  # nbformat raises TypeError, KeyError... on odd JSON
            reason = str(exc).splitlines()[0][:200]
            raise InvalidInput(f"{name} is not a Jupyter notebook: {reason}") from None


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
