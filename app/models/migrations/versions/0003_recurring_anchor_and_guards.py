"""recurring invoices keep their day of the month and issue one copy per period; append-only
audit log on PostgreSQL too

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 03:00:00.000000

A template started on the 31st used to move to the 28th for good after February: the day is now
kept in ``anchor_day``. Two runs at once (the window's scheduler and a cron job) could issue the
same month twice: ``invoices`` now allow one copy per template and issue date. PostgreSQL gets the
trigger that keeps ``audit_log`` append-only, as SQLite got in 0001.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    with op.batch_alter_table("recurring_templates") as batch_op:
        batch_op.add_column(
            sa.Column("anchor_day", sa.Integer(), nullable=False, server_default="1")
        )
    if dialect == "sqlite":
        op.execute(
            "UPDATE recurring_templates SET anchor_day = CAST(strftime('%d', next_date) AS INTEGER)"
        )
    else:
        op.execute("UPDATE recurring_templates SET anchor_day = EXTRACT(DAY FROM next_date)")
    with op.batch_alter_table("invoices") as batch_op:
        batch_op.create_unique_constraint(
            "uq_invoices_recurring_template_id", ["recurring_template_id", "issue_date"]
        )
    if dialect == "postgresql":
        op.execute(
            "CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    with op.batch_alter_table("invoices") as batch_op:
        batch_op.drop_constraint("uq_invoices_recurring_template_id", type_="unique")
    with op.batch_alter_table("recurring_templates") as batch_op:
        batch_op.drop_column("anchor_day")
