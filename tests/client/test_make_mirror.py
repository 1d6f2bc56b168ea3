"""The generated Make app, driven the way Make drives it, against the live app.

A Make scenario cannot run offline, so this mirrors one: it reads the files under
`manifests/make/` (through `makecomapp.json`, as Make's deploy does), evaluates their IML with
`tests/client/iml.py`, and sends the requests Make would send: the OAuth 2.0 connection
(authorize with PKCE, consent as the tenant owner, token, info, refresh, invalidate), a webhook's
attach, one delivery mapped to a trigger bundle, detach, one fast action call and one search.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from actions.find_job import FindJobOutput
from actions.generate_invoice import GenerateInvoiceOutput
from tests.client import iml
from tests.helpers import Listener, job_data, sandbox_webhook
from triggers.job_completed import JobCompletedOutput

if TYPE_CHECKING:
    from collections.abc import Mapping

    from tests.client.conftest import LiveApp

pytestmark = pytest.mark.client

APP = Path(__file__).resolve().parents[2] / "manifests" / "make"
MAKE_REDIRECT_URI = "https://www.make.com/oauth/cb/app"  # what Make's oauth.localRedirectUri is on make.com
TIMEOUT = 15


class MakeApp:
    """The generated files, found the way Make's VS Code extension finds them."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.meta = self._load("makecomapp.json")
        self.base = self._load(self.meta["generalCodeFiles"]["base"])

    def _load(self, path: str) -> Any:
        return json.loads((self.root / path).read_text())

    def code(self, kind: str, local_id: str, code: str) -> Any:
        return self._load(self.meta["components"][kind][local_id]["codeFiles"][code])


class Mirror:
    """Sends a Make request spec as Make would: IML evaluated, base merged for relative URLs."""

    def __init__(self, app: MakeApp) -> None:
        self.app = app
        self.http = requests.Session()
        self.sent: list[tuple[str, str]] = []

    def call(self, spec: dict[str, Any], scope: dict[str, Any], *, use_base: bool) -> tuple[int, Any]:
        """Performs one request; `scope["temp"]` collects temp directives. Returns status and body."""
        scope["temp"] = {**scope.get("temp", {}), **iml.render(spec.get("temp", {}), scope)}
        url = iml.render(spec["url"], scope)
        headers: dict[str, str] = {}
        if use_base and url.startswith("/"):
            url = iml.render(self.app.base["baseUrl"], scope) + url
            headers.update(iml.render(self.app.base.get("headers", {}), scope))
        headers.update(iml.render(spec.get("headers", {}), scope))
        method = spec.get("method", "GET")
        kwargs: dict[str, Any] = {"params": iml.to_json(iml.render(spec.get("qs", {}), scope)) or None}
        if "body" in spec:
            body = iml.to_json(iml.render(spec["body"], scope))
            kwargs["data" if spec.get("type", "json") == "urlencoded" else "json"] = body
        self.sent.append((method, url))
        response = self.http.request(method, url, headers=headers, timeout=TIMEOUT, allow_redirects=False, **kwargs)
        parsed = response.json() if response.content and "json" in response.headers.get("content-type", "") else None
        if response.status_code >= 400:
            errors = {**self.app.base.get("response", {}).get("error", {}),
                      **spec.get("response", {}).get("error", {})}
            error = errors.get(str(response.status_code), errors)
            error_scope = {**scope, "statusCode": response.status_code, "body": parsed}
            message = iml.render(error.get("message", ""), error_scope)
            pytest.fail(f"{method} {url} answered {response.status_code}; Make would show: {message}")
        response_scope = {**scope, "body": parsed, "statusCode": response.status_code,
                          "headers": dict(response.headers)}
        scope["temp"].update(iml.render(spec.get("response", {}).get("temp", {}), response_scope))
        return response.status_code, parsed


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def _consent(live: LiveApp, authorize_url: str) -> str:
    """The tenant owner signs in and approves; returns where Backbone sends the browser back."""
    browser = requests.Session()
    page = browser.get(f"{live.base_url}/login", timeout=TIMEOUT)
    signed_in = browser.post(f"{live.base_url}/login", allow_redirects=False, timeout=TIMEOUT, data={
        "email": live.tenant.owner_email, "password": live.password, "csrf_token": _csrf(page.text)})
    assert signed_in.status_code == 302, signed_in.text
    # Never follow a redirect here: an error goes back to Make's callback, which this test is.
    consent = browser.get(authorize_url, timeout=TIMEOUT, allow_redirects=False)
    assert consent.status_code == 200 and "Approve" in consent.text, consent.headers.get("Location", consent.text[:500])
    answer = browser.post(authorize_url, allow_redirects=False, timeout=TIMEOUT,
                          data={"csrf_token": _csrf(consent.text), "decision": "approve"})
    assert answer.status_code == 302, answer.text[:500]
    return str(answer.headers["Location"])


def _conforms(value: Any, entry: Mapping[str, Any]) -> bool:
    """Whether a value fits an interface entry's Make type (null is allowed: fields may be empty)."""
    if value is None:
        return True
    kind = entry["type"]
    if kind == "array":
        spec = entry["spec"]
        items = spec if isinstance(spec, dict) else {"type": "collection", "spec": spec}
        return isinstance(value, list) and all(_conforms(item, items) for item in value)
    if kind == "collection":
        fields = {child["name"]: child for child in entry.get("spec", [])}
        return isinstance(value, dict) and all(_conforms(value.get(name), child) for name, child in fields.items())
    if kind == "date":
        return isinstance(value, str) and datetime.fromisoformat(value.replace("Z", "+00:00")) is not None
    checks = {"text": str, "integer": int, "number": int | float, "boolean": bool}
    return isinstance(value, checks[kind]) and (kind == "boolean" or not isinstance(value, bool))


def _check_bundle(bundle: dict[str, Any], interface: list[dict[str, Any]]) -> None:
    assert set(bundle) == {entry["name"] for entry in interface}
    for entry in interface:
        assert _conforms(bundle[entry["name"]], entry), (entry, bundle[entry["name"]])


def _wait_for(listener: Listener, count: int, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while len(listener.received) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(listener.received) >= count, f"expected {count} deliveries, got {len(listener.received)}"


def _post_sandbox(live: LiveApp, topic: str, at: datetime, data: dict[str, Any]) -> None:
    body, headers = sandbox_webhook(live.tenant, topic, at, data)
    answer = requests.post(f"{live.base_url}/webhooks/sandbox", data=body, headers=headers, timeout=TIMEOUT)
    assert answer.status_code == 200 and answer.json()["received"] == 1, answer.text


def test_make_scenario_against_the_live_app(live_app: LiveApp) -> None:
    """Tests connect → attach → delivery → trigger bundle → Generate Invoice → Find Job → detach → disconnect."""
    app = MakeApp(APP)
    mirror = Mirror(app)
    client_id, client_secret = live_app.add_oauth_client("Make", MAKE_REDIRECT_URI)
    api = app.code("connection", "backbone", "communication")
    # What Make holds for the connection: the user left the advanced parameters empty; the
    # connection's common data (set once per Make app) names the server and the OAuth client.
    conn: dict[str, Any] = {
        "parameters": {},
        "common": {"baseUrl": live_app.base_url, "clientId": client_id, "clientSecret": client_secret},
        "oauth": {"scope": app.code("connection", "backbone", "defaultScope"), "localRedirectUri": MAKE_REDIRECT_URI},
        "temp": {}, "data": {}, "now": datetime.now(UTC),
    }

    # authorize: Make builds the URL (and adds its own `state`), the user consents in a browser.
    authorize = api["authorize"]
    conn["temp"] = iml.render(authorize["temp"], conn)
    qs = iml.render(authorize["qs"], conn)
    assert qs["code_challenge_method"] == "S256" and qs["redirect_uri"] == MAKE_REDIRECT_URI
    state = secrets.token_urlsafe(12)
    location = _consent(live_app, f"{iml.render(authorize['url'], conn)}?{urlencode({**qs, 'state': state})}")
    assert location.startswith(MAKE_REDIRECT_URI + "?")
    query = {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}
    assert query["state"] == state
    conn["temp"].update(iml.render(authorize["response"]["temp"], {**conn, "query": query}))

    # token: the code and the PKCE verifier for a token pair, kept in the connection data.
    _, body = mirror.call(api["token"], conn, use_base=False)
    data = iml.render(api["token"]["response"]["data"], {**conn, "body": body})
    assert data["baseUrl"] == live_app.base_url and data["expires"] > conn["now"] + timedelta(minutes=30)
    conn["data"] = conn["connection"] = data

    # info: the connection test, and the label Make shows beside the connection.
    _, me = mirror.call(api["info"], conn, use_base=False)
    label = iml.render(api["info"]["response"]["metadata"]["value"], {**conn, "body": me})
    assert label == f"Client Test Heating ({live_app.tenant.owner_email})"

    # refresh: not yet; due a few minutes before expiry; then a rotated pair replaces the old one.
    assert iml.render(api["refresh"]["condition"], conn) is False
    assert iml.render(api["refresh"]["condition"], {**conn, "now": data["expires"] - timedelta(minutes=1)}) is True
    _, body = mirror.call(api["refresh"], conn, use_base=False)
    refreshed = {**data, **iml.render(api["refresh"]["response"]["data"], {**conn, "body": body})}
    assert refreshed["accessToken"] != data["accessToken"] and refreshed["refreshToken"] != data["refreshToken"]
    conn["data"] = conn["connection"] = refreshed
    mirror.call(api["info"], conn, use_base=False)

    with Listener() as listener:
        # attach: the instant trigger's webhook subscribes Make's webhook URL.
        module = app.meta["components"]["module"]["jobCompleted"]
        assert module["moduleType"] == "instant_trigger"
        hook_id = module["webhook"]
        rpc_scope: dict[str, Any] = {"connection": refreshed, "parameters": {}, "webhook": {"url": listener.url},
                                     "temp": {}, "now": datetime.now(UTC)}
        attach = app.code("webhook", hook_id, "attach")
        status, body = mirror.call(attach, rpc_scope, use_base=True)
        assert status == 201 and body["trigger"] == "job_completed"
        rpc_scope["webhook"] = {**rpc_scope["webhook"], **iml.render(attach["response"]["data"], {"body": body})}

        # a job arrives and is completed in the field-service system: one delivery.
        arrived = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
        job = job_data("J-MAKE-1")
        _post_sandbox(live_app, "job.arrived", arrived, job)
        parts = [{"sku": "FS-100", "description": "Flame sensor", "quantity": "1", "unit_cost": "18.40"}]
        _post_sandbox(live_app, "job.completed", arrived + timedelta(minutes=75),
                      {"job": {**job["job"], "parts": parts, "completion_notes": "Replaced flame sensor."}})
        _wait_for(listener, 1)
        delivery = listener.received[0]
        hook_scope = {"body": delivery["json"], "headers": delivery["headers"], "query": {}}
        bundle = iml.render(app.code("webhook", hook_id, "communication")["output"], hook_scope)
        assert app.code("module", "jobCompleted", "communication") == {}  # the webhook's output is the bundle
        _check_bundle(bundle, app.code("module", "jobCompleted", "interface"))
        item = JobCompletedOutput.model_validate(bundle)
        assert item.job_source_id == "J-MAKE-1" and item.time_on_site_minutes == 75 and item.parts_count == 1

        # detach: the subscription goes; a second detach finds nothing to delete.
        status, _ = mirror.call(app.code("webhook", hook_id, "detach"), rpc_scope, use_base=True)
        assert status in (200, 204)
        gone = requests.delete(f"{live_app.base_url}/api/v1/hooks/{rpc_scope['webhook']['externalHookId']}",
                               headers={"Authorization": f"Bearer {refreshed['accessToken']}"}, timeout=TIMEOUT)
        assert gone.status_code == 404

    # Generate Invoice, with the trigger's job ID mapped into it as a scenario would.
    action = app.code("module", "generateInvoice", "communication")
    assert isinstance(action, dict), "generate_invoice is a fast action: one request"
    mapped = {"job_id": bundle["job_id"]}
    required = {p["name"] for p in app.code("module", "generateInvoice", "mappableParams") if p.get("required")}
    assert required == {"job_id"}
    action_scope: dict[str, Any] = {"connection": refreshed, "parameters": mapped, "temp": {}, "now": datetime.now(UTC)}
    status, body = mirror.call(action, action_scope, use_base=True)
    assert status == 200
    output = iml.render(action["response"]["output"], {**action_scope, "body": body})
    _check_bundle(output, app.code("module", "generateInvoice", "interface"))
    invoice = GenerateInvoiceOutput.model_validate(output)
    assert invoice.job_id == bundle["job_id"] and invoice.created and invoice.total > 0

    # Find Job (a search module): the customer's phone in another format; one bundle per job found.
    search = app.code("module", "findJob", "communication")
    assert app.meta["components"]["module"]["findJob"]["moduleType"] == "search"
    search_scope: dict[str, Any] = {"connection": refreshed, "parameters": {"customer_phone": "(512) 555-0142",
                                                                            "status": "completed", "limit": 5},
                                    "temp": {}, "now": datetime.now(UTC)}
    status, body = mirror.call(search, search_scope, use_base=True)
    assert status == 200 and isinstance(body, list)
    limit = iml.render(search["response"]["limit"], search_scope)
    items = iml.render(search["response"]["iterate"], {**search_scope, "body": body})[:limit]
    bundles = [iml.render(search["response"]["output"], {**search_scope, "item": item}) for item in items]
    assert len(bundles) == 1
    _check_bundle(bundles[0], app.code("module", "findJob", "interface"))
    found = FindJobOutput.model_validate(bundles[0])
    assert found.job_id == bundle["job_id"] and found.job_source_id == "J-MAKE-1" and found.parts_count == 1

    # invalidate: the revoked token no longer opens the API.
    mirror.call(api["invalidate"], conn, use_base=False)
    after = requests.get(f"{live_app.base_url}/api/v1/me", timeout=TIMEOUT,
                         headers={"Authorization": f"Bearer {refreshed['accessToken']}"})
    assert after.status_code == 401
    assert [method for method, _ in mirror.sent] == ["POST", "GET", "POST", "GET", "POST", "DELETE", "POST", "POST",
                                                     "POST"]
