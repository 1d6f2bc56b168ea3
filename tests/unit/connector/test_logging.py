from __future__ import annotations

import logging

import pytest

from connector.logging import ContextFilter, bind, redact


@pytest.mark.parametrize("secret_text", [
    "Authorization: Bearer abc.def.ghi",
    "refresh_token=r3fr3sh&grant_type=refresh_token",
    '{"client_secret": "s3cr3t"}',
    "webhook-signature: v1,AAAA",
    "password=hunter22",
])
def test_credentials_are_redacted(secret_text: str) -> None:
    out = redact(secret_text)
    assert "[redacted]" in out
    for leaked in ("abc.def.ghi", "r3fr3sh", "s3cr3t", "v1,AAAA", "hunter22"):
        assert leaked not in out


def test_context_fields_are_added_to_records() -> None:
    bind(tenant_id="t1", request_id="r1", run_id=None, job_id=None)
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "token=%s", ("abc",), None)
    assert ContextFilter().filter(record)
    assert (record.tenant_id, record.request_id, record.run_id) == ("t1", "r1", "-")  # type: ignore[attr-defined]
    assert record.getMessage() == "token=abc"  # "token" alone is not a credential keyword
