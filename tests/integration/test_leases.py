"""Leases: one holder at a time, taken over when expired or when its process is gone."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import timedelta

import pytest

from app.models.base import utcnow
from app.services import leases
from app.services.leases import acquire_lease, new_holder, release_lease
from app.services.uow import UnitOfWork

TTL = timedelta(minutes=10)


def test_one_holder_at_a_time_until_released(uow: UnitOfWork) -> None:
    first, second = new_holder(), new_holder()
    assert acquire_lease(uow, "outbox", first, TTL)
    assert not acquire_lease(uow, "outbox", second, TTL)
    assert acquire_lease(uow, "outbox", first, TTL), "the holder renews its own lease"
    release_lease(uow, "outbox", first)
    assert acquire_lease(uow, "outbox", second, TTL)


def test_leases_of_different_names_do_not_meet(uow: UnitOfWork) -> None:
    assert acquire_lease(uow, "outbox", new_holder(), TTL)
    assert acquire_lease(uow, "daily-pass", new_holder(), TTL)


def test_an_expired_lease_is_taken_over(uow: UnitOfWork) -> None:
    past = utcnow() - timedelta(hours=1)
    assert acquire_lease(uow, "outbox", new_holder(), TTL, now=past)
    assert acquire_lease(uow, "outbox", new_holder(), TTL)


def test_the_lease_of_a_process_that_is_gone_is_taken_over_at_once(uow: UnitOfWork) -> None:
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], check=True,
                          capture_output=True, text=True)  # fmt: skip
    dead_holder = f"{socket.gethostname()}:{gone.stdout.strip()}:deadbeef"
    assert acquire_lease(uow, "outbox", dead_holder, TTL)
    assert acquire_lease(uow, "outbox", new_holder(), TTL)


def test_a_live_process_on_this_machine_keeps_its_lease(uow: UnitOfWork) -> None:
    live_holder = f"{socket.gethostname()}:{os.getppid()}:cafebabe"
    assert acquire_lease(uow, "outbox", live_holder, TTL)
    assert not acquire_lease(uow, "outbox", new_holder(), TTL)


def test_a_holder_on_another_machine_is_not_judged_by_local_processes(uow: UnitOfWork) -> None:
    assert acquire_lease(uow, "outbox", "elsewhere.example:1:abcd1234", TTL)
    assert not acquire_lease(uow, "outbox", new_holder(), TTL)


def test_on_windows_no_process_is_signalled_and_the_lease_waits_for_its_expiry(
    uow: UnitOfWork, monkeypatch: pytest.MonkeyPatch
) -> None:
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], check=True,
                          capture_output=True, text=True)  # fmt: skip
    dead_holder = f"{socket.gethostname()}:{gone.stdout.strip()}:deadbeef"
    signalled: list[tuple[int, int]] = []
    monkeypatch.setattr(leases, "_CAN_PROBE_PROCESSES", False)  # as on Windows
    monkeypatch.setattr(os, "kill", lambda pid, sig: signalled.append((pid, sig)))
    started = utcnow()
    assert acquire_lease(uow, "outbox", dead_holder, TTL, now=started)

    assert not acquire_lease(uow, "outbox", new_holder(), TTL, now=started + TTL / 2)
    assert signalled == [], "os.kill(pid, 0) is CTRL_C_EVENT on Windows"
    assert acquire_lease(uow, "outbox", new_holder(), TTL, now=started + TTL * 2)
