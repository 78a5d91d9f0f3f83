"""one IBAN may pay for several customers

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 04:30:00.000000

A parent company often pays its subsidiaries' invoices from one account, so the same payer IBAN
belongs to several customers. ``customer_ibans`` was unique by IBAN; it is now unique per customer
and IBAN, with an index on the IBAN for the matcher's lookups.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("customer_ibans") as batch_op:
        batch_op.drop_constraint("uq_customer_ibans_iban", type_="unique")
        batch_op.create_unique_constraint("uq_customer_ibans_customer_id", ["customer_id", "iban"])
        batch_op.create_index("ix_customer_ibans_iban", ["iban"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("customer_ibans") as batch_op:
        batch_op.drop_index("ix_customer_ibans_iban")
        batch_op.drop_constraint("uq_customer_ibans_customer_id", type_="unique")
        batch_op.create_unique_constraint("uq_customer_ibans_iban", ["iban"])
