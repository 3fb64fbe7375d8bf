"""Notebook tasks: the engine (kernel pool, fork server) against plain papermill.

Two workloads of tiny parameterised notebooks: a chain of 10 (each depends on the one
before) and 20 independent ones run at parallelism 2. The baseline is what a user
would write: sequential ``papermill.execute_notebook`` calls, each starting a kernel.
Prints wall times and the ratio papermill/engine (how many times faster the engine is).

    .venv/bin/python bench/notebooks.py [--chain 10] [--fan 20] [--pool 2]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import nbformat
import papermill

from jupyter_batch.service import BatchService


def tiny_notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("n = 0")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell("total = sum(range(n * 1000))\nprint(n, total)")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    return nb


def workflow(name: str, count: int, chained: bool) -> dict:
    tasks = [{"id": f"nb{i}", "type": "notebook", "resource": "tiny.ipynb",
              "params": {"n": i}} for i in range(count)]
    relations = [{"from": f"nb{i}", "to": f"nb{i + 1}"} for i in range(count - 1)] \
        if chained else []
    return {"name": name, "max_parallel": 2, "tasks": tasks, "relations": relations}


def plain_papermill(path: Path, out: Path, count: int) -> float:
    start = time.perf_counter()
    for i in range(count):
        papermill.execute_notebook(str(path), str(out / f"out{i}.ipynb"), parameters={"n": i},
                                   progress_bar=False, kernel_name="python3")
    return time.perf_counter() - start


def through_engine(service: BatchService, doc: dict) -> float:
    start = time.perf_counter()
    run = service.wait_run(service.prerun(doc, day="2026-11-20"))
    assert run.state.value == "success", [(t.task_id, t.state, t.message) for t in run.tasks]
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chain", type=int, default=10)
    parser.add_argument("--fan", type=int, default=20)
    parser.add_argument("--pool", type=int, default=2, help="kernel pool size (0: off)")
    args = parser.parse_args()
    os.environ.pop("JUPYTER_BATCH_DIR", None)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / "tiny.ipynb"
        nbformat.write(tiny_notebook(), path)
        service = BatchService(data_dir=folder / "state", kernel_pool_size=args.pool)
        service.add_resource("tiny.ipynb", path.read_bytes())
        through_engine(service, workflow("warmup", 1, chained=True))  # pool, imports
        rows = []
        for label, count, chained in (("chain", args.chain, True),
                                      ("independent", args.fan, False)):
            engine_s = through_engine(service, workflow(label, count, chained))
            plain_s = plain_papermill(path, folder, count)
            rows.append((f"{label} x{count}", plain_s, engine_s))
        service.close()
    print(f"{'workload':<18}{'papermill s':>13}{'engine s':>10}{'speed-up':>10}")
    for label, plain_s, engine_s in rows:
        print(f"{label:<18}{plain_s:>13.2f}{engine_s:>10.2f}{plain_s / engine_s:>9.1f}x")


if __name__ == "__main__":
    main()
