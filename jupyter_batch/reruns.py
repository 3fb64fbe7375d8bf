"""Which nodes a rerun or a recovery runs: pure functions of the definition and states."""

from __future__ import annotations

from collections.abc import Mapping

from . import dag
from .errors import NotFound
from .model.states import TASK_FINISHED, TaskState
from .model.workflow import Workflow

#: states that "recover" runs again: what failed, what never ran because of it, what
#: was cancelled, and what was left unfinished by an interrupted run
RECOVERABLE = frozenset({TaskState.FAILED, TaskState.UPSTREAM_FAILED, TaskState.CANCELLED})


def _crossing(wf: Workflow) -> set[tuple[str, str]]:
    return {(r.upstream, r.downstream) for r in wf.relations if r.crosses_on_rerun}


def rerun_nodes(wf: Workflow, node: str, downstream: bool) -> set[str]:
    """``node`` alone, or with everything below it reached through relations whose
    ``rerun`` switch is on (a node reached only through a switched-off relation, and
    what lies only below it, is left out)."""
    if node not in wf.node_ids:
        raise NotFound(f"workflow {wf.name!r} has no task {node!r}")
    if not downstream:
        return {node}
    crossing = _crossing(wf)
    return dag.downstream_closure(wf.edges, node, crosses=crossing.__contains__)


def recover_nodes(wf: Workflow, states: Mapping[str, TaskState]) -> set[str]:
    """Every node that failed, was cancelled or left unfinished, and what depends on it
    (through relations whose ``rerun`` switch is on)."""
    crossing = _crossing(wf)
    chosen: set[str] = set()
    for node in wf.node_ids:
        state = states.get(node, TaskState.PENDING)
        if state in RECOVERABLE or state not in TASK_FINISHED:
            chosen |= dag.downstream_closure(wf.edges, node, crosses=crossing.__contains__)
    return chosen
