"""Moving an attempt to another machine and back.

The engine materialises an attempt's working directory on its own disk; an executor
that runs the process elsewhere packs that folder into bytes (``pack``), and the other
side unpacks it into a folder of its own (``unpack``) and rewrites the paths of the
process description to point there (``Relocation``). Afterwards the files the engine
reads (``ProcessSpec.returns``) travel back as bytes (``collect``, ``deliver``).
Nothing assumes a disk both machines see.
"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from ..model.process import ProcessSpec


def pack(folder: Path) -> bytes:
    """``folder``'s content (files, modes, symlinks) as an uncompressed tar."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        tf.add(folder, arcname=".")
    return buf.getvalue()


def unpack(data: bytes, into: Path) -> None:
    """Unpack what ``pack`` made into ``into`` (created if need be)."""
    into.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tf:
        # the engine unpacked the archives in it with the same filter
        safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
        tf.extractall(into, **safe)


@dataclass(frozen=True)
class Relocation:
    """Paths under ``source`` (the engine's run folder) become the same paths under
    ``target`` (this machine's copy); and ``python``, the engine's own interpreter as a
    program to run, becomes ``local_python``, the one running here."""

    source: str
    target: str
    python: str
    local_python: str

    def path(self, path: Path) -> Path:
        """``path`` under ``target``; ValueError when it is not under ``source``."""
        return Path(self.target) / path.relative_to(self.source)

    def text(self, text: str) -> str:
        """``text`` (an argument, an environment value, JSON holding paths) with every
        path under ``source`` rewritten."""
        if text == self.source:
            return self.target
        return text.replace(self.source + "/", self.target + "/")

    def spec(self, spec: ProcessSpec, log_path: Path) -> ProcessSpec:
        """``spec`` as it runs here, writing its output to ``log_path`` (the header
        stays with the engine's copy of the log)."""
        argv = [self.text(arg) for arg in spec.argv]
        if argv and argv[0] == self.python:
            argv[0] = self.local_python
        return replace(spec, argv=argv, cwd=self.path(spec.cwd), log_path=log_path,
                       env={k: self.text(v) for k, v in spec.env.items()}, log_header="",
                       run_folder=Path(self.target),
                       returns=tuple(self.path(p) for p in spec.returns))


def collect(files: Mapping[Path, Path]) -> dict[str, bytes]:
    """The content of each file that exists; ``files`` maps the engine's path of a file
    to where it is here, and the result is keyed by the engine's path."""
    found = {}
    for theirs, here in files.items():
        try:
            found[str(theirs)] = here.read_bytes()
        except FileNotFoundError:
            continue
    return found


def deliver(files: dict[str, bytes]) -> None:
    """Write files brought back by ``collect`` where the engine reads them."""
    for name, content in files.items():
        path = Path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
