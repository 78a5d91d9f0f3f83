"""Database leases: one holder at a time per name, across processes on one ledger.

A holder is named ``host:pid:token``. A lease ends when its holder releases it or when it expires;
a holder on this machine whose process is gone loses it at once, so a restart after a crash does
not wait for the expiry. On Windows a holder's process is not looked at (``os.kill`` there would
send it a Ctrl+C, not ask whether it runs): its lease ends when it expires.
"""

from __future__ import annotations

import os
import socket
import sys
import uuid
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Update, delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models.base import utcnow
from app.models.jobs import Lease
from app.services.uow import UnitOfWork

#: ``os.kill(pid, 0)`` only asks whether a process runs on POSIX systems; on Windows it sends a
#: console's process group CTRL_C_EVENT.
_CAN_PROBE_PROCESSES = sys.platform != "win32"


def new_holder() -> str:
    """A holder name unique to this call in this process: ``host:pid:token``."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _process_is_gone(holder: str) -> bool:
    """Whether ``holder`` was a process on this machine that no longer runs.

    False when it cannot be told (another machine, or Windows): the lease then ends at its expiry.
    """
    if not _CAN_PROBE_PROCESSES:
        return False
    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # it exists but belongs to someone else
        return False
    return False


def _changed(session: Session, statement: Update) -> int:
    return cast(CursorResult[Any], session.execute(statement)).rowcount


def acquire_lease(
    uow: UnitOfWork, name: str, holder: str, ttl: timedelta, now: datetime | None = None
) -> bool:
    """Take or renew the lease ``name`` for ``ttl``; False while another live holder has it."""
    now = now or utcnow()
    expires = now + ttl
    with uow:
        session = uow.session
        taken = _changed(
            session,
            update(Lease)
            .where(Lease.name == name, or_(Lease.holder == holder, Lease.expires_at < now))
            .values(holder=holder, expires_at=expires),
        )
        if not taken:
            current = session.scalar(select(Lease.holder).where(Lease.name == name))
            if current is None:
                session.add(Lease(name=name, holder=holder, expires_at=expires))
                try:
                    session.flush()
                except IntegrityError:
                    return False
            elif _process_is_gone(current):
                taken = _changed(
                    session,
                    update(Lease)
                    .where(Lease.name == name, Lease.holder == current)
                    .values(holder=holder, expires_at=expires),
                )
                if not taken:
                    return False
            else:
                return False
        uow.commit()
    return True


def release_lease(uow: UnitOfWork, name: str, holder: str) -> None:
    """Give the lease up, if ``holder`` still has it."""
    with uow:
        uow.session.execute(delete(Lease).where(Lease.name == name, Lease.holder == holder))
        uow.commit()
