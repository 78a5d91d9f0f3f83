"""The demo's customer segments and payment behaviours, shared by the demo's building steps."""

KEY_ACCOUNT, STANDARD, NEW_CUSTOMER = "Key account", "Standard", "New customer"

# Payment behaviours.
PUNCTUAL, SLOW, LATE, PAYMENT_RUN, CHRONIC = "punctual", "slow", "late", "payment run", "chronic"
