"""Customer notifications: sending SMS (Twilio) and email (SMTP), the ledger, and the templates page."""
