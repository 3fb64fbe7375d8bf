"""How fast a big workflow validates and lays out, against a raw networkx baseline.

    .venv/bin/python bench/dag.py [--nodes 5000] [--edges-per-node 2] [--seed 1] [--repeat 5]

Builds a random (seeded) DAG of shell tasks with about ``--edges-per-node`` upstreams per
node, then times, best of ``--repeat``:

- ``validate``: ``jupyter_batch.validation.validate`` with the real task specs and a
  resource lookup, i.e. everything ``workflow validate`` does after reading the file;
- ``layout``: ``jupyter_batch.dag.layout`` (layers + barycenter sweeps);
- ``baseline``: networkx's ``topological_generations`` alone on the same graph, the least
  any layered answer has to cost.

The goal (issue 2): a 5,000-node DAG validates and lays out in well under a second.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from typing import Any

import networkx as nx

from jupyter_batch import dag
from jupyter_batch.model.workflow import Relation, Task, Workflow
from jupyter_batch.tasks.registry import specs
from jupyter_batch.validation import ValidationContext, validate

GOAL_SECONDS = 1.0


def build(nodes: int, edges_per_node: int, seed: int) -> Workflow:
    """A DAG whose node ``i`` has up to ``edges_per_node`` upstreams among the 100 nodes
    before it (so it is deep as well as wide), listed in a shuffled order."""
    rng = random.Random(seed)
    ids = [f"t{i:05d}" for i in range(nodes)]
    edges: set[tuple[str, str]] = set()
    for i in range(1, nodes):
        for _ in range(edges_per_node):
            edges.add((ids[rng.randrange(max(0, i - 100), i)], ids[i]))
    order = ids[:]
    rng.shuffle(order)
    tasks = [Task(id=i, type="shell", command=f"echo {i}") for i in order]
    return Workflow(name="bench", tasks=tasks,
                    relations=[Relation(u, v) for u, v in sorted(edges)])


def best_of(repeat: int, work: Callable[[], Any]) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - start)
    return best, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nodes", type=int, default=5000)
    parser.add_argument("--edges-per-node", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    wf = build(args.nodes, args.edges_per_node, args.seed)
    nodes, edges = wf.node_ids, wf.edges
    ctx = ValidationContext(task_types=specs(), latest_version=lambda name: None)

    t_validate, problems = best_of(args.repeat, lambda: validate(wf, ctx))
    if problems:
        raise SystemExit(f"the benchmark workflow is invalid: {problems[:3]}")
    t_layout, points = best_of(args.repeat, lambda: dag.layout(nodes, edges))
    def baseline() -> list[list[str]]:
        g = nx.DiGraph()
        g.add_nodes_from(nodes)
        g.add_edges_from(edges)
        return list(nx.topological_generations(g))

    t_base, generations = best_of(args.repeat, baseline)

    total = t_validate + t_layout
    print(f"DAG: {len(nodes)} nodes, {len(edges)} edges, {len(generations)} layers, "
          f"{dag.count_crossings(points, edges)} crossings (seed {args.seed}, "
          f"best of {args.repeat})")
    print(f"validate  {t_validate * 1000:9.1f} ms   {t_validate / t_base:6.1f}x baseline")
    print(f"layout    {t_layout * 1000:9.1f} ms   {t_layout / t_base:6.1f}x baseline")
    print(f"baseline  {t_base * 1000:9.1f} ms   networkx topological_generations alone")
    verdict = "within" if total < GOAL_SECONDS else "OVER"
    print(f"validate + layout {total * 1000:.1f} ms: {verdict} the {GOAL_SECONDS:g} s goal")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
