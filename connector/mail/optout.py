"""Opt-out links printed on postcards: `<base_url>/opt-out/<token>`, the token signed with the secret key.

The token names the tenant and the customer and never expires (a card sits in a drawer for months).
It is signed with itsdangerous (Flask's own signer) under a salt of its own; previous secret keys
(`BACKBONE_OLD_SECRET_KEYS`) still verify, so rotating the key does not break printed cards.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from itsdangerous import BadSignature, URLSafeSerializer

if TYPE_CHECKING:
    from connector.config import Settings

SALT = "backbone.opt-out.v1"


@dataclass(frozen=True)
class OptOutSubject:
    tenant_id: str
    customer_id: str


def _serializer(settings: Settings) -> URLSafeSerializer:
    # itsdangerous signs with the last key and accepts every one of them.
    keys = [*reversed(settings.previous_secret_keys()), settings.effective_secret_key()]
    return URLSafeSerializer(keys, salt=SALT)


def token_for(settings: Settings, tenant_id: str, customer_id: str) -> str:
    """The signed token naming this tenant's customer."""
    return str(_serializer(settings).dumps({"t": tenant_id, "c": customer_id}))


def url_for(settings: Settings, tenant_id: str, customer_id: str) -> str:
    """The public opt-out link of this customer."""
    return f"{settings.base_url.rstrip('/')}/opt-out/{token_for(settings, tenant_id, customer_id)}"


def subject_of(settings: Settings, token: str) -> OptOutSubject | None:
    """Who the token names, or None when it is forged, damaged or not an opt-out token."""
    try:
        payload = _serializer(settings).loads(token)
    except BadSignature:
        return None
    if not isinstance(payload, dict):
        return None
    tenant_id, customer_id = payload.get("t"), payload.get("c")
    if not (isinstance(tenant_id, str) and isinstance(customer_id, str) and tenant_id and customer_id):
        return None
    return OptOutSubject(tenant_id, customer_id)
