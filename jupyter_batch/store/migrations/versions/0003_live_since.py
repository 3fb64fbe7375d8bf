"""Workflows remember when they last went live (were published from draft or offline).

Revision ID: 0003
Revises: 0002

The scheduler starts no cycle from before that moment, so publishing an offline
workflow again does not replay the cycles of its offline time. Workflows published
before this migration keep it empty: their current version's publish time stands in.
"""

import sqlalchemy as sa
from alembic import op

from jupyter_batch.store.tables import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("workflows", sa.Column("live_since", UTCDateTime))


def downgrade() -> None:
    with op.batch_alter_table("workflows") as batch:
        batch.drop_column("live_since")
