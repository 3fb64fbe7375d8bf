"""The local executor looks a bare program name up in PATH once and remembers it:
real executables in real folders, started through the executor."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from jupyter_batch.executors.local import LocalExecutor
from jupyter_batch.model.process import ProcessSpec


def _program(folder: Path, name: str, says: str) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(f"#!/bin/sh\necho {says}\n")
    path.chmod(0o755)
    return path


def _run(executor: LocalExecutor, tmp_path: Path, argv: list[str], n: int) -> str:
    log = tmp_path / f"{n}.log"
    result = executor.start(ProcessSpec(argv=argv, cwd=tmp_path, log_path=log)).wait()
    assert result.exit_code == 0, log.read_text()
    return log.read_text().strip()


@pytest.fixture
def two_folders(tmp_path: Path) -> tuple[Path, Path]:
    return tmp_path / "first", tmp_path / "second"


def test_a_program_found_by_name_is_started_from_the_first_path_folder_holding_it(
        tmp_path: Path, two_folders: tuple[Path, Path]) -> None:
    first, second = two_folders
    _program(first, "greet", "first")
    _program(second, "greet", "second")
    executor = LocalExecutor(base_env={"PATH": f"{first}{os.pathsep}{second}"})
    try:
        assert [_run(executor, tmp_path, ["greet"], n) for n in range(2)] == ["first"] * 2
    finally:
        executor.close()


def test_a_remembered_program_that_went_away_is_looked_up_again(
        tmp_path: Path, two_folders: tuple[Path, Path]) -> None:
    first, second = two_folders
    gone = _program(first, "greet", "first")
    _program(second, "greet", "second")
    executor = LocalExecutor(base_env={"PATH": f"{first}{os.pathsep}{second}"})
    try:
        assert _run(executor, tmp_path, ["greet"], 1) == "first"
        gone.unlink()
        assert _run(executor, tmp_path, ["greet"], 2) == "second"
    finally:
        executor.close()


def test_a_program_missing_from_path_is_not_taken_from_the_working_directory(
        tmp_path: Path) -> None:
    _program(tmp_path, "local-only", "cwd")
    executor = LocalExecutor(base_env={"PATH": str(tmp_path / "empty")})
    try:
        with pytest.raises(FileNotFoundError, match="local-only"):
            executor.start(ProcessSpec(argv=["local-only"], cwd=tmp_path,
                                       log_path=tmp_path / "x.log"))
    finally:
        executor.close()
