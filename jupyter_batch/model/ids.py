"""Whole numbers that name stored things: run ids, versions, attempts, offsets.

The store keeps them as 64-bit SQL integers, so a larger number cannot name anything
stored; handed to the database it is not "not found" but an overflow. Front ends check
a number a user typed with ``fits_store`` before asking for it.
"""

from __future__ import annotations

#: the largest number a (signed 64-bit) SQL INTEGER holds
MAX_STORED = 2**63 - 1


def fits_store(value: int) -> bool:
    """Whether ``value`` can be an id, version, attempt or offset the store holds.

    >>> fits_store(24), fits_store(99999999999999999999999)
    (True, False)
    """
    return -MAX_STORED - 1 <= value <= MAX_STORED
