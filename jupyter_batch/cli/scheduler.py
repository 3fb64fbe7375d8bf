"""``jupyter batch scheduler``: the scheduler without JupyterLab, for a server or a
systemd unit; ``--status`` tells which scheduler leads the store.

It reads the same settings as the server extension (``c.BatchApp.*`` in the Jupyter
config files; ``$JUPYTER_BATCH_DIR`` and ``$JUPYTER_BATCH_DB_URL`` win) and drives the
runs it starts itself. Any number may run on one store, next to JupyterLab servers: one
leads at a time (a lease in the database), the others stand by to take over.
SIGTERM or Ctrl-C stops it cleanly: the lease is given up at once, and the runs it drives
are stopped and marked cancelled (recover them from anywhere).
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from typing import Any

from .context import open_service
from .output import emit_json


def _describe(status: Any) -> str:
    if status.leader is None:
        return "no scheduler leads this store now"
    return f"{status.leader} leads this store (for {status.leading_for:.0f} s)"


def lease_given(args: argparse.Namespace) -> float | None:
    """``--lease``, when given: InvalidInput unless it is a positive number of seconds,
    as ``c.BatchApp.scheduler_lease`` must be (0 or less would renew it in a busy loop,
    and 0 must not mean "the default")."""
    from ..errors import InvalidInput
    from ..settings import positive_seconds

    if args.lease is not None and not positive_seconds(args.lease):
        raise InvalidInput(f"--lease must be a positive number of seconds, not {args.lease:g}")
    return args.lease


def serve(args: argparse.Namespace) -> int:
    from ..settings import BatchSettings

    lease = lease_given(args)  # before anything opens: bad input changes nothing
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    settings = BatchSettings.from_jupyter_config()
    if lease is not None:
        settings.scheduler_lease = lease
    service = settings.make_service()
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, lambda *_: stopping.set())
    try:
        service.start_scheduler(settings.scheduler_lease)
        print(f"jupyter-batch scheduler: state in {service.data_dir}; "
              f"{_describe(service.scheduler_status())}", flush=True)
        stopping.wait()
    finally:
        service.close()
    return 0


def status(args: argparse.Namespace) -> int:
    lease_given(args)  # unused by --status, yet a value that is refused is never taken
    found = open_service().scheduler_status()
    if args.json:
        emit_json({"leader": found.leader, "leading_for": found.leading_for})
    else:
        print(_describe(found))
    return 0


def register(nouns: Any) -> None:
    p = nouns.add_parser(
        "scheduler", help="run the scheduler without JupyterLab",
        description="Run the scheduler (and the runs it starts) in this process until "
                    "SIGTERM or Ctrl-C. With --status, tell which scheduler leads.")
    p.add_argument("--status", action="store_true",
                   help="print which scheduler leads the store, and exit")
    p.add_argument("--json", action="store_true", help="with --status: print JSON")
    p.add_argument("--lease", type=float, metavar="SECONDS",
                   help="lease length (default: c.BatchApp.scheduler_lease, 10 s)")
    p.set_defaults(func=lambda args: status(args) if args.status else serve(args))
