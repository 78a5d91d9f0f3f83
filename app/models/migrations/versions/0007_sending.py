"""sending: leases, job runs, outbox retries and claims, invoices by email

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 09:10:00

The mailer takes the ``outbox`` lease before it sends, marks what it claims with its name and
time, and puts temporary failures off until ``retry_at``. Job runs remember the day each daily
job last ran, for one catch-up pass after a sleep. Customers may receive their invoices by email.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "leases",
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_leases")),
    )
    op.create_table(
        "job_runs",
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("last_run_on", sa.Date(), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_job_runs")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retry_at", sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("claimed_by", sa.String(length=200), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("claimed_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("invoices_by_email", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_column("invoices_by_email")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("claimed_at")
        batch_op.drop_column("claimed_by")
        batch_op.drop_column("retry_at")
    op.drop_table("job_runs")
    op.drop_table("leases")
