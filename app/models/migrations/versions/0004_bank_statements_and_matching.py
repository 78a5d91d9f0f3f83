"""bank statements and matching

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 03:13:30.726165

Bank accounts, the statement files imported into them and their lines (unique per account by the
bank's reference or a derived fingerprint), the matcher's ranked proposals per line, and the
confirmed ways of reading CSV/XLSX bank exports.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "bank_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_accounts")),
        sa.UniqueConstraint("account", name=op.f("uq_bank_accounts_account")),
    )
    op.create_table(
        "statement_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=300), nullable=False),
        sa.Column("format", sa.String(length=20), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("statements", sa.Integer(), nullable=False),
        sa.Column("lines_total", sa.Integer(), nullable=False),
        sa.Column("lines_new", sa.Integer(), nullable=False),
        sa.Column("warnings", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statement_imports")),
    )
    op.create_table(
        "sheet_mappings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.Column("mapping", sa.Text(), nullable=False),
        sa.Column("bank_account_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["bank_account_id"],
            ["bank_accounts.id"],
            name=op.f("fk_sheet_mappings_bank_account_id_bank_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sheet_mappings")),
        sa.UniqueConstraint("name", name=op.f("uq_sheet_mappings_name")),
    )
    with op.batch_alter_table("sheet_mappings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sheet_mappings_signature"), ["signature"], unique=False
        )

    op.create_table(
        "statement_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bank_account_id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("line_ref", sa.String(length=100), nullable=False),
        sa.Column("booking_date", sa.Date(), nullable=False),
        sa.Column("value_date", sa.Date(), nullable=True),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("payer_name", sa.String(length=300), nullable=False),
        sa.Column("payer_iban", sa.String(length=64), nullable=False),
        sa.Column("remittance", sa.Text(), nullable=False),
        sa.Column("structured_refs", sa.Text(), nullable=False),
        sa.Column("end_to_end_id", sa.String(length=100), nullable=False),
        sa.Column("bank_code", sa.String(length=100), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("payment_id", sa.Integer(), nullable=True),
        sa.Column("confidence", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("rejected", sa.Text(), nullable=False),
        sa.Column("matched_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["bank_account_id"],
            ["bank_accounts.id"],
            name=op.f("fk_statement_lines_bank_account_id_bank_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_statement_lines_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["statement_imports.id"],
            name=op.f("fk_statement_lines_import_id_statement_imports"),
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_statement_lines_payment_id_payments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statement_lines")),
        sa.UniqueConstraint(
            "bank_account_id", "line_ref", name=op.f("uq_statement_lines_bank_account_id")
        ),
    )
    with op.batch_alter_table("statement_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_statement_lines_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_statement_lines_import_id"), ["import_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_statement_lines_payment_id"), ["payment_id"], unique=False
        )
        batch_op.create_index(
            "ix_statement_lines_state_date", ["state", "booking_date"], unique=False
        )

    op.create_table(
        "match_proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("confidence", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("allocations", sa.Text(), nullable=False),
        sa.Column("unapplied_minor", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_match_proposals_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["line_id"],
            ["statement_lines.id"],
            name=op.f("fk_match_proposals_line_id_statement_lines"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_proposals")),
    )
    with op.batch_alter_table("match_proposals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_match_proposals_line_id"), ["line_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("match_proposals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_match_proposals_line_id"))

    op.drop_table("match_proposals")
    with op.batch_alter_table("statement_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_statement_lines_state_date")
        batch_op.drop_index(batch_op.f("ix_statement_lines_payment_id"))
        batch_op.drop_index(batch_op.f("ix_statement_lines_import_id"))
        batch_op.drop_index(batch_op.f("ix_statement_lines_customer_id"))

    op.drop_table("statement_lines")
    with op.batch_alter_table("sheet_mappings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sheet_mappings_signature"))

    op.drop_table("sheet_mappings")
    op.drop_table("statement_imports")
    op.drop_table("bank_accounts")
