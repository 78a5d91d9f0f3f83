"""Send a test email: one message to the user, every failure said in words."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from app.models.base import utcnow
from app.services.mail.account import MailSetupError, account_from_settings
from app.services.mail.message import (
    MessageError,
    OutgoingEmail,
    build_message,
    check_sender,
    envelope_address,
    message_addresses,
    smtputf8_addresses,
)
from app.services.mail.password import PasswordStoreError, load_password
from app.services.mail.smtp import DeliveryStatus, SmtpAccountError, SmtpConnection


class TrialError(RuntimeError):
    """The test email did not go; the message says why in a bookkeeper's words."""


def send_test_email(
    values: Mapping[str, str],
    to: str,
    password_lookup: Callable[[str, str], str | None] = load_password,
) -> str:
    """Send a short test email with the given settings (saved or not yet saved).

    Returns:
        A sentence saying where it went.

    Raises:
        TrialError: set-up missing, the server unreachable or refusing, the sender not allowed.
    """
    try:
        account = account_from_settings(values, password_lookup)
        recipient = to.strip() or account.from_addr
        email = OutgoingEmail(
            to=(recipient,),
            subject="Duebook test email",
            body_text=(
                "This is a test email from Duebook.\n\n"
                f"It went through {account.host}:{account.port} as {account.from_addr}, so "
                "reminders and invoices can be sent from this account.\n"
            ),
        )
        check_sender(account)
        data = build_message(account, email, utcnow().astimezone()).as_bytes()
        with SmtpConnection(account) as connection:
            delivery = connection.deliver(
                envelope_address(account.from_addr),
                (envelope_address(recipient),),
                data,
                smtputf8=smtputf8_addresses(message_addresses(account, email)),
            )
    except (MailSetupError, PasswordStoreError, MessageError, SmtpAccountError) as exc:
        raise TrialError(str(exc)) from None
    if delivery.status != DeliveryStatus.SENT:
        raise TrialError(f"The mail server did not take the test email: {delivery.detail}")
    return f"Test email sent to {recipient} through {account.host}."
