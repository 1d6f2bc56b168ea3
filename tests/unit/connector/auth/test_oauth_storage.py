"""Secrets at rest: tokens, codes and client secrets are stored only as digests."""

from __future__ import annotations

import sqlalchemy as sa

from connector.crypto import digest
from connector.db.base import Base
from connector.db.models import OAuthClient, OAuthToken


def _every_stored_value(runtime) -> str:  # type: ignore[no-untyped-def]
    values = []
    with runtime.db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for row in conn.execute(sa.select(table)):
                values.extend(str(value) for value in row)
    return "\n".join(values)


def test_no_plaintext_secret_is_stored_anywhere(flow, clock, runtime) -> None:
    code = flow.code()
    first = flow.exchange(code).json
    clock.advance(10)
    second = flow.refresh(first["refresh_token"]).json
    secrets = [
        flow.oauth_client.client_secret,
        code,
        first["access_token"],
        first["refresh_token"],
        second["access_token"],
        second["refresh_token"],
    ]
    stored = _every_stored_value(runtime)
    for secret in secrets:
        assert secret not in stored
        assert digest(secret) in stored
    with runtime.db.session() as session:
        client = session.scalar(sa.select(OAuthClient))
        assert client is not None
        assert client.client_secret_digest == digest(flow.oauth_client.client_secret)
        digests = {
            (row.access_token_digest, row.refresh_token_digest) for row in session.scalars(sa.select(OAuthToken))
        }
    assert digests == {
        (digest(first["access_token"]), digest(first["refresh_token"])),
        (digest(second["access_token"]), digest(second["refresh_token"])),
    }


def test_secrets_are_not_logged(flow, caplog) -> None:
    code = flow.code()
    tokens = flow.exchange(code).json
    flow.refresh(tokens["refresh_token"])
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for secret in (flow.oauth_client.client_secret, code, tokens["access_token"], tokens["refresh_token"]):
        assert secret not in logged
