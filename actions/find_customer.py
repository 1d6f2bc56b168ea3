"""Search: customers by id, email, phone (digits) or part of the name, with their address and consent."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, ClassVar

from pydantic import BaseModel, Field

from actions.context import CONSENT_CHANNELS, CONSENT_PURPOSES, CustomerFilter
from actions.matching import DEFAULT_RESULTS, MAX_RESULTS, EmailKey, PhoneKey, SearchCriteria
from actions.spec import SearchSpec

if TYPE_CHECKING:
    from actions.context import ConsentLedger, CustomerRecord, SearchContext


class FindCustomerInput(SearchCriteria):
    """What to look for; every criterion given must hold."""

    CRITERIA: ClassVar[tuple[str, ...]] = ("customer_id", "email", "phone", "name")

    customer_id: str | None = Field(None, max_length=64, description="Backbone id of the customer.")
    email: EmailKey | None = Field(None, max_length=320, description="The customer's email address (any case).")
    phone: PhoneKey | None = Field(None, max_length=40, description="The customer's phone, in any format (only the "
                              "digits count; a country code may be left out).")
    name: str | None = Field(None, max_length=200, description="Part of the customer's name (any case).")
    limit: int = Field(DEFAULT_RESULTS, ge=1, le=MAX_RESULTS, description="At most this many customers, newest "
                       "first.")


class FindCustomerOutput(BaseModel):
    """A customer, with the address to send a technician or a postcard to and what they agreed to."""

    id: str = Field(description="Backbone customer id (the same as Customer ID).")
    customer_id: str = Field(description="Backbone customer id.")
    source: str = Field(description="The system the customer came from (jobber, servicetitan, ...).")
    source_id: str | None = Field(description="The customer's id in that system.")
    name: str = Field(description="Customer name.")
    email: str | None = Field(description="Email address.")
    phone: str | None = Field(description="Phone number, as the field-service system has it.")
    address: str | None = Field(description="Service address, one line.")
    street: str | None = Field(description="Street address.")
    city: str | None = Field(description="City.")
    region: str | None = Field(description="State or region.")
    postal_code: str | None = Field(description="ZIP or postal code.")
    lat: float | None = Field(description="Latitude of the service address.")
    lng: float | None = Field(description="Longitude of the service address.")
    mail_consent_marketing: bool | None = Field(
        description="The field-service system's flag: marketing mail allowed (empty: it keeps none).")
    mail_consent_operational: bool | None = Field(
        description="The field-service system's flag: service mail allowed (empty: it keeps none).")
    may_mail_marketing: bool | None = Field(description="Whether the consent ledger allows marketing mail now "
                                            "(empty when no ledger is kept).")
    may_mail_operational: bool | None = Field(description="Whether the ledger allows service mail now.")
    may_sms_marketing: bool | None = Field(description="Whether the ledger allows marketing texts now.")
    may_sms_operational: bool | None = Field(description="Whether the ledger allows service texts now.")
    may_email_marketing: bool | None = Field(description="Whether the ledger allows marketing email now.")
    may_email_operational: bool | None = Field(description="Whether the ledger allows service email now.")
    created_at: datetime = Field(description="When Backbone first saw the customer (UTC).")


def _consent(ledger: ConsentLedger | None, customer_id: str) -> dict[str, bool | None]:
    return {
        f"may_{channel}_{purpose}": ledger.decision(customer_id, channel, purpose).allowed if ledger else None
        for channel in CONSENT_CHANNELS for purpose in CONSENT_PURPOSES
    }


def item(customer: CustomerRecord, ledger: ConsentLedger | None) -> FindCustomerOutput:
    """The search result of one customer."""
    return FindCustomerOutput(
        id=customer.id, customer_id=customer.id, source=customer.source, source_id=customer.source_id,
        name=customer.name, email=customer.email, phone=customer.phone, address=customer.address,
        street=customer.street, city=customer.city, region=customer.region, postal_code=customer.postal_code,
        lat=customer.lat, lng=customer.lng, mail_consent_marketing=customer.mail_consent_marketing,
        mail_consent_operational=customer.mail_consent_operational, created_at=customer.created_at,
        **_consent(ledger, customer.id),
    )


def run(ctx: SearchContext, data: FindCustomerInput) -> list[FindCustomerOutput]:
    """The matching customers of this account, newest first (none found: an empty list)."""
    where = CustomerFilter(customer_id=data.customer_id, email=data.email, phone=data.phone, name=data.name)
    return [item(customer, ctx.consent) for customer in ctx.store.find_customers(where, data.limit)]


SAMPLE = FindCustomerOutput(
    id="7a1c9e3b5d7f4a2c8e0b6d4f2a8c0e1b",
    customer_id="7a1c9e3b5d7f4a2c8e0b6d4f2a8c0e1b",
    source="jobber",
    source_id="Z2lkOi8vSm9iYmVyL0NsaWVudC85ODc2",
    name="Dana Whitfield",
    email="dana@example.com",
    phone="+15125550142",
    address="4812 Avenue H, Austin, TX 78751",
    street="4812 Avenue H",
    city="Austin",
    region="TX",
    postal_code="78751",
    lat=30.31,
    lng=-97.72,
    mail_consent_marketing=True,
    mail_consent_operational=True,
    may_mail_marketing=True,
    may_mail_operational=True,
    may_sms_marketing=False,
    may_sms_operational=True,
    may_email_marketing=False,
    may_email_operational=True,
    created_at=datetime(2026, 3, 2, 15, 30, tzinfo=UTC),
)

SEARCH = SearchSpec(
    key="find_customer",
    noun="Customer",
    label="Find Customer",
    help_text="Finds customers by Backbone id, email, phone (any format) or part of the name, with their service "
    "address and consent to be contacted.",
    input=FindCustomerInput,
    output=FindCustomerOutput,
    sample=SAMPLE,
    run=run,
)
