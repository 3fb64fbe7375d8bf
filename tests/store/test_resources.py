"""Versioned resources: numbered immutable versions, content stored once by sha256 and
verified when read, safe names, diffs, and no half-written version when a write fails."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import nbformat
import pytest
from sqlalchemy.exc import DBAPIError

from jupyter_batch.errors import CorruptBlob, InvalidInput, NotFound
from jupyter_batch.model.resource import FORMATS
from jupyter_batch.service import BatchService
from jupyter_batch.store import Store

Sql = Callable[..., list[tuple[Any, ...]]]


def blob_files(data_dir: Path) -> list[Path]:
    return sorted(p for p in (data_dir / "blobs").rglob("*") if p.is_file())


def blob_of(data_dir: Path, content: bytes) -> Path:
    sha = hashlib.sha256(content).hexdigest()
    (path,) = [p for p in blob_files(data_dir) if p.name == sha]
    return path


# --- versions ----------------------------------------------------------------------------


def test_each_new_content_is_the_next_version_with_message_author_and_time(
        store: Store) -> None:
    before = datetime.now(timezone.utc)
    added = [store.resources.add("clean.py", f"print({i})\n".encode(), f"change {i}",
                                 f"author{i}") for i in (1, 2, 3)]
    after = datetime.now(timezone.utc)

    assert [a.created for a in added] == [True, True, True]
    assert [a.version.version for a in added] == [1, 2, 3]
    versions = store.resources.versions("clean.py")
    assert [(v.version, v.message, v.author) for v in versions] == [
        (1, "change 1", "author1"), (2, "change 2", "author2"), (3, "change 3", "author3")]
    assert [v.ref for v in versions] == ["clean.py@1", "clean.py@2", "clean.py@3"]
    times = [v.created_at for v in versions]
    assert times == sorted(times)
    assert all(before <= t <= after and t.tzinfo is not None for t in times)
    assert [a.version for a in added] == versions


def test_a_version_keeps_its_content(store: Store) -> None:
    for i in (1, 2, 3):
        store.resources.add("q.sql", f"select {i};".encode(), "", "me")

    assert [store.resources.read("q.sql", n)[1] for n in (1, 2, 3)] == [
        b"select 1;", b"select 2;", b"select 3;"]
    latest, content = store.resources.read("q.sql")
    assert (latest.version, content) == (3, b"select 3;")
    assert store.resources.latest_version("q.sql") == 3
    assert store.resources.latest_version("other.sql") is None


def test_binary_content_comes_back_byte_for_byte(store: Store) -> None:
    content = bytes(range(256)) * 40

    v = store.resources.add("tool.jar", content, "", "me").version

    assert (v.size, v.sha256) == (len(content), hashlib.sha256(content).hexdigest())
    assert store.resources.read("tool.jar", 1)[1] == content


def test_content_identical_to_the_latest_makes_no_new_version(store: Store) -> None:
    first = store.resources.add("run.sh", b"echo 1\n", "first", "ann").version

    again = store.resources.add("run.sh", b"echo 1\n", "again", "bob")

    assert again.created is False
    assert again.version == first
    assert [v.version for v in store.resources.versions("run.sh")] == [1]


def test_content_equal_to_an_older_version_is_a_new_version(store: Store) -> None:
    store.resources.add("run.sh", b"echo 1\n", "", "me")
    store.resources.add("run.sh", b"echo 2\n", "", "me")

    back = store.resources.add("run.sh", b"echo 1\n", "revert", "me")

    assert (back.created, back.version.version) == (True, 3)
    assert back.version.sha256 == store.resources.version("run.sh", 1).sha256


def test_list_shows_each_resource_with_its_format_and_latest_version(store: Store) -> None:
    store.resources.add("b.ipynb", b"{}", "", "me")
    store.resources.add("a.tar.gz", b"\x1f\x8b", "", "me")
    store.resources.add("a.tar.gz", b"\x1f\x8b\x08", "", "me")

    listed = store.resources.list()

    assert [(r.name, r.format, r.latest_version) for r in listed] == [
        ("a.tar.gz", "tar.gz", 2), ("b.ipynb", "ipynb", 1)]
    assert listed[0].updated_at == store.resources.version("a.tar.gz", 2).created_at


# --- content stored once, verified when read --------------------------------------------------


def test_content_is_stored_once_by_sha256(store: Store, data_dir: Path) -> None:
    store.resources.add("one.py", b"shared = 1\n", "", "me")
    store.resources.add("two.py", b"shared = 1\n", "", "me")
    store.resources.add("one.py", b"own = 2\n", "", "me")

    files = blob_files(data_dir)

    assert len(files) == 2
    sha = hashlib.sha256(b"shared = 1\n").hexdigest()
    assert files[0].name == sha or files[1].name == sha
    assert store.resources.version("one.py", 1).sha256 == store.resources.version(
        "two.py", 1).sha256 == sha


@pytest.mark.parametrize("damage", [b"import os; os.remove('x')\n", b"print('HI')\n", b""],
                         ids=["other-content", "same-size", "emptied"])
def test_a_corrupted_blob_is_an_error_never_served(store: Store, data_dir: Path,
                                                   damage: bytes) -> None:
    store.resources.add("hi.py", b"print('hi')\n", "", "me")
    blob_of(data_dir, b"print('hi')\n").write_bytes(damage)

    with pytest.raises(CorruptBlob) as raised:
        store.resources.read("hi.py", 1)

    assert "resource hi.py@1" in str(raised.value)
    assert "does not match its sha256" in str(raised.value)
    # listing still works: only the content is refused
    assert store.resources.version("hi.py").version == 1


def test_a_missing_blob_is_an_error(store: Store, data_dir: Path) -> None:
    store.resources.add("hi.py", b"print('hi')\n", "", "me")
    blob_of(data_dir, b"print('hi')\n").unlink()

    with pytest.raises(CorruptBlob, match=r"resource hi.py@1: .* is missing"):
        store.resources.read("hi.py")


def test_adding_the_original_content_again_repairs_a_corrupted_blob(store: Store,
                                                                    data_dir: Path) -> None:
    store.resources.add("hi.py", b"print('hi')\n", "", "me")
    blob_of(data_dir, b"print('hi')\n").write_bytes(b"print('HI')\n")

    again = store.resources.add("hi.py", b"print('hi')\n", "", "me")

    assert again.created is False
    assert store.resources.read("hi.py")[1] == b"print('hi')\n"


# --- names -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "expected"), [
    ("a/b.py", "must be a plain file name, without '/'"),
    ("a\\b.py", "must be a plain file name"),
    ("../x.py", "must be a plain file name"),
    ("..x.py", "must not contain '..'"),
    ("x\x01.py", "contains control characters"),
    ("x\x7f.py", "contains control characters"),
    (".hidden.py", "must not start with '.'"),
    ("-rf.py", "must not start with '.' or '-'"),
    ("x@2.py", "must not contain '@'"),
    ("sp ace.py", "may use letters, digits"),
    ("y" * 198 + ".py", "at most 200 characters"),
    ("", "non-empty"),
    ("noext", "unsupported format"),
    ("x.exe", "unsupported format"),
    (".py", "must not start with '.'"),
])
def test_a_bad_name_is_refused_and_nothing_is_stored(store: Store, data_dir: Path, name: str,
                                                     expected: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        store.resources.add(name, b"content", "", "me")

    assert expected in str(raised.value)
    assert store.resources.list() == []
    assert blob_files(data_dir) == []


def test_the_format_message_lists_every_allowed_format(store: Store) -> None:
    with pytest.raises(InvalidInput) as raised:
        store.resources.add("x.exe", b"MZ", "", "me")

    assert str(raised.value) == ("resource 'x.exe' has an unsupported format; allowed formats: "
                                 "hql ipynb jar py sh sql tar tar.gz xml zip")
    assert set(str(raised.value).rsplit(": ", 1)[1].split()) == set(FORMATS)


@pytest.mark.parametrize(("name", "fmt"), [
    ("a.sh", "sh"), ("a.py", "py"), ("a.sql", "sql"), ("a.hql", "hql"), ("a.xml", "xml"),
    ("a.jar", "jar"), ("a.zip", "zip"), ("a.tar", "tar"), ("a.tar.gz", "tar.gz"),
    ("a.ipynb", "ipynb"), ("Report-v2.final.PY", "py"), ("x+y_z.sql", "sql"),
])
def test_every_allowed_format_is_accepted(store: Store, name: str, fmt: str) -> None:
    store.resources.add(name, b"x", "", "me")

    assert [(r.name, r.format) for r in store.resources.list()] == [(name, fmt)]


# --- not found -------------------------------------------------------------------------------


def test_an_unknown_resource_is_not_found(store: Store) -> None:
    for ask in (lambda: store.resources.versions("nope.py"),
                lambda: store.resources.version("nope.py"),
                lambda: store.resources.read("nope.py", 1)):
        with pytest.raises(NotFound, match=r"no resource named 'nope\.py'"):
            ask()


def test_an_unknown_version_is_not_found_and_says_the_latest(store: Store) -> None:
    store.resources.add("a.py", b"1", "", "me")
    store.resources.add("a.py", b"2", "", "me")

    with pytest.raises(NotFound) as raised:
        store.resources.read("a.py", 5)

    assert str(raised.value) == "resource 'a.py' has no version 5 (latest is 2)"


# --- diff ------------------------------------------------------------------------------------


def test_diff_of_two_text_versions(service: BatchService) -> None:
    service.add_resource("q.sql", b"select a\nfrom t\nwhere x = 1\n")
    service.add_resource("q.sql", b"select a, b\nfrom t\nwhere x = 1\n")

    assert service.diff_resource("q.sql", 1, 2) == (
        "--- q.sql@1\n+++ q.sql@2\n@@ -1,3 +1,3 @@\n"
        "-select a\n+select a, b\n from t\n where x = 1\n")
    assert service.diff_resource("q.sql", 2, 2) == ""


def test_diff_marks_a_missing_final_newline(service: BatchService) -> None:
    service.add_resource("run.sh", b"echo 1")
    service.add_resource("run.sh", b"echo 2")

    assert "\\ No newline at end of file\n" in service.diff_resource("run.sh", 1, 2)


def notebook(*sources: str, output: str = "") -> bytes:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Report")]
    nb.cells += [nbformat.v4.new_code_cell(s) for s in sources]
    if output:
        nb.cells[-1].outputs = [nbformat.v4.new_output("stream", text=output)]
    return nbformat.writes(nb).encode()


def test_diff_of_a_notebook_shows_its_cell_sources(service: BatchService) -> None:
    service.add_resource("report.ipynb", notebook("top = 10", "print(top)"))
    service.add_resource("report.ipynb", notebook("top = 20", "print(top)",
                                                  output="secret output 20"))

    diff = service.diff_resource("report.ipynb", 1, 2)

    assert "-top = 10\n+top = 20\n" in diff
    assert "# --- cell 2 (code) ---" in diff
    assert "secret output" not in diff and '"cell_type"' not in diff


def test_diff_of_a_jar_is_refused(service: BatchService) -> None:
    service.add_resource("tool.jar", b"PK\x03\x04one")
    service.add_resource("tool.jar", b"PK\x03\x04two")

    with pytest.raises(InvalidInput, match=r"'tool\.jar' is a jar resource; only text formats"):
        service.diff_resource("tool.jar", 1, 2)


def test_diff_of_an_unknown_version_is_not_found(service: BatchService) -> None:
    service.add_resource("a.py", b"1")

    with pytest.raises(NotFound, match="no version 2"):
        service.diff_resource("a.py", 1, 2)


# --- a failed write leaves nothing half-written -----------------------------------------------


def test_a_failed_write_leaves_no_resource_and_no_version(
        store: Store, sql: Sql, failing_inserts: Callable[[str], Callable[[], None]]) -> None:
    store.resources.add("old.py", b"v1", "", "me")
    lift = failing_inserts("resource_versions")

    with pytest.raises(DBAPIError, match="injected failure"):
        store.resources.add("new.py", b"fresh", "", "me")
    with pytest.raises(DBAPIError, match="injected failure"):
        store.resources.add("old.py", b"v2", "", "me")

    # the resource row written before the failing version row was rolled back with it
    assert sql("SELECT name FROM resources ORDER BY name") == [("old.py",)]
    assert sql("SELECT version FROM resource_versions") == [(1,)]
    assert store.resources.latest_version("new.py") is None

    lift()
    assert store.resources.add("old.py", b"v2", "", "me").version.version == 2
    assert store.resources.add("new.py", b"fresh", "", "me").version.version == 1
    assert store.resources.read("new.py")[1] == b"fresh"
