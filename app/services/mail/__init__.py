"""Sending mail: the SMTP account, MIME messages, the connection and the outbox sender."""
