"""Reminder policies and segments edited through the service: checks, steps in place, audit."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.models.activity import AuditEntry
from app.models.collections import PolicyStep, ReminderPolicy, Segment
from app.models.customer import Customer
from app.services.file_import import import_customers, import_invoices
from app.services.reminders.policies import (
    PolicyError,
    PolicyInput,
    PolicyView,
    StepInput,
    customer_reminders,
    list_policies,
    list_segments,
    save_policy,
    save_segment,
)
from app.services.reminders.run import run_reminders
from app.services.uow import UnitOfWork
from tests.conftest import TODAY

STEPS = (
    StepInput("Friendly note", -3, "friendly", "friendly", "email"),
    StepInput("1st reminder", 7, "reminder", "neutral", "email"),
    StepInput("Final notice", 40, "final", "final", "escalation", True, True),
)


def _counts(uow: UnitOfWork) -> tuple[int, int, int]:
    with uow:
        session = uow.session
        return (
            session.scalar(select(func.count()).select_from(ReminderPolicy)) or 0,
            session.scalar(select(func.count()).select_from(PolicyStep)) or 0,
            session.scalar(select(func.count()).select_from(AuditEntry)) or 0,
        )


def _policy(uow: UnitOfWork, name: str) -> PolicyView:
    return next(p for p in list_policies(uow) if p.name == name)


def test_the_shipped_policies_are_listed_with_steps_and_segments(uow: UnitOfWork) -> None:
    policies = {p.name: p for p in list_policies(uow)}
    assert set(policies) == {"Standard", "Key account", "New customer"}
    standard = policies["Standard"]
    assert [s.offset_days for s in standard.steps] == [-3, 7, 30, 60]
    assert standard.steps[-1].action == "escalation"
    assert standard.segments == ("Standard",)
    segments = {s.name: s for s in list_segments(uow)}
    assert segments["Key account"].policy_name == "Key account"
    assert segments["Key account"].priority_weight == 20


def test_a_new_policy_is_saved_and_audited(uow: UnitOfWork) -> None:
    policy_id = save_policy(uow, PolicyInput("Gentle", STEPS))
    saved = _policy(uow, "Gentle")
    assert saved.id == policy_id
    assert [(s.name, s.offset_days, s.template) for s in saved.steps] == [
        ("Friendly note", -3, "friendly"),
        ("1st reminder", 7, "reminder"),
        ("Final notice", 40, "final"),
    ]
    assert saved.steps[-1].attach_statement
    with uow:
        entry = uow.session.scalars(
            select(AuditEntry).where(AuditEntry.entity == "reminder_policy")
        ).one()
        assert entry.action == "create"
        assert "Final notice" in entry.after


@pytest.mark.parametrize(
    ("policy", "words"),
    [
        (PolicyInput("", STEPS), "policy, name"),
        (PolicyInput("Standard", STEPS), "already a policy called 'Standard'"),
        (PolicyInput("Empty", ()), "at least one step"),
        (
            PolicyInput("Twice", (STEPS[0], replace(STEPS[1], name="friendly NOTE"))),
            "step 2 (friendly NOTE), name: step 1 has the same name",
        ),
        (
            PolicyInput("Order", (STEPS[1], STEPS[0])),
            "step 2 (Friendly note), days after due: -3 comes before step 1",
        ),
        (
            PolicyInput("Same", (STEPS[0], replace(STEPS[1], offset_days=-3))),
            "step 2 (1st reminder), days after due: -3 is also the day of step 1",
        ),
        (
            PolicyInput("Tpl", (replace(STEPS[0], template="gentle"),)),
            "step 1 (Friendly note), template: unknown template 'gentle'",
        ),
        (
            PolicyInput("Tone", (replace(STEPS[0], tone="angry"),)),
            "step 1 (Friendly note), tone: unknown tone 'angry'",
        ),
        (
            PolicyInput("Act", (replace(STEPS[0], action="letter"),)),
            "step 1 (Friendly note), action: unknown action 'letter'",
        ),
        (
            PolicyInput("Nameless", (replace(STEPS[0], name="  "),)),
            "step 1, name: it is empty",
        ),
    ],
)
def test_bad_input_names_the_step_and_field_and_writes_nothing(
    uow: UnitOfWork, policy: PolicyInput, words: str
) -> None:
    before = _counts(uow)
    with pytest.raises(PolicyError, match=words.replace("(", r"\(").replace(")", r"\)")):
        save_policy(uow, policy)
    assert _counts(uow) == before


def test_steps_are_changed_in_place_and_may_swap_names(uow: UnitOfWork) -> None:
    standard = _policy(uow, "Standard")
    first, second, third, final = standard.steps
    edited = PolicyInput(
        "Standard",
        (
            StepInput(first.name, -2, "friendly", "friendly", "email", id=first.id),
            StepInput(third.name, 10, "reminder", "neutral", "email", id=second.id),
            StepInput(second.name, 30, "firm", "firm", "email", True, True, id=third.id),
            StepInput(final.name, 60, "final", "final", "task", id=final.id),
        ),
        id=standard.id,
    )
    assert save_policy(uow, edited) == standard.id
    after = _policy(uow, "Standard")
    assert [s.id for s in after.steps] == [first.id, second.id, third.id, final.id]
    assert [s.name for s in after.steps] == [first.name, third.name, second.name, final.name]
    assert after.steps[0].offset_days == -2
    assert after.steps[-1].action == "task"


def test_a_step_not_taken_may_be_removed_and_one_added(uow: UnitOfWork) -> None:
    standard = _policy(uow, "Standard")
    kept = (
        *(
            StepInput(s.name, s.offset_days, s.template, s.tone, s.action, id=s.id)
            for s in standard.steps[1:]
        ),
        StepInput("Lawyer", 90, "final", "final", "task"),
    )
    save_policy(uow, PolicyInput("Standard", kept, id=standard.id))
    after = _policy(uow, "Standard")
    names = [s.name for s in after.steps]
    assert names == ["1st reminder", "2nd reminder", "Final notice", "Lawyer"]


def _small_ledger(uow: UnitOfWork, tmp_path: Path) -> None:
    customers = tmp_path / "customers.csv"
    customers.write_text(
        "customer_id,name,email,language,segment\nACME,Acme Ltd,ap@acme.example,en,Standard\n",
        encoding="utf-8",
    )
    import_customers(uow, customers)
    invoices = tmp_path / "invoices.csv"
    due = (TODAY - timedelta(days=8)).isoformat()
    issued = (TODAY - timedelta(days=38)).isoformat()
    invoices.write_text(
        f"number,customer_id,issue_date,due_date,total,amount_paid\nINV-1,ACME,{issued},{due},"
        "100.00,0\n",
        encoding="utf-8",
    )
    import_invoices(uow, invoices)


def test_a_step_taken_already_cannot_be_removed(uow: UnitOfWork, tmp_path: Path) -> None:
    _small_ledger(uow, tmp_path)
    run_reminders(uow, TODAY)
    standard = _policy(uow, "Standard")
    taken = next(s for s in standard.steps if s.name == "1st reminder")
    assert taken.taken == 1
    without = tuple(
        StepInput(s.name, s.offset_days, s.template, s.tone, s.action, id=s.id)
        for s in standard.steps
        if s.id != taken.id
    )
    before = _counts(uow)
    refused = "step '1st reminder': it was already taken for 1 invoice "
    with pytest.raises(PolicyError, match=refused):
        save_policy(uow, PolicyInput("Standard", without, id=standard.id))
    assert _counts(uow) == before
    # changing its days is fine
    moved = tuple(
        StepInput(s.name, 9 if s.id == taken.id else s.offset_days, s.template, s.tone, s.action,
                  id=s.id)
        for s in standard.steps
    )  # fmt: skip
    save_policy(uow, PolicyInput("Standard", moved, id=standard.id))
    assert next(s for s in _policy(uow, "Standard").steps if s.id == taken.id).offset_days == 9


def test_segments_are_saved_and_checked(uow: UnitOfWork) -> None:
    gentle = save_policy(uow, PolicyInput("Gentle", STEPS))
    save_segment(uow, "key ACCOUNT", gentle, 30)
    segments = {s.name: s for s in list_segments(uow)}
    assert segments["Key account"].policy_name == "Gentle"
    assert segments["Key account"].priority_weight == 30
    save_segment(uow, "Public sector", None, 5)
    assert {s.name for s in list_segments(uow)} >= {"Public sector"}
    before = _counts(uow)
    with pytest.raises(PolicyError, match="segment 'Retail', policy: there is no policy"):
        save_segment(uow, "Retail", 999, 0)
    with pytest.raises(PolicyError, match="priority weight: 500 is out of range"):
        save_segment(uow, "Retail", gentle, 500)
    with pytest.raises(PolicyError, match="segment, name: it is empty"):
        save_segment(uow, " ", gentle, 0)
    assert _counts(uow) == before
    with uow:
        assert uow.session.scalar(select(func.count()).select_from(Segment)) == 4


def test_customer_reminders_says_which_policy_and_why(uow: UnitOfWork, tmp_path: Path) -> None:
    _small_ledger(uow, tmp_path)
    with uow:
        customer = uow.session.scalars(select(Customer)).one()
        customer_id = customer.id
    state = customer_reminders(uow, customer_id, TODAY)
    assert (state.policy_name, state.source, state.excluded) == ("Standard", "segment", False)
    key = _policy(uow, "Key account").id
    with uow:
        row = uow.session.get(Customer, customer_id)
        assert row is not None
        row.policy_id = key
        row.reminders_paused_until = TODAY + timedelta(days=3)
        row.reminders_pause_reason = "holiday"
        uow.commit()
    state = customer_reminders(uow, customer_id, TODAY)
    assert (state.policy_name, state.source) == ("Key account", "customer")
    assert state.paused_until == TODAY + timedelta(days=3)
    assert state.pause_reason == "holiday"
    assert customer_reminders(uow, customer_id, TODAY + timedelta(days=5)).paused_until is None
    with pytest.raises(PolicyError, match="no customer"):
        customer_reminders(uow, 999, TODAY)
