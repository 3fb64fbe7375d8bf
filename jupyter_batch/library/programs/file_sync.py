"""file_sync: copy a file or a folder tree between two places, only what changed.

Source and target are local paths or fsspec URLs (``s3://bucket/prefix``, ``gs://``,
``abfs://``, ``sftp://``...; a backend beyond local files is an extra:
``pip install 'jupyter-batch[s3]'``). Every file under the source whose relative path
matches ``include`` (default: all) and not ``exclude`` is copied to the same relative
path under the target — unless the target already has it unchanged:

- ``compare=size_mtime`` (default): same size, and the source not modified after the
  target was written (compared to the second, as S3 keeps times);
- ``compare=checksum``: same content (an MD5 of each file on both sides).

A pattern matches the end of the relative path (``*.csv`` matches ``a/b.csv``,
``2026/*.csv`` only files in a ``2026`` folder). Each copy is verified afterwards: its
size (and with ``compare=checksum`` its content) must equal the source's. Files the
target has and the source does not are left alone.

Log: every file copied or skipped, then a summary. Outputs: ``files_copied``,
``files_skipped``, ``bytes_copied``.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any

from jupyter_batch.errors import BatchError
from jupyter_batch.library import runtime
from jupyter_batch.library.transfer import Entry, Location, copy_file
from jupyter_batch.model.program import Param, Program

COMPARE = ("size_mtime", "checksum")

PROGRAM = Program(
    name="file_sync",
    title="File sync",
    description="Copy a file or a folder tree between two local paths or fsspec URLs "
                "(S3, GCS, Azure, SFTP...), only the files that changed, verified after "
                "copying.",
    params=(
        Param("source", "string", required=True,
              help="the file or folder to copy: a local path or fsspec URL"),
        Param("target", "string", required=True,
              help="the folder to copy into: a local path or fsspec URL"),
        Param("include", "list", help="glob patterns of the files to copy, matched against "
                                      "the end of the relative path (default: every file)"),
        Param("exclude", "list", help="glob patterns of files not to copy"),
        Param("compare", "string", default="size_mtime", choices=COMPARE,
              help="how a file is found unchanged: size and modification time, or checksum "
                   "(content)"),
        Param("dry_run", "boolean", default=False,
              help="only say what would be copied"),
        runtime.storage_param("source_options", "the source"),
        runtime.storage_param("target_options", "the target"),
    ),
    example={"source": "s3://raw-data/exports/", "target": "/data/exports",
             "include": ["*.csv", "*.parquet"], "exclude": ["tmp/*"],
             "source_options": '{"client_kwargs": {"endpoint_url": "http://127.0.0.1:9000"}}'},
)


def selected(path: str, include: list[str], exclude: list[str]) -> bool:
    relative = PurePosixPath(path)
    return ((not include or any(relative.match(p) for p in include))
            and not any(relative.match(p) for p in exclude))


def unchanged(source: Location, target: Location, mine: Entry, theirs: Entry | None,
              compare: str) -> bool:
    """Whether the target's copy of a file is still current."""
    if theirs is None or theirs.size != mine.size:
        return False
    if compare == "checksum":
        return source.digest(mine.path) == target.digest(mine.path)
    if mine.mtime is None or theirs.mtime is None:
        return False  # the backend keeps no times: copy to be sure
    return int(mine.mtime) <= int(theirs.mtime)


def sync(p: Mapping[str, Any]) -> dict[str, object]:
    source = Location(p["source"], runtime.json_object(p["source_options"]))
    target = Location(p["target"], runtime.json_object(p["target_options"]))
    source.require()
    runtime.say(f"sync {p['source']} → {p['target']} (compare {p['compare']})")
    theirs = target.files()
    copied, skipped, excluded, size = [], 0, 0, 0
    for path, mine in source.files().items():
        if not selected(path, p["include"] or [], p["exclude"] or []):
            excluded += 1
            continue
        if unchanged(source, target, mine, theirs.get(path), p["compare"]):
            runtime.say(f"skipped {path} (unchanged)")
            skipped += 1
            continue
        if p["dry_run"]:
            runtime.say(f"would copy {path} ({mine.size} bytes)")
            size += mine.size
        else:
            size += copy_file(source, path, target)
            if p["compare"] == "checksum" and source.digest(path) != target.digest(path):
                raise BatchError(f"verifying {path} failed: the copy's content differs "
                                 "from the source's")
            runtime.say(f"copied {path} ({mine.size} bytes, verified)")
        copied.append(path)
    verb = "would copy" if p["dry_run"] else "copied"
    runtime.say(f"{verb} {len(copied)} file{'s' * (len(copied) != 1)} ({size} bytes), "
                f"skipped {skipped} unchanged, {excluded} not selected")
    if p["dry_run"]:
        return {"files_copied": 0, "files_skipped": skipped, "bytes_copied": 0}
    return {"files_copied": len(copied), "files_skipped": skipped, "bytes_copied": size}


if __name__ == "__main__":
    sys.exit(runtime.main(PROGRAM, sync))
