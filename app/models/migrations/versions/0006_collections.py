"""collections: policies, outbox, promises, disputes, follow-ups

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 03:53:06.032673

Reminder policies with their dunning steps, segments, the user's template edits, the outbox, the
steps taken per invoice, promises to pay, disputes and follow-up tasks; customers gain a policy of
their own, an opt-out from automation and a pause. Three policies and their segments are seeded,
so a ledger chases overdue invoices from the start.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reminder_policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("per_invoice", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_policies")),
        sa.UniqueConstraint("name", name=op.f("uq_reminder_policies_name")),
    )
    op.create_table(
        "reminder_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("language", sa.String(length=10), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_templates")),
        sa.UniqueConstraint("name", "language", name=op.f("uq_reminder_templates_name")),
    )
    op.create_table(
        "policy_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("policy_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("offset_days", sa.Integer(), nullable=False),
        sa.Column("template", sa.String(length=50), nullable=False),
        sa.Column("tone", sa.String(length=20), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("attach_invoices", sa.Boolean(), nullable=False),
        sa.Column("attach_statement", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["policy_id"],
            ["reminder_policies.id"],
            name=op.f("fk_policy_steps_policy_id_reminder_policies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_steps")),
        sa.UniqueConstraint("policy_id", "name", name=op.f("uq_policy_steps_policy_id")),
    )
    with op.batch_alter_table("policy_steps", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_policy_steps_policy_id"), ["policy_id"], unique=False)

    op.create_table(
        "segments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("policy_id", sa.Integer(), nullable=True),
        sa.Column("priority_weight", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["policy_id"],
            ["reminder_policies.id"],
            name=op.f("fk_segments_policy_id_reminder_policies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segments")),
        sa.UniqueConstraint("name", name=op.f("uq_segments_name")),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.Integer(), nullable=True),
        sa.Column("step_name", sa.String(length=100), nullable=False),
        sa.Column("invoice_ids", sa.Text(), nullable=False),
        sa.Column("to_addrs", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("attach_invoices", sa.Boolean(), nullable=False),
        sa.Column("attach_statement", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("send_after", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("message_id", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_outbox_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["step_id"], ["policy_steps.id"], name=op.f("fk_outbox_step_id_policy_steps")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("key", name=op.f("uq_outbox_key")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index("ix_outbox_state_due", ["state", "send_after"], unique=False)

    op.create_table(
        "promises_to_pay",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("promised_date", sa.Date(), nullable=False),
        sa.Column("invoice_ids", sa.Text(), nullable=False),
        sa.Column("taken_by", sa.String(length=200), nullable=False),
        sa.Column("taken_at", sa.DateTime(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("paid_minor", sa.Integer(), nullable=False),
        sa.Column("resolved_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_promises_to_pay_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promises_to_pay")),
    )
    with op.batch_alter_table("promises_to_pay", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_promises_to_pay_customer_id"), ["customer_id"], unique=False
        )

    op.create_table(
        "disputes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("waiting_on", sa.String(length=200), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("resolved_on", sa.Date(), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_disputes_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_disputes_invoice_id_invoices")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_disputes_owner_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disputes")),
    )
    with op.batch_alter_table("disputes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_disputes_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_disputes_invoice_id"), ["invoice_id"], unique=False)

    op.create_table(
        "follow_ups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("invoice_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.Column("key", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["assignee_id"], ["users.id"], name=op.f("fk_follow_ups_assignee_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_follow_ups_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_follow_ups_invoice_id_invoices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_ups")),
        sa.UniqueConstraint("key", name=op.f("uq_follow_ups_key")),
    )
    with op.batch_alter_table("follow_ups", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_follow_ups_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index("ix_follow_ups_open", ["done_at", "due_date"], unique=False)

    op.create_table(
        "reminder_steps_taken",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.Column("taken_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_reminder_steps_taken_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoices.id"],
            name=op.f("fk_reminder_steps_taken_invoice_id_invoices"),
        ),
        sa.ForeignKeyConstraint(
            ["outbox_id"], ["outbox.id"], name=op.f("fk_reminder_steps_taken_outbox_id_outbox")
        ),
        sa.ForeignKeyConstraint(
            ["step_id"],
            ["policy_steps.id"],
            name=op.f("fk_reminder_steps_taken_step_id_policy_steps"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_steps_taken")),
        sa.UniqueConstraint(
            "invoice_id", "step_id", name=op.f("uq_reminder_steps_taken_invoice_id")
        ),
    )
    with op.batch_alter_table("reminder_steps_taken", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reminder_steps_taken_customer_id"), ["customer_id"], unique=False
        )

    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("policy_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("reminders_excluded", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("reminders_paused_until", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("reminders_pause_reason", sa.Text(), nullable=False, server_default="")
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_customers_policy_id_reminder_policies"),
            "reminder_policies",
            ["policy_id"],
            ["id"],
        )

    _seed_policies()


#: (policy, per invoice, steps as (name, offset days, template, tone, action, attach invoices,
#: attach statement)), and the segment that gets each policy.
DEFAULT_POLICIES = (
    (
        "Standard",
        [
            ("Friendly note", -3, "friendly", "friendly", "email", True, False),
            ("1st reminder", 7, "reminder", "neutral", "email", True, False),
            ("2nd reminder", 30, "firm", "firm", "email", True, True),
            ("Final notice", 60, "final", "final", "escalation", True, True),
        ],
    ),
    (
        "Key account",
        [
            ("Friendly note", -5, "friendly", "friendly", "email", True, False),
            ("1st reminder", 10, "reminder", "neutral", "email", True, False),
            ("Call the customer", 21, "reminder", "neutral", "task", False, False),
            ("2nd reminder", 35, "firm", "firm", "email", True, True),
            ("Final notice", 75, "final", "final", "escalation", True, True),
        ],
    ),
    (
        "New customer",
        [
            ("Friendly note", -3, "friendly", "friendly", "email", True, False),
            ("1st reminder", 3, "reminder", "neutral", "email", True, False),
            ("2nd reminder", 14, "firm", "firm", "email", True, True),
            ("Final notice", 30, "final", "final", "escalation", True, True),
        ],
    ),
)


def _seed_policies() -> None:
    policies = sa.table(
        "reminder_policies", sa.column("id"), sa.column("name"), sa.column("per_invoice")
    )
    steps = sa.table(
        "policy_steps",
        *(
            sa.column(name)
            for name in (
                "policy_id",
                "name",
                "offset_days",
                "template",
                "tone",
                "action",
                "attach_invoices",
                "attach_statement",
            )
        ),
    )
    segments = sa.table(
        "segments", sa.column("name"), sa.column("policy_id"), sa.column("priority_weight")
    )
    weights = {"Key account": 20, "Standard": 0, "New customer": 10}
    for policy_id, (name, policy_steps) in enumerate(DEFAULT_POLICIES, start=1):
        op.bulk_insert(policies, [{"id": policy_id, "name": name, "per_invoice": False}])
        op.bulk_insert(
            steps,
            [
                {
                    "policy_id": policy_id,
                    "name": step,
                    "offset_days": offset,
                    "template": template,
                    "tone": tone,
                    "action": action,
                    "attach_invoices": invoices,
                    "attach_statement": statement,
                }
                for step, offset, template, tone, action, invoices, statement in policy_steps
            ],
        )
        op.bulk_insert(
            segments, [{"name": name, "policy_id": policy_id, "priority_weight": weights[name]}]
        )


def downgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_customers_policy_id_reminder_policies"), type_="foreignkey"
        )
        batch_op.drop_column("reminders_pause_reason")
        batch_op.drop_column("reminders_paused_until")
        batch_op.drop_column("reminders_excluded")
        batch_op.drop_column("policy_id")

    with op.batch_alter_table("reminder_steps_taken", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reminder_steps_taken_customer_id"))

    op.drop_table("reminder_steps_taken")
    with op.batch_alter_table("follow_ups", schema=None) as batch_op:
        batch_op.drop_index("ix_follow_ups_open")
        batch_op.drop_index(batch_op.f("ix_follow_ups_customer_id"))

    op.drop_table("follow_ups")
    with op.batch_alter_table("disputes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_disputes_invoice_id"))
        batch_op.drop_index(batch_op.f("ix_disputes_customer_id"))

    op.drop_table("disputes")
    with op.batch_alter_table("promises_to_pay", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_promises_to_pay_customer_id"))

    op.drop_table("promises_to_pay")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_state_due")
        batch_op.drop_index(batch_op.f("ix_outbox_customer_id"))

    op.drop_table("outbox")
    op.drop_table("segments")
    with op.batch_alter_table("policy_steps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_policy_steps_policy_id"))

    op.drop_table("policy_steps")
    op.drop_table("reminder_templates")
    op.drop_table("reminder_policies")
