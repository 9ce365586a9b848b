"""The company carrying a collective project's expenses, which the acceleration fund's rules
read (the lead must carry them all).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 07:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("applications", sa.Column("expense_holder_siren", sa.String(9), nullable=True))


def downgrade() -> None:
    op.drop_column("applications", "expense_holder_siren")
