"""Cancelled awards: the `cancelled` application status, which frees the project to apply
to the same fund again (the one-open-application index leaves it out).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 04:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEX = "uq_applications_open_per_project_fund"
_CLOSED = "'closed', 'expired', 'ineligible', 'rejected', 'withdrawn'"


def _open_index(closed: str) -> None:
    op.create_index(
        _INDEX,
        "applications",
        ["project_id", "fund_id"],
        unique=True,
        postgresql_where=sa.text(f"status NOT IN ({closed})"),
    )


def upgrade() -> None:
    # A new enum value is usable only once committed: added outside the migration's transaction.
    with op.get_context().autocommit_block():
        op.execute("ALTER TYPE application_status ADD VALUE IF NOT EXISTS 'cancelled'")
    op.drop_index(_INDEX, table_name="applications")
    _open_index(f"'cancelled', {_CLOSED}")


def downgrade() -> None:
    # (the 'cancelled' value stays in application_status: PostgreSQL cannot drop an enum
    # value; cancelled applications become rejected ones)
    op.execute("UPDATE applications SET status = 'rejected' WHERE status = 'cancelled'")
    op.drop_index(_INDEX, table_name="applications")
    _open_index(_CLOSED)
