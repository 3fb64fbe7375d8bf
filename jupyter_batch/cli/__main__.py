"""``python -m jupyter_batch.cli`` is ``jupyter batch``."""

from . import run

run()
