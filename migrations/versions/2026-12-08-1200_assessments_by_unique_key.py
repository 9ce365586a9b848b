"""Assessments are looked up by their unique key only: the index on the ruleset version
alone goes.

A rescoring checks each batch of applications against the version's assessments. Planned
from statistics gathered when the new version had no assessment yet, that check read the
version's index whole, batch after batch (quadratic over a fund of 100,000 applications);
the unique key (application, version, submission) answers it one application at a time.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-08 12:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_assessments_ruleset_version_id", table_name="assessments")


def downgrade() -> None:
    op.create_index(
        "ix_assessments_ruleset_version_id", "assessments", ["ruleset_version_id"], unique=False
    )
