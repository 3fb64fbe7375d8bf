"""A widget's copy of a run, kept from change events alone, ends where the store does —
also when the events crossed a transport that drops the attempt flags (the REST events
carry state, attempt, exit code and message only)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from jupyter_batch.model.changes import Change, TaskChange
from jupyter_batch.model.records import TaskAttempt, TaskRun
from jupyter_batch.service import BatchService
from jupyter_batch.widgets.changes import attempts_after, task_run_after
from tests.engine_fixtures import PATIENCE, flow, q, shell
from tests.widgets import source_adapter
from tests.widgets.source_adapter import ServiceSource

source = source_adapter.source
scratch = source_adapter.scratch


def _as_sent_over_rest(change: TaskChange) -> TaskChange:
    return replace(change, attempt_started=False, attempt_ended=False, log_path=None,
                   outputs=None)


def test_changes_fold_into_what_the_store_holds(source: ServiceSource, service: BatchService,
                                                scratch: Path) -> None:
    marker = scratch / "failed-once"
    seen: list[Change] = []
    unsubscribe = service.subscribe(seen.append)
    try:
        run_id = source.prerun(flow("folded", [
            shell("a", "echo a"),
            shell("b", f"[ -e {q(marker)} ] || {{ touch {q(marker)}; exit 4; }}", retries=1),
            shell("c", "exit 1"), shell("d", "echo never")],
            [("a", "b"), ("b", "c"), ("c", "d")]))
        service.wait_run(run_id, timeout=PATIENCE)
        source.rerun(run_id, "a", downstream=False)
        service.wait_run(run_id, timeout=PATIENCE)
    finally:
        unsubscribe()
    run = source.get_run(run_id)
    changes = [c for c in seen if isinstance(c, TaskChange)]

    for sent in (changes, [_as_sent_over_rest(c) for c in changes]):
        task_runs: dict[str, TaskRun] = {}
        attempts: dict[str, list[TaskAttempt]] = {}
        for change in sent:
            task_runs[change.task_id] = task_run_after(task_runs.get(change.task_id), change)
            attempts[change.task_id] = attempts_after(attempts.get(change.task_id, []), change)
        for stored in run.tasks:
            kept = task_runs[stored.task_id]
            assert (kept.state, kept.attempt, kept.started_at, kept.ended_at, kept.exit_code,
                    kept.message) == (stored.state, stored.attempt, stored.started_at,
                                      stored.ended_at, stored.exit_code, stored.message)
            assert [replace(a, log_path=None) for a in attempts.get(stored.task_id, [])] == [
                replace(a, log_path=None)
                for a in source.task_attempts(run_id, stored.task_id)], stored.task_id
    assert [a.attempt for a in attempts["a"]] == [1, 2]
    assert [a.state.value for a in attempts["b"]] == ["failed", "success"]
    assert task_runs["d"].state.value == "upstream_failed" and attempts.get("d", []) == []
