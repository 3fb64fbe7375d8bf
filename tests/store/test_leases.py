"""Leases in the database (the scheduler's leadership), on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time

from jupyter_batch.store import Store


def test_a_free_lease_is_taken_renewed_and_refused_to_others(store: Store) -> None:
    assert store.leases.state("scheduler") is None

    assert store.leases.hold("scheduler", "a", ttl=30)
    assert store.leases.hold("scheduler", "a", ttl=30)  # a renewal
    assert not store.leases.hold("scheduler", "b", ttl=30)

    state = store.leases.state("scheduler")
    assert state is not None and state.holder == "a"
    assert 29 < state.seconds_left <= 30


def test_an_expired_lease_is_taken_over_and_its_old_holder_is_refused(store: Store) -> None:
    assert store.leases.hold("scheduler", "a", ttl=0.2)
    time.sleep(0.3)  # a holds it no longer: it stopped renewing

    assert store.leases.state("scheduler") is None
    assert store.leases.hold("scheduler", "b", ttl=30)
    assert not store.leases.hold("scheduler", "a", ttl=30)
    state = store.leases.state("scheduler")
    assert state is not None and state.holder == "b" and state.held_for < 5


def test_a_released_lease_is_free_at_once_and_only_its_holder_releases_it(store: Store
                                                                          ) -> None:
    assert store.leases.hold("scheduler", "a", ttl=30)
    store.leases.release("scheduler", "b")
    assert not store.leases.hold("scheduler", "b", ttl=30)

    store.leases.release("scheduler", "a")

    assert store.leases.hold("scheduler", "b", ttl=30)


def test_leases_are_independent_by_name(store: Store) -> None:
    assert store.leases.hold("scheduler", "a", ttl=30)
    assert store.leases.hold("other", "b", ttl=30)


def test_of_many_racing_takers_exactly_one_wins(store: Store) -> None:
    start = threading.Barrier(8)
    won: list[str] = []

    def take(holder: str) -> None:
        start.wait()
        if store.leases.hold("scheduler", holder, ttl=30):
            won.append(holder)

    threads = [threading.Thread(target=take, args=(f"h{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(won) == 1
    state = store.leases.state("scheduler")
    assert state is not None and state.holder == won[0]
