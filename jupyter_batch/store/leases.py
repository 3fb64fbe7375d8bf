"""Named leases in the database: at most one holder at a time, taken over once expired.

Time is the database's clock (SQLite, PostgreSQL), so processes on different machines
sharing one store agree on when a lease has expired; on another database it is each
process's own clock, and the machines sharing it must keep theirs in step. Each step is
one short transaction; a holder that stops renewing (killed, frozen, cut off) loses the
lease ``ttl`` seconds after its last renewal.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, case, delete, insert, or_, select, text, update
from sqlalchemy.exc import IntegrityError

from .db import reading
from .tables import leases as leases_t

_NOW = {
    "sqlite": "SELECT (julianday('now') - 2440587.5) * 86400.0",
    "postgresql": "SELECT EXTRACT(EPOCH FROM clock_timestamp())::float8",
}


@dataclass(frozen=True)
class LeaseState:
    """Who holds a lease and for how much longer (by the database's clock)."""

    holder: str
    seconds_left: float
    held_for: float


class LeaseRepo:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        now = _NOW.get(engine.dialect.name)
        self._now_sql = None if now is None else text(now)

    def _now(self, conn: Connection) -> float:
        if self._now_sql is None:
            return time.time()
        return float(conn.execute(self._now_sql).scalar_one())

    def hold(self, name: str, holder: str, ttl: float) -> bool:
        """Take or renew lease ``name`` for ``holder`` for ``ttl`` seconds. True when
        ``holder`` holds it now; False while another holder's lease runs."""
        try:
            with self._engine.begin() as conn:
                now = self._now(conn)
                # one conditional statement: of two racing takers, the database lets one
                # update the row; the other then sees a live lease that is not its own
                taken = conn.execute(
                    update(leases_t)
                    .where(leases_t.c.name == name,
                           or_(leases_t.c.holder == holder, leases_t.c.expires_at < now))
                    .values(holder=holder, expires_at=now + ttl,
                            # kept on a renewal, reset when the lease changes hands
                            acquired_at=case((leases_t.c.holder == holder,
                                              leases_t.c.acquired_at), else_=now))
                ).rowcount
                if taken:
                    return True
                if conn.execute(select(leases_t.c.name).where(leases_t.c.name == name)
                                ).first() is not None:
                    return False
                conn.execute(insert(leases_t).values(name=name, holder=holder,
                                                     expires_at=now + ttl, acquired_at=now))
                return True
        except IntegrityError:  # another process created the lease at the same moment
            return False

    def release(self, name: str, holder: str) -> None:
        """Give lease ``name`` up at once, if ``holder`` holds it (a clean shutdown: the
        next holder need not wait for it to expire)."""
        with self._engine.begin() as conn:
            conn.execute(delete(leases_t).where(leases_t.c.name == name,
                                                leases_t.c.holder == holder))

    def state(self, name: str) -> LeaseState | None:
        """The current holder of ``name``, or None when nobody holds it."""
        with reading(self._engine) as conn:
            now = self._now(conn)
            row = conn.execute(select(leases_t).where(leases_t.c.name == name)).first()
        if row is None or row.expires_at < now:
            return None
        return LeaseState(row.holder, row.expires_at - now, now - row.acquired_at)



class Lease:
    """Lease ``name`` as held by one ``holder``: what a scheduler's ``Leadership`` needs."""

    def __init__(self, repo: LeaseRepo, name: str, holder: str, ttl: float) -> None:
        self._repo = repo
        self.name = name
        self.holder = holder
        self.ttl = ttl
        #: renewing three times per lease length rides out one slow renewal
        self.renew_every = ttl / 3

    def hold(self) -> bool:
        return self._repo.hold(self.name, self.holder, self.ttl)

    def release(self) -> None:
        self._repo.release(self.name, self.holder)
