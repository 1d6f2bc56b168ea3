"""Drive a running Backbone from outside, the way Zapier or Make and an FSM do.

    backbone oauth add-client --name zapier --redirect-uri http://127.0.0.1:9999/callback
    python docs/walkthrough.py --client-id=ID --client-secret=SECRET [--base-url http://127.0.0.1:8000]

Every step checks what it gets and stops with a clear message at the first surprise. Only the
standard library and `requests` are used; nothing here imports Backbone.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import re
import secrets
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

REDIRECT_URI = "http://127.0.0.1:9999/callback"
PASSWORD = "walkthrough-password-1"


class Failed(Exception):
    pass


class Client(requests.Session):
    """A session whose every request has a timeout."""

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("timeout", 30)
        return super().request(method, url, *args, **kwargs)


def check(condition: bool, message: str) -> None:
    if not condition:
        raise Failed(message)


def step(message: str) -> None:
    print(f"- {message}", flush=True)


def csrf(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    check(match is not None, "no CSRF token on the page")
    assert match is not None
    return match.group(1)


class Listener:
    """A local hook receiver: records every POST, answers 200."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                outer.received.append({"headers": {k.lower(): v for k, v in self.headers.items()}, "body": body})
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, count: int, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.1)
        check(len(self.received) >= count, f"expected {count} deliveries, got {len(self.received)}")


def standard_webhooks_valid(secret: str, delivery: dict[str, Any]) -> bool:
    headers = delivery["headers"]
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + delivery["body"]
    key = base64.b64decode(secret.removeprefix("whsec_"))
    expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(hmac.compare_digest(expected, s) for s in headers["webhook-signature"].split())


class Walkthrough:
    def __init__(self, base_url: str, client_id: str, client_secret: str) -> None:
        self.base = base_url.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.browser = Client()  # the company's user, with cookies
        self.api = Client()  # Zapier: bearer tokens only
        self.plain = Client()  # the token endpoint and the FSM: no cookies, no bearer
        self.tokens: dict[str, Any] = {}

    def url(self, path: str) -> str:
        return self.base + path

    # --- account and OAuth ---------------------------------------------------------------------

    def sign_up(self) -> None:
        page = self.browser.get(self.url("/signup"))
        email = f"owner-{uuid.uuid4().hex[:8]}@walkthrough.example.com"
        response = self.browser.post(self.url("/signup"), data={
            "company": "Walkthrough Plumbing", "name": "Wally Walker", "email": email, "password": PASSWORD,
            "confirm": PASSWORD, "csrf_token": csrf(page.text)}, allow_redirects=False)
        check(response.status_code == 302, f"sign-up failed ({response.status_code})")
        home = self.browser.get(self.url("/")).text
        account = re.search(r'id="sandbox-account">([^<]+)<', home)
        secret = re.search(r'id="sandbox-secret">([^<]+)<', home)
        check(account is not None and secret is not None, "home page does not show the sandbox connection")
        assert account is not None
        assert secret is not None
        self.account, self.sandbox_secret = account.group(1), secret.group(1)
        step(f"signed up {email}; sandbox account {self.account}")

    def authorize(self) -> None:
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        state = secrets.token_urlsafe(8)
        query = urlencode({"response_type": "code", "client_id": self.client_id, "redirect_uri": REDIRECT_URI,
                           "scope": "profile triggers hooks actions", "state": state,
                           "code_challenge": challenge, "code_challenge_method": "S256"})
        consent = self.browser.get(self.url(f"/oauth/authorize?{query}"))
        check(consent.status_code == 200 and "Approve" in consent.text, "no consent page")
        plain = self.browser.get(self.url("/oauth/authorize?" + query.replace("S256", "plain")),
                                 allow_redirects=False)
        check(plain.status_code in (302, 400), "PKCE plain was not refused")
        answer = self.browser.post(self.url(f"/oauth/authorize?{query}"), allow_redirects=False,
                                   data={"csrf_token": csrf(consent.text), "decision": "approve"})
        check(answer.status_code == 302, f"consent did not redirect ({answer.status_code})")
        params = parse_qs(urlsplit(answer.headers["Location"]).query)
        check(params.get("state") == [state], "state was not returned")
        code = params["code"][0]
        wrong = self.plain.post(self.url("/oauth/token"), data={
            "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI,
            "code_verifier": "x" * 50}, auth=(self.client_id, self.client_secret))
        check(wrong.status_code == 400, "a wrong code_verifier was accepted")
        step("consent given; PKCE plain and a wrong verifier refused")
        return self._exchange(code, verifier)

    def _exchange(self, code: str, verifier: str) -> None:
        # The wrong verifier above may have burnt the code (single use): authorize again if so.
        response = self.plain.post(self.url("/oauth/token"), data={
            "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier}, auth=(self.client_id, self.client_secret))
        if response.status_code != 200:
            step("code was spent by the failed attempt (single use); authorizing again")
            return self.authorize_once_more()
        self._keep(response.json())
        step("code exchanged for an access and a refresh token (client_secret_basic)")
        return None

    def authorize_once_more(self) -> None:
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        query = urlencode({"response_type": "code", "client_id": self.client_id, "redirect_uri": REDIRECT_URI,
                           "scope": "profile triggers hooks actions", "state": "s2",
                           "code_challenge": challenge, "code_challenge_method": "S256"})
        consent = self.browser.get(self.url(f"/oauth/authorize?{query}"))
        answer = self.browser.post(self.url(f"/oauth/authorize?{query}"), allow_redirects=False,
                                   data={"csrf_token": csrf(consent.text), "decision": "approve"})
        code = parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]
        response = self.plain.post(self.url("/oauth/token"), data={
            "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI, "code_verifier": verifier,
            "client_id": self.client_id, "client_secret": self.client_secret})
        check(response.status_code == 200, f"token exchange failed: {response.text}")
        self._keep(response.json())

    def _keep(self, tokens: dict[str, Any]) -> None:
        check({"access_token", "refresh_token", "expires_in"} <= set(tokens), f"token answer incomplete: {tokens}")
        self.tokens = tokens
        self.api.headers["Authorization"] = f"Bearer {tokens['access_token']}"

    def me_and_refresh(self) -> None:
        me = self.api.get(self.url("/api/v1/me"))
        check(me.status_code == 200, f"/me failed: {me.text}")
        step(f"/api/v1/me: {me.json().get('label')}")
        bad = self.plain.get(self.url("/api/v1/me"), headers={"Authorization": "Bearer nope"})
        check(bad.status_code == 401 and "invalid_token" in bad.headers.get("WWW-Authenticate", ""),
              "an unknown token did not get 401 + WWW-Authenticate")
        old = self.tokens["refresh_token"]
        form = {"grant_type": "refresh_token", "refresh_token": old}
        first = self.plain.post(self.url("/oauth/token"), data=form, auth=(self.client_id, self.client_secret))
        again = self.plain.post(self.url("/oauth/token"), data=form, auth=(self.client_id, self.client_secret))
        check(first.status_code == 200 and again.status_code == 200, "refresh failed")
        check(first.json()["refresh_token"] != old, "the refresh token did not rotate")
        check(first.json()["access_token"] == again.json()["access_token"], "the grace window gave another pair")
        self._keep(first.json())
        step("refresh rotated the pair; a concurrent refresh in the grace window got the same pair")

    # --- hooks and webhooks --------------------------------------------------------------------

    def sandbox(self, topic: str, job: dict[str, Any], at: datetime, event_id: str | None = None,
                secret: str | None = None) -> requests.Response:
        body = json.dumps({"id": event_id or f"evt_{secrets.token_hex(6)}", "account_id": self.account,
                           "topic": topic, "occurred_at": at.isoformat().replace("+00:00", "Z"),
                           "data": {"job": job}}).encode()
        signature = hmac.new((secret or self.sandbox_secret).encode(), body, hashlib.sha256).hexdigest()
        return self.plain.post(self.url("/webhooks/sandbox"), data=body, headers={
            "Content-Type": "application/json", "X-Sandbox-Account": self.account,
            "X-Sandbox-Signature": f"sha256={signature}"})

    def hooks_and_events(self, listener: Listener) -> str:
        sub = self.api.post(self.url("/api/v1/hooks"), json={"trigger": "job_completed", "target_url": listener.url})
        check(sub.status_code == 201, f"subscribe failed: {sub.text}")
        secret = sub.json()["secret"]
        step(f"hook {sub.json()['id']} subscribed to job_completed at {listener.url}")
        t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
        job = {"id": f"WALK-{secrets.token_hex(3)}", "job_type": "repair", "priority": "P2",
               "description": "Water heater leaking", "customer": {"id": "WC-1", "name": "Pat Rivera"},
               "technician": {"id": "WT-1", "name": "Sam Ortiz"}}
        check(self.sandbox("job.arrived", job, t0).status_code == 200, "job.arrived refused")
        parts = [{"sku": "TPV-34", "description": "T&P relief valve", "quantity": "1", "unit_cost": "22.10"}]
        done = self.sandbox("job.completed", {**job, "parts": parts}, t0 + timedelta(minutes=75), "evt-walk-done")
        check(done.status_code == 200 and done.json()["received"] == 1, f"job.completed refused: {done.text}")
        dup = self.sandbox("job.completed", {**job, "parts": parts}, t0 + timedelta(minutes=75), "evt-walk-done")
        check(dup.json()["received"] == 0 and dup.json()["duplicates"] == 1, f"duplicate not recognised: {dup.text}")
        late = self.sandbox("job.en_route", job, t0 - timedelta(minutes=30))
        check(late.status_code == 200, "out-of-order event refused")
        forged = self.sandbox("job.completed", job, t0, secret="not-the-secret")
        check(forged.status_code == 401, "a badly signed webhook was not refused with 401")
        step("webhooks: accepted, duplicate ignored, out-of-order kept but not applied, bad signature 401")
        listener.wait_for(1)
        time.sleep(1.0)  # anything extra would arrive now
        check(len(listener.received) == 1, f"expected exactly one delivery, got {len(listener.received)}")
        delivery = listener.received[0]
        check(standard_webhooks_valid(secret, delivery), "delivery signature does not verify")
        item = json.loads(delivery["body"])
        check(item["job_source_id"] == job["id"] and item["status"] == "completed", f"unexpected payload {item}")
        step(f"one delivery, Standard Webhooks signature valid, job {item['job_id']} completed")
        polled = self.api.get(self.url("/api/v1/triggers/job_completed")).json()
        check(isinstance(polled, list) and polled and polled[0]["id"] == item["id"], "polling disagrees with hook")
        step("polling lists the same item, newest first")
        return str(item["job_id"])

    # --- actions -------------------------------------------------------------------------------

    def invoice(self, job_id: str) -> None:
        key = f"walk-{secrets.token_hex(4)}"
        url = self.url("/api/v1/actions/generate_invoice")
        first = self.api.post(url, json={"job_id": job_id}, headers={"Idempotency-Key": key})
        check(first.status_code == 200, f"generate_invoice failed: {first.text}")
        again = self.api.post(url, json={"job_id": job_id}, headers={"Idempotency-Key": key})
        check(again.json() == first.json() and again.headers.get("Idempotent-Replayed") == "true",
              "a repeated request did not return the first result")
        other = self.api.post(url, json={"job_id": job_id, "notes": "x"}, headers={"Idempotency-Key": key})
        check(other.status_code == 422, "the same key with another body was not refused")
        invalid = self.api.post(url, json={"labour_hours": 99})
        fields = {f["field"] for f in invalid.json()["error"]["fields"]}
        check(invalid.status_code == 422 and {"job_id", "labour_hours"} <= fields, f"invalid input: {invalid.text}")
        step(f"invoice {first.json()['invoice_number']} total {first.json()['total']}; repeat, key reuse and "
             "invalid input answered as specified")

    def failing_run(self) -> str:
        home = self.browser.get(self.url("/")).text
        response = self.browser.post(self.url("/sandbox/outage"),
                                     data={"mode": "timeout_after_create", "csrf_token": csrf(home)})
        check(response.status_code == 200, "could not switch the sandbox outage on")
        t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
        job = {"id": f"WALK-{secrets.token_hex(3)}", "job_type": "maintenance", "priority": "P3",
               "customer": {"id": "WC-2", "name": "Lee Chan"}}
        self.sandbox("job.arrived", job, t0)
        self.sandbox("job.completed", job, t0 + timedelta(minutes=60))
        job_id = self.api.get(self.url("/api/v1/triggers/job_completed")).json()[0]["job_id"]
        failed = self.api.post(self.url("/api/v1/actions/generate_invoice"), json={"job_id": job_id})
        check(failed.status_code == 503 and failed.json()["error"]["retryable"], f"expected a 503: {failed.text}")
        run_id = failed.headers["Backbone-Run-Id"]
        home = self.browser.get(self.url("/")).text
        self.browser.post(self.url("/sandbox/outage"), data={"mode": "off", "csrf_token": csrf(home)})
        step(f"run {run_id} failed during a simulated accounting outage (now switched off)")
        return run_id

    def replay(self, run_id: str, email: str, password: str) -> None:
        support = Client()
        page = support.get(self.url("/login"))
        signed = support.post(self.url("/login"), data={"email": email, "password": password,
                                                         "csrf_token": csrf(page.text)}, allow_redirects=False)
        check(signed.status_code == 302, "support sign-in failed")
        detail = support.get(self.url(f"/admin/runs/{run_id}"))
        check(detail.status_code == 200, f"admin run page: {detail.status_code}")
        replayed = support.post(self.url(f"/admin/runs/{run_id}/replay"), data={"csrf_token": csrf(detail.text)})
        check(replayed.status_code == 200, f"replay failed: {replayed.status_code}")
        status = self.api.get(self.url(f"/api/v1/runs/{run_id}")).json()
        check(status["status"] == "succeeded" and status["attempts"] == 2, f"replayed run: {status}")
        step(f"support replayed run {run_id} from /admin: succeeded on attempt 2, same idempotency key")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--client-secret", required=True)
    parser.add_argument("--support-email", default="support@backbone.test")
    parser.add_argument("--support-password", default="backbone-demo")
    parser.add_argument("--no-replay", action="store_true", help="leave the failed run for you to replay")
    args = parser.parse_args(argv)
    walk = Walkthrough(args.base_url, args.client_id, args.client_secret)
    listener = Listener()
    try:
        walk.sign_up()
        walk.authorize()
        walk.me_and_refresh()
        job_id = walk.hooks_and_events(listener)
        walk.invoice(job_id)
        run_id = walk.failing_run()
        if args.no_replay:
            print(f"Replay it at {args.base_url}/admin/runs/{run_id} as support staff.")
        else:
            walk.replay(run_id, args.support_email, args.support_password)
    except (Failed, requests.RequestException, KeyError, ValueError) as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    finally:
        listener.server.shutdown()
    print("All steps passed.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
