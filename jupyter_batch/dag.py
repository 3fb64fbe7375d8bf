"""Pure graph functions on a workflow's nodes and relations (networkx underneath).

Every function takes plain node ids and ``(upstream, downstream)`` edges, so the
engine, the store and the front ends share one answer. A cycle is an error
(``CycleError``), never a ``None``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import networkx as nx

from .errors import CycleError
from .model.workflow import Workflow

Edge = tuple[str, str]


def graph(nodes: Iterable[str], edges: Iterable[Edge]) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_nodes_from(nodes)
    g.add_edges_from(edges)
    return g


def find_cycle(nodes: Iterable[str], edges: Iterable[Edge]) -> list[str] | None:
    """The nodes of one cycle in order, or None when the graph is a DAG.

    >>> find_cycle("abc", [("a", "b"), ("b", "c"), ("c", "a")])
    ['a', 'b', 'c']
    """
    g = graph(nodes, edges)
    # nx.find_cycle walks a big DAG many times over; a topological sort answers the
    # common case (no cycle) in linear time
    if nx.is_directed_acyclic_graph(g):
        return None
    try:
        cycle_edges = nx.find_cycle(g)
    except nx.NetworkXNoCycle:
        return None
    return [u for u, _v, *_ in cycle_edges]


def layers(nodes: Iterable[str], edges: Iterable[Edge]) -> list[list[str]]:
    """Topological layers: each node sits one layer below its deepest upstream.

    Within a layer, nodes keep the order they were given in.

    >>> layers("abcd", [("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")])
    [['a'], ['b', 'c'], ['d']]
    """
    node_list = list(nodes)
    g = graph(node_list, edges)
    order = {n: i for i, n in enumerate(node_list)}
    try:
        return [sorted(gen, key=order.__getitem__) for gen in nx.topological_generations(g)]
    except nx.NetworkXUnfeasible:
        raise CycleError(find_cycle(node_list, g.edges) or []) from None


def topological_order(nodes: Iterable[str], edges: Iterable[Edge]) -> list[str]:
    """All nodes, upstreams first (layer by layer)."""
    return [n for layer in layers(nodes, edges) for n in layer]


def downstream_closure(
    edges: Iterable[Edge], start: str, crosses: Callable[[Edge], bool] | None = None
) -> set[str]:
    """``start`` and every node below it, following only edges for which ``crosses`` is
    true (all edges when it is None).

    A node that can be reached only through a non-crossing edge is left out; one that
    is also reachable another way is kept.

    >>> sorted(downstream_closure([("a", "b"), ("b", "c"), ("a", "d")], "b"))
    ['b', 'c']
    """
    g = graph([start], (e for e in edges if crosses is None or crosses(e)))
    return {start} | nx.descendants(g, start)


@dataclass(frozen=True)
class Point:
    x: float
    y: float


def layout(nodes: Iterable[str], edges: Iterable[Edge], sweeps: int = 4) -> dict[str, Point]:
    """A layered left-to-right layout: ``x`` is the layer, ``y`` the row inside it.

    Rows are ordered by the barycenter heuristic (alternating down and up sweeps, each
    node moved to the mean row of its neighbours in the layer just swept), which removes
    most edge crossings at a cost linear in the edges per sweep. Layers are centred on
    the widest one. Coordinates are in grid units; front ends scale them.
    """
    node_list = list(nodes)
    edge_list = list(edges)
    ranks = layers(node_list, edge_list)
    preds: dict[str, list[str]] = {n: [] for n in node_list}
    succs: dict[str, list[str]] = {n: [] for n in node_list}
    for u, v in edge_list:
        succs[u].append(v)
        preds[v].append(u)
    row = {n: float(i) for layer in ranks for i, n in enumerate(layer)}

    def reorder(layer: list[str], neighbours: dict[str, list[str]]) -> None:
        def key(n: str) -> float:
            near = neighbours[n]
            return sum(row[m] for m in near) / len(near) if near else row[n]

        layer.sort(key=key)
        for i, n in enumerate(layer):
            row[n] = float(i)

    for sweep in range(sweeps):
        if sweep % 2 == 0:
            for layer in ranks[1:]:
                reorder(layer, preds)
        else:
            for layer in reversed(ranks[:-1]):
                reorder(layer, succs)
    widest = max((len(layer) for layer in ranks), default=0)
    points = {}
    for x, layer in enumerate(ranks):
        offset = (widest - len(layer)) / 2
        for i, n in enumerate(layer):
            points[n] = Point(float(x), offset + i)
    return points


def count_crossings(points: dict[str, Point], edges: Iterable[Edge]) -> int:
    """How many pairs of edges between adjacent layers cross (to measure a layout)."""
    by_layer: dict[float, list[tuple[float, float]]] = {}
    for u, v in edges:
        pu, pv = points[u], points[v]
        if pv.x - pu.x == 1:
            by_layer.setdefault(pu.x, []).append((pu.y, pv.y))
    crossings = 0
    for segs in by_layer.values():
        for i, (a1, b1) in enumerate(segs):
            for a2, b2 in segs[i + 1:]:
                if (a1 - a2) * (b1 - b2) < 0:
                    crossings += 1
    return crossings


def ancestors(g: nx.DiGraph, node: str) -> set[str]:
    """Every node above ``node`` in ``g`` (not ``node`` itself)."""
    return nx.ancestors(g, node)


def workflow_layout(wf: Workflow) -> dict[str, Any]:
    """A workflow as the widget and the side panel draw it: nodes (id, kind, type, x, y)
    and relations, positioned by ``layout``."""
    points = layout(wf.node_ids, wf.edges)
    nodes = [{"id": r.id, "kind": "reference", "type": "reference", "workflow": r.workflow,
              "x": points[r.id].x, "y": points[r.id].y} for r in wf.references]
    nodes += [{"id": t.id, "kind": "task", "type": t.type, "x": points[t.id].x,
               "y": points[t.id].y} for t in wf.tasks]
    edges = [{"from": r.upstream, "to": r.downstream, "rerun": r.crosses_on_rerun}
             for r in wf.relations]
    return {"name": wf.name, "nodes": nodes, "edges": edges}
