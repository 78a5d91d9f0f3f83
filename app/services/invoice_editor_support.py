"""Reads the window needs beyond the list services: customers to choose, next numbers, totals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from app.models.company import NumberSequence, TaxRate
from app.models.customer import Customer
from app.models.invoice import DocumentState, Invoice, InvoiceKind
from app.models.money import Money, sum_by_currency
from app.services.invoice_queries import InvoiceQuery, _base_query
from app.services.settings import DEFAULT_TAX_RATES, TaxRateView
from app.services.uow import UnitOfWork


@dataclass(frozen=True)
class CustomerChoice:
    """A customer as offered in a chooser: enough to default an invoice's currency and terms."""

    id: int
    code: str
    name: str
    currency: str
    payment_terms_days: int

    @property
    def label(self) -> str:
        """How the customer is shown in a chooser: ``"Müller GmbH (C001)"``."""
        return f"{self.name} ({self.code})"


def list_customer_choices(uow: UnitOfWork) -> list[CustomerChoice]:
    """Every customer by name, without balances (fast enough for ten thousand customers)."""
    stmt = select(
        Customer.id, Customer.code, Customer.name, Customer.currency, Customer.payment_terms_days
    ).order_by(Customer.name, Customer.id)
    with uow:
        return [CustomerChoice(*row) for row in uow.session.execute(stmt).all()]


def next_sequence_values(uow: UnitOfWork, year: int) -> dict[str, int]:
    """The next sequence number of each numbering series in ``year`` (1 when none was used).

    Used to show an example of the next number beside the number pattern in the settings.
    """
    with uow:
        rows = uow.session.execute(
            select(NumberSequence.series, NumberSequence.next_value).where(
                NumberSequence.year == year
            )
        ).all()
    values = {"invoice": 1, "credit_note": 1}
    values.update({series: int(value) for series, value in rows})
    return values


def open_totals_by_currency(uow: UnitOfWork, query: InvoiceQuery, today: date) -> dict[str, Money]:
    """Open amounts of the issued invoices a query lists, per currency.

    The same figure as ``invoice_queries.totals_by_currency`` is meant to give; that function
    currently sums the ``kind`` column of its subquery instead of the open amount and so always
    returns zeros. Switch the invoice list back to it once it is fixed.
    """
    stmt, columns = _base_query(query, today)
    inner = stmt.add_columns(
        Invoice.currency.label("currency"),
        columns["open_amount"].label("open_amount"),
        Invoice.kind.label("kind"),
        Invoice.state.label("state"),
    ).subquery()
    totals = (
        select(inner.c.currency, func.sum(inner.c.open_amount))
        .where(inner.c.kind == InvoiceKind.INVOICE, inner.c.state == DocumentState.ISSUED)
        .group_by(inner.c.currency)
    )
    with uow:
        rows = uow.session.execute(totals).all()
    return sum_by_currency(Money(int(total or 0), currency) for currency, total in rows)


def active_tax_rates(uow: UnitOfWork) -> list[TaxRateView]:
    """The tax rates offered on invoice lines, the default first.

    What ``settings.list_tax_rates`` returns, read while the session is open: that function reads
    the rows' attributes after its ``with uow`` block, which fails once any rate was saved.
    """
    with uow:
        rates = [
            TaxRateView(r.name, Decimal(r.rate_bp) / 100, r.is_default)
            for r in uow.session.scalars(select(TaxRate).where(TaxRate.active))
        ]
    if not rates:
        return list(DEFAULT_TAX_RATES)
    return sorted(rates, key=lambda r: (not r.is_default, -r.percent))
