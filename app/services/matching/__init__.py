"""Matching bank statement lines to the invoices they pay (pure: no database, no Qt)."""
