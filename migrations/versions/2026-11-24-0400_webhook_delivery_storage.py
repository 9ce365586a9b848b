"""Storage of webhook deliveries, a queue table updated twice per attempt.

`fillfactor = 80` leaves room on each page so a claim (lease and attempt count, no indexed
column) is a HOT update that adds no index entry; autovacuum visits the table after 2 % of
its rows changed (instead of 20 %), so the dead entries that pile up at the head of the
lane index (delivered rows) are cleared while the backlog drains.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 04:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "ALTER TABLE webhook_deliveries SET (fillfactor = 80, "
        "autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02)"
    )


def downgrade() -> None:
    op.execute(
        "ALTER TABLE webhook_deliveries RESET (fillfactor, "
        "autovacuum_vacuum_scale_factor, autovacuum_analyze_scale_factor)"
    )
