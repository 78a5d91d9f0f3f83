"""The unit of work: one session, one transaction, committed or rolled back as a whole."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.orm import Session

from app.models.db import SessionFactory


class UnitOfWork:
    """Opens a session on ``with``; leaving the block without :meth:`commit` rolls back.

    One object may be entered many times, one block after another; each block gets its own
    session. Threads each build their own unit of work from the shared session factory.
    """

    def __init__(self, session_factory: SessionFactory, actor: str = "duebook") -> None:
        self._session_factory = session_factory
        self._session: Session | None = None
        self.actor = actor

    @property
    def session(self) -> Session:
        """The session of the current block."""
        if self._session is None:
            raise RuntimeError("the unit of work is used outside a 'with' block")
        return self._session

    def __enter__(self) -> Self:
        self._session = self._session_factory()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        session = self.session
        try:
            session.rollback()
        finally:
            session.close()
            self._session = None

    def commit(self) -> None:
        """Make the block's changes permanent."""
        self.session.commit()
