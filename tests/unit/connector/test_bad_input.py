"""Nothing a client sends gets a 500: malformed input always answers a 4xx JSON error."""

from __future__ import annotations

import pytest

from tests.factories import bearer

JSON = {"Content-Type": "application/json"}

BODIES = [
    b"", b"null", b"[]", b'"text"', b"42", b"{", b"\xff\xfe\x00garbage", b'{"job_id": null}', b'{"job_id": 123}',
    b'{"job_id": {"$ne": 1}}', b'{"job_id": "' + b"x" * 5000 + b'"}', b'{"job_id": "j", "labour_hours": "NaN"}',
    b'{"job_id": "j", "labour_hours": "1e999"}', b'{"job_id": "j", "labour_hours": -1}',
    b'{"job_id": "j", "due_in_days": 1.5}', b'{"trigger": ["job_completed"], "target_url": 7}',
    b'{"trigger": "job_completed", "target_url": "http://' + b"a" * 3000 + b'"}',
    b'{"trigger": "job_completed", "target_url": "javascript:alert(1)"}',
]


@pytest.mark.parametrize("body", BODIES, ids=range(len(BODIES)))
@pytest.mark.parametrize("path", ["/api/v1/actions/generate_invoice", "/api/v1/hooks"])
def test_malformed_api_bodies_get_4xx_json(client, token, path: str, body: bytes) -> None:
    response = client.post(path, data=body, headers=bearer(token) | JSON)
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    assert response.is_json and response.json["error"]["message"]


@pytest.mark.parametrize("body", [b"", b"{}", b"{", b"\xff\xfe", b'{"id": 1}', b"[]"])
@pytest.mark.parametrize("signature", [None, "sha256=00", "sha256=\u00e9", "garbage"])
def test_malformed_webhooks_get_4xx_json(client, tenant, body: bytes, signature: str | None) -> None:
    headers = {"X-Sandbox-Account": tenant.account_id, **JSON}
    if signature is not None:
        headers["X-Sandbox-Signature"] = signature
    response = client.post("/webhooks/sandbox", data=body, headers=headers)
    assert response.status_code == 401 and response.is_json


@pytest.mark.parametrize("query", ["limit=-5", "limit=abc", "limit=100000", "limit=", "limit=1.5"])
def test_odd_poll_parameters_never_500(client, token, query: str) -> None:
    response = client.get(f"/api/v1/triggers/job_completed?{query}", headers=bearer(token))
    assert response.status_code in (200, 422)


@pytest.mark.parametrize("hook_id", ["x" * 500, "%00", "..%2f..", "' OR 1=1 --"])
def test_odd_ids_are_404(client, token, hook_id: str) -> None:
    assert client.delete(f"/api/v1/hooks/{hook_id}", headers=bearer(token)).status_code == 404
    assert client.get(f"/api/v1/runs/{hook_id}", headers=bearer(token)).status_code == 404


def test_oversized_body_is_413(client, token) -> None:
    response = client.post("/api/v1/actions/generate_invoice", data=b"{" + b" " * (2 * 1024 * 1024) + b"}",
                           headers=bearer(token) | JSON)
    assert response.status_code == 413 and response.is_json


def test_long_idempotency_key_is_422(client, token) -> None:
    response = client.post("/api/v1/actions/generate_invoice", json={"job_id": "j"},
                           headers=bearer(token) | {"Idempotency-Key": "k" * 201})
    assert response.status_code == 422
    assert response.json["error"]["fields"][0]["field"] == "Idempotency-Key"


@pytest.mark.parametrize("data", [{}, {"grant_type": "password", "username": "a", "password": "b"},
                                  {"grant_type": "authorization_code", "code": "\u0000"}])
def test_token_endpoint_garbage_is_4xx(client, data: dict[str, str]) -> None:
    assert 400 <= client.post("/oauth/token", data=data).status_code < 500


@pytest.mark.parametrize("body", [b'{"job_id": "a\\u0000b"}', b'{"job_id": "ab", "notes": "x\\u0000"}'])
def test_nul_characters_are_refused(client, token, body: bytes) -> None:
    response = client.post("/api/v1/actions/generate_invoice", data=body, headers=bearer(token) | JSON)
    assert response.status_code == 400 and "NUL" in response.json["error"]["message"]


def test_signed_webhook_with_nul_is_422(client, tenant) -> None:
    from tests.helpers import T0, job_data, sandbox_webhook

    body, headers = sandbox_webhook(tenant, "job.created", T0, job_data(description="a\u0000b"))
    response = client.post("/webhooks/sandbox", data=body, headers=headers)
    assert response.status_code == 422 and response.json["error"]["code"] == "invalid_payload"


def test_signup_form_with_nul_is_refused(client) -> None:
    from tests.conftest import csrf_token

    page = client.get("/signup")
    response = client.post("/signup", data={"company": "A\x00B", "name": "n", "email": "a@b.example.com",
                                            "password": "x" * 12, "confirm": "x" * 12,
                                            "csrf_token": csrf_token(page.text)})
    assert response.status_code == 400
