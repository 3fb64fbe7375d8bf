"""The first schema: resources, workflows, runs and task runs.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from jupyter_batch.store.tables import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "resources",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("format", sa.String(10), nullable=False),
        sa.Column("namespace", sa.String(40), nullable=False, server_default="user"),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "resource_versions",
        sa.Column("resource_id", sa.Integer, sa.ForeignKey("resources.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "workflows",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("draft", sa.JSON, nullable=False),
        sa.Column("latest_version", sa.Integer),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "workflow_versions",
        sa.Column("workflow_id", sa.Integer, sa.ForeignKey("workflows.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("definition", sa.JSON, nullable=False),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("published_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("workflow", sa.String(64), nullable=False),
        sa.Column("workflow_version", sa.Integer),
        sa.Column("logical_date", sa.String(10), nullable=False),
        sa.Column("trigger", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("params", sa.JSON, nullable=False),
        sa.Column("definition", sa.JSON, nullable=False),
        sa.Column("cycle", sa.String(40)),
        sa.Column("message", sa.Text),
        sa.Column("owner", sa.String(200)),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("started_at", UTCDateTime),
        sa.Column("ended_at", UTCDateTime),
        sa.UniqueConstraint("workflow", "cycle", name="uq_runs_workflow_cycle"),
    )
    op.create_index("ix_runs_workflow_created", "runs", ["workflow", "created_at"])
    op.create_index("ix_runs_state", "runs", ["state"])
    op.create_table(
        "task_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("task_id", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("started_at", UTCDateTime),
        sa.Column("ended_at", UTCDateTime),
        sa.Column("exit_code", sa.Integer),
        sa.Column("log_path", sa.Text),
        sa.Column("message", sa.Text),
        sa.Column("outputs", sa.JSON, nullable=False),
        sa.UniqueConstraint("run_id", "task_id", name="uq_task_runs_run_task"),
    )
    op.create_table(
        "task_attempts",
        sa.Column("task_run_id", sa.Integer, sa.ForeignKey("task_runs.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("attempt", sa.Integer, primary_key=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("started_at", UTCDateTime),
        sa.Column("ended_at", UTCDateTime),
        sa.Column("exit_code", sa.Integer),
        sa.Column("log_path", sa.Text),
        sa.Column("message", sa.Text),
    )


def downgrade() -> None:
    for table in ("task_attempts", "task_runs", "runs", "workflow_versions", "workflows",
                  "resource_versions", "resources"):
        op.drop_table(table)
