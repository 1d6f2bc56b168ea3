"""Consent rules: who may be contacted on which channel for which purpose (pure; the ledgers call it).

The defaults follow WORKFLOWS.md ("Consent and opt-outs"), for the US, and are **not legal advice**:

* the newest ledger entry for (customer, channel, purpose) decides, whatever its source;
* without one, a customer whose FSM flag (`mail_consent_marketing` / `mail_consent_operational`) is off
  is not mailed for that purpose ("do_not_mail", like ServiceTitan's "Do not mail");
* operational messages (notices, invoices) are allowed;
* marketing mail to an existing customer is allowed unless they opted out (no US opt-in rule for postal
  marketing to customers); marketing SMS and email need an explicit grant.

State and country rules vary: confirm with counsel per market.
"""

from __future__ import annotations

from actions.context import CONSENT_CHANNELS, CONSENT_PURPOSES, CONSENT_SOURCES, ConsentDecision

GRANTED = "granted"
OPTED_OUT = "opted_out"
DO_NOT_MAIL = "do_not_mail"
NO_MARKETING_CONSENT = "no_marketing_consent"
DEFAULT_OPERATIONAL = "default_operational"
DEFAULT_EXISTING_CUSTOMER = "default_existing_customer"
UNKNOWN_CUSTOMER = "unknown_customer"


def check(channel: str, purpose: str, source: str | None = None) -> None:
    """Raises ValueError for a channel, purpose or source the ledger does not know."""
    if channel not in CONSENT_CHANNELS:
        raise ValueError(f"channel must be one of {', '.join(CONSENT_CHANNELS)}, not {channel!r}")
    if purpose not in CONSENT_PURPOSES:
        raise ValueError(f"purpose must be one of {', '.join(CONSENT_PURPOSES)}, not {purpose!r}")
    if source is not None and source not in CONSENT_SOURCES:
        raise ValueError(f"source must be one of {', '.join(CONSENT_SOURCES)}, not {source!r}")


def decide(channel: str, purpose: str, *, known_customer: bool, newest_granted: bool | None,
           fsm_flag: bool | None) -> ConsentDecision:
    """The decision for one (customer, channel, purpose).

    Args:
        channel: mail | sms | email.
        purpose: marketing | operational.
        known_customer: Whether the tenant has this customer (an existing business relationship).
        newest_granted: The newest ledger entry's `granted`, or None when there is none.
        fsm_flag: The customer's FSM mail flag for this purpose (mail only; None when unknown).
    """
    check(channel, purpose)
    if newest_granted is not None:
        return ConsentDecision(newest_granted, GRANTED if newest_granted else OPTED_OUT)
    if not known_customer:
        return ConsentDecision(False, UNKNOWN_CUSTOMER)
    if channel == "mail" and fsm_flag is False:
        return ConsentDecision(False, DO_NOT_MAIL)
    if purpose == "operational":
        return ConsentDecision(True, DEFAULT_OPERATIONAL)
    if channel == "mail":
        return ConsentDecision(True, DEFAULT_EXISTING_CUSTOMER)
    return ConsentDecision(False, NO_MARKETING_CONSENT)
