"""The database tables (private to ``store/``). Changing one needs a migration."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out (SQLite keeps no zone)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=timezone.utc)


metadata = MetaData()

resources = Table(
    "resources", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("format", String(10), nullable=False),
    Column("namespace", String(40), nullable=False, server_default="user"),
    Column("created_at", UTCDateTime, nullable=False),
)

resource_versions = Table(
    "resource_versions", metadata,
    Column("resource_id", Integer, ForeignKey("resources.id", ondelete="CASCADE"),
           primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("sha256", String(64), nullable=False),
    Column("size", Integer, nullable=False),
    Column("message", Text, nullable=False),
    Column("author", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

workflows = Table(
    "workflows", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("state", String(16), nullable=False),
    Column("description", Text),
    Column("draft", JSON, nullable=False),
    Column("latest_version", Integer),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    # when it last became published (from draft or offline): no earlier cycle is due.
    # Empty for a workflow published before migration 0003.
    Column("live_since", UTCDateTime),
)

workflow_versions = Table(
    "workflow_versions", metadata,
    Column("workflow_id", Integer, ForeignKey("workflows.id", ondelete="CASCADE"),
           primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("definition", JSON, nullable=False),
    Column("author", String(200), nullable=False),
    Column("message", Text, nullable=False),
    Column("published_at", UTCDateTime, nullable=False),
)

runs = Table(
    "runs", metadata,
    Column("id", Integer, primary_key=True),
    # a name, not a foreign key: a pre-run of a workflow file has no saved workflow
    Column("workflow", String(64), nullable=False),
    Column("workflow_version", Integer),
    Column("logical_date", String(10), nullable=False),
    Column("trigger", String(16), nullable=False),
    Column("state", String(16), nullable=False),
    Column("params", JSON, nullable=False),
    Column("definition", JSON, nullable=False),
    # set only for scheduled runs: the database, not luck, keeps one run per cycle
    Column("cycle", String(40)),
    Column("message", Text),
    # which process drives the run ("host:pid"), so a restart can tell a run in flight
    # in a live process from one whose process died
    Column("owner", String(200)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("started_at", UTCDateTime),
    Column("ended_at", UTCDateTime),
    UniqueConstraint("workflow", "cycle", name="uq_runs_workflow_cycle"),
    Index("ix_runs_workflow_created", "workflow", "created_at"),
    Index("ix_runs_state", "state"),
)

task_runs = Table(
    "task_runs", metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("task_id", String(64), nullable=False),
    Column("state", String(16), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("started_at", UTCDateTime),
    Column("ended_at", UTCDateTime),
    Column("exit_code", Integer),
    Column("log_path", Text),
    Column("message", Text),
    Column("outputs", JSON, nullable=False),
    UniqueConstraint("run_id", "task_id", name="uq_task_runs_run_task"),
)

task_attempts = Table(
    "task_attempts", metadata,
    Column("task_run_id", Integer, ForeignKey("task_runs.id", ondelete="CASCADE"),
           primary_key=True),
    Column("attempt", Integer, primary_key=True),
    Column("state", String(16), nullable=False),
    Column("started_at", UTCDateTime),
    Column("ended_at", UTCDateTime),
    Column("exit_code", Integer),
    Column("log_path", Text),
    Column("message", Text),
)

#: Named leases, e.g. "scheduler": who holds it and until when (seconds since the epoch,
#: by the database's clock, so holders on different machines agree on expiry).
leases = Table(
    "leases", metadata,
    Column("name", String(40), primary_key=True),
    Column("holder", String(200), nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("acquired_at", Float, nullable=False),
)
