"""The consent rules: the newest entry decides, else the FSM flag, else the defaults (US, not legal advice)."""

from __future__ import annotations

import pytest

from actions.consent import decide
from actions.context import ConsentDecision, NoConsent
from tests.fakes import FakeConsent


@pytest.mark.parametrize(("channel", "purpose", "expected"), [
    ("mail", "operational", ConsentDecision(True, "default_operational")),
    ("mail", "marketing", ConsentDecision(True, "default_existing_customer")),
    ("sms", "marketing", ConsentDecision(False, "no_marketing_consent")),
    ("email", "marketing", ConsentDecision(False, "no_marketing_consent")),
    ("sms", "operational", ConsentDecision(True, "default_operational")),
    ("email", "operational", ConsentDecision(True, "default_operational")),
])
def test_defaults_for_an_existing_customer(channel: str, purpose: str, expected: ConsentDecision) -> None:
    assert decide(channel, purpose, known_customer=True, newest_granted=None, fsm_flag=None) == expected


def test_the_newest_entry_decides_over_defaults_and_flags() -> None:
    assert decide("sms", "marketing", known_customer=True, newest_granted=True, fsm_flag=None) == ConsentDecision(
        True, "granted")
    assert decide("mail", "marketing", known_customer=True, newest_granted=False, fsm_flag=True) == ConsentDecision(
        False, "opted_out")
    assert decide("mail", "marketing", known_customer=True, newest_granted=True, fsm_flag=False).allowed


def test_an_fsm_flag_set_false_is_a_do_not_mail() -> None:
    assert decide("mail", "marketing", known_customer=True, newest_granted=None, fsm_flag=False) == ConsentDecision(
        False, "do_not_mail")
    assert decide("mail", "operational", known_customer=True, newest_granted=None, fsm_flag=False) == ConsentDecision(
        False, "do_not_mail")
    # The FSM's mail flags say nothing about SMS or email.
    assert decide("sms", "operational", known_customer=True, newest_granted=None, fsm_flag=False).allowed


def test_an_unknown_customer_is_not_contacted() -> None:
    assert decide("mail", "operational", known_customer=False, newest_granted=None, fsm_flag=None) == ConsentDecision(
        False, "unknown_customer")


def test_bad_channel_purpose_or_source_are_refused() -> None:
    ledger = FakeConsent(customers={"c1": {}})
    with pytest.raises(ValueError, match="channel"):
        ledger.decision("c1", "fax", "marketing")
    with pytest.raises(ValueError, match="purpose"):
        ledger.decision("c1", "mail", "sales")
    with pytest.raises(ValueError, match="source"):
        ledger.record("c1", "mail", "marketing", granted=False, source="guess", evidence="")


def test_fake_ledger_appends_and_the_newest_wins() -> None:
    ledger = FakeConsent(customers={"c1": {"marketing": True}})
    assert ledger.decision("c1", "mail", "marketing").allowed
    ledger.record("c1", "mail", "marketing", granted=False, source="opt_out_url", evidence="token")
    assert ledger.decision("c1", "mail", "marketing") == ConsentDecision(False, "opted_out")
    assert ledger.decision("c1", "mail", "operational").allowed  # other purpose untouched
    ledger.record("c1", "mail", "marketing", granted=True, source="form", evidence="signed form")
    assert ledger.decision("c1", "mail", "marketing") == ConsentDecision(True, "granted")


def test_no_consent_refuses_marketing_and_allows_operational() -> None:
    assert NoConsent().decision("c1", "sms", "operational").allowed
    assert not NoConsent().decision("c1", "mail", "marketing").allowed
