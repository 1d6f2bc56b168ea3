from __future__ import annotations

from connector.db.models import HookSubscription
from tests.factories import bearer, issue_token


def test_subscribe_returns_201_with_id_and_signing_secret(client, token, listener) -> None:
    response = client.post("/api/v1/hooks", json={"trigger": "job_completed", "target_url": listener.url},
                           headers=bearer(token))
    assert response.status_code == 201
    assert set(response.json) >= {"id", "trigger", "target_url", "secret", "created_at"}
    assert response.json["secret"].startswith("whsec_")


def test_subscribe_validates_trigger_and_url_naming_the_field(client, token) -> None:
    response = client.post("/api/v1/hooks", json={"trigger": "nope", "target_url": "ftp://x"}, headers=bearer(token))
    assert response.status_code == 422
    fields = {f["field"]: f["message"] for f in response.json["error"]["fields"]}
    assert "trigger" in fields and "job_completed" in fields["trigger"]
    response = client.post("/api/v1/hooks", json={"trigger": "job_completed", "target_url": "ftp://x"},
                           headers=bearer(token))
    assert response.status_code == 422
    assert response.json["error"]["fields"] == [
        {"field": "target_url", "message": "Must be an http:// or https:// URL."}]
    response = client.post("/api/v1/hooks", data="not json", headers=bearer(token))
    assert response.status_code == 422


def test_subscribe_needs_a_token(client) -> None:
    response = client.post("/api/v1/hooks", json={"trigger": "job_completed", "target_url": "https://x.example"})
    assert response.status_code == 401
    assert "Bearer" in response.headers["WWW-Authenticate"]


def test_unsubscribe_and_another_tenants_hook_is_404(client, runtime, token, other_tenant, listener) -> None:
    created = client.post("/api/v1/hooks", json={"trigger": "job_completed", "target_url": listener.url},
                          headers=bearer(token)).json
    other = issue_token(runtime, other_tenant)
    assert client.delete(f"/api/v1/hooks/{created['id']}", headers=bearer(other)).status_code == 404
    assert client.get("/api/v1/hooks", headers=bearer(other)).json == []
    assert client.delete(f"/api/v1/hooks/{created['id']}", headers=bearer(token)).status_code == 200
    assert client.delete(f"/api/v1/hooks/{created['id']}", headers=bearer(token)).status_code == 404
    with runtime.db.session() as session:
        sub = session.get(HookSubscription, created["id"])
        assert sub.deleted_at is not None and sub.deleted_reason == "unsubscribed by client"
