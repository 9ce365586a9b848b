"""Drop the event indexes no query uses: type, fund_id, operator_id.

Every event (a submission, a score, a ruleset published) paid for three index entries
that nothing read: the feed reads by position, audience (GIN) and territory; retention
by occurred_at; support by subject.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 06:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UNUSED = ("type", "fund_id", "operator_id")


def upgrade() -> None:
    for column in _UNUSED:
        op.drop_index(f"ix_events_{column}", table_name="events")


def downgrade() -> None:
    for column in _UNUSED:
        op.create_index(f"ix_events_{column}", "events", [column])
