"""The store: the only code that touches the database and the blob folder."""

from __future__ import annotations

from pathlib import Path

from .blobs import BlobStore
from .db import open_engine
from .leases import LeaseRepo
from .location import prepare_data_dir
from .resources import ResourceRepo
from .runs import RunRepo
from .workflows import WorkflowRepo


class Store:
    """One data folder's database and blobs, behind one repository per kind of record."""

    def __init__(self, data_dir: Path, db_url: str | None = None) -> None:
        self.data_dir = data_dir
        prepare_data_dir(data_dir)
        self.engine = open_engine(db_url or f"sqlite:///{data_dir / 'batch.db'}")
        self.blobs = BlobStore(data_dir / "blobs")
        self.resources = ResourceRepo(self.engine, self.blobs)
        self.workflows = WorkflowRepo(self.engine)
        self.runs = RunRepo(self.engine)
        self.leases = LeaseRepo(self.engine)

    def close(self) -> None:
        self.engine.dispose()


__all__ = ["Store"]
