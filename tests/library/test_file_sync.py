"""file_sync run for real: between local folders and to and from a real S3-compatible
server on loopback — the first run copies, a second with nothing changed copies nothing,
a changed file is copied again, include/exclude choose, checksum mode sees content."""

from __future__ import annotations

import os
from pathlib import Path

from jupyter_batch.model.states import RunState
from jupyter_batch.service import BatchService
from tests.library.conftest import S3
from tests.library.support import outputs, report, run, use

FILES = {"a.csv": "id\n1\n", "sub/b.csv": "id\n2\n3\n", "sub/notes.txt": "hello\n",
         "tmp/c.csv": "scratch\n"}


def tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def contents(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
            for p in sorted(root.rglob("*")) if p.is_file()}


def mtimes(root: Path) -> dict[str, int]:
    return {p.relative_to(root).as_posix(): p.stat().st_mtime_ns
            for p in root.rglob("*") if p.is_file()}


def sync(service: BatchService, workflow: str) -> tuple[dict[str, str], list[str]]:
    """Run the file_sync workflow; its outputs and report."""
    done = run(service, workflow)
    lines = report(service, done)
    assert done.state == RunState.SUCCESS, lines
    return outputs(done), lines


def bump(path: Path, text: str | None = None, seconds: int = 5) -> None:
    """Change a file (its content, if given) and date it ``seconds`` into the future."""
    if text is not None:
        path.write_text(text, encoding="utf-8")
    later = path.stat().st_mtime + seconds
    os.utime(path, (later, later))


def test_local_sync_copies_then_copies_nothing_then_only_what_changed(
        service: BatchService, tmp_path: Path) -> None:
    source = tree(tmp_path / "src", FILES)
    target = tmp_path / "dst"
    wf = use(service, "file_sync", {"source": str(source), "target": str(target)})

    first, lines = sync(service, wf)
    assert first == {"files_copied": "4", "files_skipped": "0", "bytes_copied": "26"}
    assert "copied sub/b.csv (7 bytes, verified)" in lines
    assert contents(target) == FILES

    before = mtimes(target)
    second, lines = sync(service, wf)
    assert second == {"files_copied": "0", "files_skipped": "4", "bytes_copied": "0"}
    assert [line for line in lines if line.startswith("skipped")] == [
        "skipped a.csv (unchanged)", "skipped sub/b.csv (unchanged)",
        "skipped sub/notes.txt (unchanged)", "skipped tmp/c.csv (unchanged)"]
    assert lines[-1] == "copied 0 files (0 bytes), skipped 4 unchanged, 0 not selected"
    assert mtimes(target) == before

    bump(source / "sub" / "b.csv", "id\n2\n3\n4\n")  # grown
    bump(source / "a.csv", "id\n9\n")  # same size, newer
    third, lines = sync(service, wf)
    assert third == {"files_copied": "2", "files_skipped": "2", "bytes_copied": "14"}
    assert contents(target) == {**FILES, "a.csv": "id\n9\n", "sub/b.csv": "id\n2\n3\n4\n"}
    assert mtimes(target)["sub/notes.txt"] == before["sub/notes.txt"]


def test_include_and_exclude_patterns_choose_the_files(service: BatchService,
                                                       tmp_path: Path) -> None:
    source = tree(tmp_path / "src", FILES)
    target = tmp_path / "dst"
    out, lines = sync(service, use(service, "file_sync", {
        "source": str(source), "target": str(target), "include": "*.csv",
        "exclude": ["tmp/*"]}))

    assert sorted(contents(target)) == ["a.csv", "sub/b.csv"]
    assert out["files_copied"] == "2"
    assert lines[-1] == "copied 2 files (12 bytes), skipped 0 unchanged, 2 not selected"


def test_checksum_mode_sees_a_change_that_size_and_time_do_not(service: BatchService,
                                                               tmp_path: Path) -> None:
    source = tree(tmp_path / "src", {"a.csv": "id\n1\n"})
    target = tree(tmp_path / "dst", {"a.csv": "id\n2\n"})  # same size, written later
    bump(target / "a.csv")
    by_time, _ = sync(service, use(service, "file_sync", {
        "source": str(source), "target": str(target)}))
    assert by_time["files_copied"] == "0"
    assert contents(target) == {"a.csv": "id\n2\n"}

    wf = use(service, "file_sync", {"source": str(source), "target": str(target),
                                    "compare": "checksum"})
    by_content, lines = sync(service, wf)
    assert by_content["files_copied"] == "1"
    assert "copied a.csv (5 bytes, verified)" in lines
    assert contents(target) == {"a.csv": "id\n1\n"}
    assert sync(service, wf)[0]["files_copied"] == "0"


def test_a_single_file_and_a_dry_run(service: BatchService, tmp_path: Path) -> None:
    source = tree(tmp_path / "src", FILES)
    target = tmp_path / "dst"
    dry, lines = sync(service, use(service, "file_sync", {
        "source": str(source), "target": str(target), "dry_run": "true"}))
    assert dry == {"files_copied": "0", "files_skipped": "0", "bytes_copied": "0"}
    assert "would copy a.csv (5 bytes)" in lines
    assert not target.exists()

    single, _ = sync(service, use(service, "file_sync", {
        "source": str(source / "sub" / "b.csv"), "target": str(target)}))
    assert single["files_copied"] == "1"
    assert contents(target) == {"b.csv": FILES["sub/b.csv"]}


def test_a_missing_source_or_backend_fails_with_what_to_do(service: BatchService,
                                                           tmp_path: Path) -> None:
    missing = run(service, use(service, "file_sync", {
        "source": str(tmp_path / "nothing"), "target": str(tmp_path / "dst")}))
    no_backend = run(service, use(service, "file_sync", {
        "source": str(tmp_path), "target": "gs://bucket/folder"}))

    assert missing.state == RunState.FAILED
    assert report(service, missing)[-1] == f"error: {tmp_path / 'nothing'} does not exist"
    assert no_backend.state == RunState.FAILED
    assert report(service, no_backend)[-1] == (
        "error: gs://bucket/folder: the gs:// backend is not installed: "
        "pip install 'jupyter-batch[gcs]'")




def test_to_and_from_s3_nothing_changed_means_nothing_copied(
        service: BatchService, tmp_path: Path, s3: S3) -> None:
    source = tree(tmp_path / "src", FILES)
    up = use(service, "file_sync", {"source": str(source), "target": s3.url("landing"),
                                    "target_options": s3.options, "exclude": "*.txt"})

    first, _ = sync(service, up)
    fs = s3.fs()
    assert first["files_copied"] == "3"
    assert sorted(fs.find(f"{s3.bucket}/landing")) == [
        f"{s3.bucket}/landing/a.csv", f"{s3.bucket}/landing/sub/b.csv",
        f"{s3.bucket}/landing/tmp/c.csv"]
    assert fs.cat(f"{s3.bucket}/landing/sub/b.csv") == b"id\n2\n3\n"
    stamps = {k: v["LastModified"] for k, v in fs.find(f"{s3.bucket}/landing",
                                                       detail=True).items()}

    second, lines = sync(service, up)
    assert second == {"files_copied": "0", "files_skipped": "3", "bytes_copied": "0"}
    fs.invalidate_cache()
    assert {k: v["LastModified"] for k, v in fs.find(f"{s3.bucket}/landing",
                                                     detail=True).items()} == stamps

    bump(source / "a.csv", "id\n1\n2\n")
    third, lines = sync(service, up)
    assert third["files_copied"] == "1"
    assert "copied a.csv (7 bytes, verified)" in lines
    assert fs.cat(f"{s3.bucket}/landing/a.csv") == b"id\n1\n2\n"

    down = use(service, "file_sync", {"source": s3.url("landing/sub"),
                                      "target": str(tmp_path / "down"),
                                      "source_options": s3.options, "compare": "checksum"})
    assert sync(service, down)[0]["files_copied"] == "1"
    assert contents(tmp_path / "down") == {"b.csv": "id\n2\n3\n"}
    assert sync(service, down)[0]["files_copied"] == "0"
