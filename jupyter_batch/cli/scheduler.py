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


def serve(args: argparse.Namespace) -> int:
    from ..settings import BatchSettings

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    settings = BatchSettings.from_jupyter_config()
    service = settings.make_service()
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, lambda *_: stopping.set())
    try:
        service.start_scheduler(args.lease or settings.scheduler_lease)
        print(f"jupyter-batch scheduler: state in {service.data_dir}; "
              f"{_describe(service.scheduler_status())}", flush=True)
        stopping.wait()
    finally:
        service.close()
    return 0


def status(args: argparse.Namespace) -> int:
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
