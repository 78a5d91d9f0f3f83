import threading

import pytest
from sqlalchemy import text

from app.services.tasks import TaskCancelledError, TaskContext, cancellable_queries

ENDLESS = (
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 100000000) "
    "SELECT count(*) FROM c"
)


def test_a_cancel_stops_a_statement_that_is_already_running(uow):
    ctx = TaskContext()
    timer = threading.Timer(0.05, ctx.cancel)
    timer.start()
    with uow, pytest.raises(TaskCancelledError), cancellable_queries(uow.session, ctx):
        uow.session.execute(text(ENDLESS))
    timer.join()
    with uow, cancellable_queries(uow.session, TaskContext()):  # the handler is gone again
        assert uow.session.execute(text("SELECT 1")).scalar() == 1


def test_without_a_context_nothing_is_interrupted(uow):
    with uow, cancellable_queries(uow.session, None):
        assert uow.session.execute(text("SELECT 2")).scalar() == 2
