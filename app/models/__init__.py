"""The ledger's tables; importing this package registers every table on ``Base.metadata``."""

from app.models import (
    activity,
    bank,
    collections,
    company,
    customer,
    invoice,
    jobs,
    payment,
)
from app.models.base import Base

__all__ = [
    "Base",
    "activity",
    "bank",
    "collections",
    "company",
    "customer",
    "invoice",
    "jobs",
    "payment",
]
