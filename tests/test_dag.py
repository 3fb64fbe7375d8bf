"""The pure graph functions: layers, order, downstream closure, cycles and the layout."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from jupyter_batch import dag
from jupyter_batch.errors import CycleError, InvalidInput

DIAMOND = (["a", "b", "c", "d"], [("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")])


def random_dag(n: int, seed: int, edges_per_node: int = 2) -> tuple[list[str], list[dag.Edge]]:
    """``n`` nodes in a shuffled order, edges only from a lower to a higher hidden rank."""
    rng = random.Random(seed)
    ranked = [f"n{i}" for i in range(n)]
    edges = set()
    for i in range(1, n):
        for _ in range(edges_per_node):
            edges.add((ranked[rng.randrange(max(0, i - 20), i)], ranked[i]))
    nodes = ranked[:]
    rng.shuffle(nodes)
    return nodes, sorted(edges)


def test_layers_put_each_node_below_its_deepest_upstream() -> None:
    nodes = ["e", "d", "c", "b", "a"]
    edges = [("a", "b"), ("b", "c"), ("a", "c"), ("c", "d"), ("a", "e")]

    assert dag.layers(nodes, edges) == [["a"], ["e", "b"], ["c"], ["d"]]


def test_layers_keep_the_given_order_inside_a_layer() -> None:
    nodes, edges = DIAMOND

    assert dag.layers(nodes, edges) == [["a"], ["b", "c"], ["d"]]
    assert dag.layers(["d", "c", "b", "a"], edges) == [["a"], ["c", "b"], ["d"]]


def test_nodes_without_edges_are_in_the_first_layer() -> None:
    assert dag.layers(["x", "y"], []) == [["x", "y"]]
    assert dag.layers([], []) == []


def test_topological_order_puts_every_upstream_first() -> None:
    nodes, edges = random_dag(300, seed=1)

    order = dag.topological_order(nodes, edges)

    assert sorted(order) == sorted(nodes)
    position = {n: i for i, n in enumerate(order)}
    assert all(position[u] < position[v] for u, v in edges)


def test_a_cycle_is_an_error_listing_its_nodes_in_order() -> None:
    edges = [("start", "a"), ("a", "b"), ("b", "c"), ("c", "a")]

    with pytest.raises(CycleError) as raised:
        dag.layers(["start", "a", "b", "c"], edges)

    assert raised.value.cycle == ["a", "b", "c"]
    assert str(raised.value) == "relations form a cycle: a -> b -> c -> a"
    assert isinstance(raised.value, InvalidInput)


def test_find_cycle_answers_none_for_a_dag() -> None:
    assert dag.find_cycle(*DIAMOND) is None
    assert dag.find_cycle(["a"], [("a", "a")]) == ["a"]


def test_layout_and_order_refuse_a_cycle_too() -> None:
    with pytest.raises(CycleError):
        dag.topological_order("ab", [("a", "b"), ("b", "a")])
    with pytest.raises(CycleError):
        dag.layout("ab", [("a", "b"), ("b", "a")])


# --- downstream closure --------------------------------------------------------------------

#: b -> c does not cross on a rerun; c is reachable from b only through it.
RERUN_EDGES = [("a", "b"), ("b", "c"), ("b", "d"), ("d", "e"), ("x", "c"), ("c", "f")]
NOT_CROSSING = {("b", "c")}


def crosses(edge: dag.Edge) -> bool:
    return edge not in NOT_CROSSING


def test_downstream_closure_follows_every_edge_without_a_filter() -> None:
    assert dag.downstream_closure(RERUN_EDGES, "b") == {"b", "c", "d", "e", "f"}
    assert dag.downstream_closure(RERUN_EDGES, "a") == {"a", "b", "c", "d", "e", "f"}


def test_downstream_closure_of_a_leaf_is_itself() -> None:
    assert dag.downstream_closure(RERUN_EDGES, "f") == {"f"}
    assert dag.downstream_closure([], "lonely") == {"lonely"}


def test_a_node_reachable_only_through_a_non_crossing_edge_is_left_out() -> None:
    assert dag.downstream_closure(RERUN_EDGES, "b", crosses) == {"b", "d", "e"}


def test_a_node_also_reachable_another_way_is_kept() -> None:
    edges = [*RERUN_EDGES, ("e", "c")]

    assert dag.downstream_closure(edges, "b", crosses) == {"b", "c", "d", "e", "f"}


def test_the_start_node_is_kept_even_when_only_a_non_crossing_edge_leads_to_it() -> None:
    assert dag.downstream_closure(RERUN_EDGES, "c", crosses) == {"c", "f"}


# --- layout ----------------------------------------------------------------------------------


def naive_points(nodes: list[str], edges: list[dag.Edge]) -> dict[str, dag.Point]:
    """Layers in the given order, centred like the layout: what barycenter must beat."""
    ranks = dag.layers(nodes, edges)
    widest = max(len(layer) for layer in ranks)
    return {n: dag.Point(float(x), (widest - len(layer)) / 2 + i)
            for x, layer in enumerate(ranks) for i, n in enumerate(layer)}


def test_layout_gives_every_node_a_point_in_its_layer() -> None:
    nodes, edges = random_dag(200, seed=2)

    points = dag.layout(nodes, edges)

    assert set(points) == set(nodes)
    for x, layer in enumerate(dag.layers(nodes, edges)):
        assert {points[n].x for n in layer} == {float(x)}
    assert all(points[u].x < points[v].x for u, v in edges)


def test_nodes_in_the_same_layer_never_share_a_point() -> None:
    nodes, edges = random_dag(200, seed=3)

    points = dag.layout(nodes, edges)

    shared = [p for p, count in Counter(points.values()).items() if count > 1]
    assert shared == []


def test_layers_are_centred_on_the_widest() -> None:
    points = dag.layout(*DIAMOND)

    assert (points["a"], points["d"]) == (dag.Point(0.0, 0.5), dag.Point(2.0, 0.5))
    assert sorted(points[n].y for n in "bc") == [0.0, 1.0]


def test_barycenter_ordering_untangles_a_crossed_graph() -> None:
    # given in an order where every edge between the layers crosses another
    nodes = ["a", "b", "c", "z", "y", "x"]
    edges = [("a", "x"), ("b", "y"), ("c", "z")]

    assert dag.count_crossings(naive_points(nodes, edges), edges) == 3
    assert dag.count_crossings(dag.layout(nodes, edges), edges) == 0


def test_the_layout_has_fewer_crossings_than_the_input_order() -> None:
    nodes, edges = random_dag(150, seed=4, edges_per_node=2)

    before = dag.count_crossings(naive_points(nodes, edges), edges)
    after = dag.count_crossings(dag.layout(nodes, edges), edges)

    assert before > 0
    assert after < before * 0.8, (before, after)


def test_zero_sweeps_is_the_input_order() -> None:
    nodes, edges = random_dag(60, seed=5)

    assert dag.layout(nodes, edges, sweeps=0) == naive_points(nodes, edges)


def test_count_crossings_counts_pairs_between_adjacent_layers() -> None:
    p = dag.Point
    points = {"a": p(0, 0), "b": p(0, 1), "c": p(1, 0), "d": p(1, 1), "e": p(2, 0)}

    assert dag.count_crossings(points, [("a", "d"), ("b", "c")]) == 1
    assert dag.count_crossings(points, [("a", "c"), ("b", "d")]) == 0
    # an edge spanning two layers is not compared
    assert dag.count_crossings(points, [("a", "e"), ("b", "c")]) == 0
