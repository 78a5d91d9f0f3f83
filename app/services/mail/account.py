"""The user's SMTP account as the settings and the keyring describe it, and common presets."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from app.services.mail.password import load_password

#: Port and security of well-known providers; the server name is filled in, the user types theirs.
PRESETS: dict[str, tuple[str, int, str]] = {
    "Gmail / Google Workspace": ("smtp.gmail.com", 587, "starttls"),
    "Microsoft 365 / Outlook.com": ("smtp.office365.com", 587, "starttls"),
    "Yahoo Mail": ("smtp.mail.yahoo.com", 465, "tls"),
    "iCloud Mail": ("smtp.mail.me.com", 587, "starttls"),
    "Fastmail": ("smtp.fastmail.com", 465, "tls"),
    "Zoho Mail (EU)": ("smtp.zoho.eu", 465, "tls"),
    "GMX": ("mail.gmx.net", 587, "starttls"),
    "WEB.DE": ("smtp.web.de", 587, "starttls"),
    "IONOS": ("smtp.ionos.de", 587, "starttls"),
    "Strato": ("smtp.strato.de", 465, "tls"),
}


class MailSetupError(ValueError):
    """Email is not set up enough to send; the message says what is missing and where to set it."""


@dataclass(frozen=True)
class SmtpAccount:
    """Everything needed to connect and send; ``password`` never shows in a repr or a log."""

    host: str
    port: int
    security: str
    user: str
    from_addr: str
    from_name: str = ""
    reply_to: str = ""
    bcc_self: bool = False
    ca_file: str = ""
    per_minute: int = 0
    password: str = field(default="", repr=False)
    timeout: float = 30.0


def account_from_settings(
    values: Mapping[str, str],
    password_lookup: Callable[[str, str], str | None] = load_password,
) -> SmtpAccount:
    """The account the settings describe, with its password from the keyring.

    Raises:
        MailSetupError: no server or sender is set, or the user has no stored password.
        PasswordStoreError: the keyring cannot be used.
    """
    host = values.get("smtp.host", "")
    if not host:
        raise MailSetupError("email is not set up: enter the SMTP server in Settings → Email")
    user = values.get("smtp.user", "")
    sender = values.get("smtp.from") or values.get("company.email") or (user if "@" in user else "")
    if not sender:
        raise MailSetupError("email is not set up: enter the From address in Settings → Email")
    password = ""
    if user:
        password = password_lookup(host, user) or ""
        if not password:
            raise MailSetupError(
                f"no password is stored for {user} on {host}: enter it in Settings → Email "
                "or with `duebook settings set-password`"
            )
    return SmtpAccount(
        host=host,
        port=int(values.get("smtp.port") or 587),
        security=values.get("smtp.security") or "starttls",
        user=user,
        from_addr=sender,
        from_name=values.get("smtp.from_name") or values.get("company.name", ""),
        reply_to=values.get("smtp.reply_to", ""),
        bcc_self=values.get("smtp.bcc_self") == "yes",
        ca_file=values.get("smtp.ca_file", ""),
        per_minute=int(values.get("smtp.per_minute") or 0),
        password=password,
    )
