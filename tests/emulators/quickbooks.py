"""QuickBooks Online as Intuit runs it, on 127.0.0.1: OAuth, the v3 REST API, CDC, signed webhooks.

What it speaks (see connector/providers/quickbooks.py for the sources):
    - OAuth at /connect/oauth2 (authorize), /oauth2/v1/tokens/bearer (token, HTTP Basic client
      auth, refresh tokens replaced on every refresh, 100-day idle expiry, ``x_refresh_token_expires_in``),
      /oauth2/v1/tokens/revoke. The callback carries ``realmId``. Intuit does not publish how long a
      replaced refresh token keeps working; ``old_refresh_grace`` (default 60 s) is our choice.
    - /v3/company/<realm>/...: ``invoice`` (GET by id with ``include=invoiceLink``, POST create,
      POST ``<id>/send?sendTo=``), ``payment``, ``customer``, ``purchaseorder`` (POST create),
      ``companyinfo/<realm>``, ``query?query=select * from <Entity> [where <Field> = '<value>']``,
      ``cdc?entities=&changedSince=``. Entities come back as ``{"<Entity>": {...}, "time": ...}``
      with MetaData times at the company's UTC offset (default -07:00); errors as Intuit's ``Fault``.
    - ``?requestid=``: the first 2xx answer of a requestid is stored and every later request with
      it gets that answer, nothing done twice. (Intuit does not say whether faults are replayed;
      here they are not, so a corrected retry can succeed.)
    - Throttling: more than ``rate_limit_per_minute`` calls to one realm in 60 s get 429
      ``ThrottleExceeded`` (Intuit: 500). Other 429s/5xx on demand with `fail_next`.
    - Webhooks: every change is recorded in `changes`; `webhook`/`webhook_for` build a signed
      delivery (``intuit-signature`` = base64 HMAC-SHA256 of the body with the verifier token) in the
      legacy ``eventNotifications`` shape or the CloudEvents array; `send_webhook`/`send_pending` POST it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import requests
from flask import Response, request

from tests.emulators.oauth import OAuthServer
from tests.emulators.server import Emulator

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

PACIFIC = timezone(timedelta(hours=-7))
DAY = 24 * 3600
CLOUD_VERB = {"Create": "created", "Update": "updated", "Delete": "deleted", "Merge": "merged", "Void": "voided",
              "Emailed": "emailed"}
QUERY = re.compile(r"^\s*select\s+\*\s+from\s+(\w+)(?:\s+where\s+(\w+)\s*=\s*'((?:[^'\\]|\\.)*)')?\s*$", re.I)


@dataclass(frozen=True)
class Change:
    """One change a webhook reports: realm, entity, id, operation, when."""

    realm: str
    entity: str
    item_id: str
    operation: str
    last_updated: datetime
    event_id: str = field(default_factory=lambda: str(uuid.uuid4()))


@dataclass
class Company:
    """One QuickBooks Online company (realm) and its lists."""

    realm: str
    name: str
    lists: dict[str, dict[str, dict[str, Any]]] = field(default_factory=lambda: {
        "Customer": {}, "Invoice": {}, "Payment": {}, "PurchaseOrder": {}, "Vendor": {}, "Item": {}})
    tombstones: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    answers: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)  # requestid -> first answer
    calls: deque[float] = field(default_factory=deque)
    next_id: int = 100
    next_doc: int = 1001
    last_stamp: datetime | None = None


class QuickBooksEmulator(Emulator):
    """The QuickBooks Online emulator; a default company ``realm`` exists with item 1 "Services"."""

    def __init__(self, *, client_id: str = "qb-client", client_secret: str = "qb-secret",  # noqa: S107 - test values
                 verifier_token: str = "qb-verifier-token", realm: str = "9130355377388316",  # noqa: S107 - test values
                 company_name: str = "Backbone Test Plumbing", old_refresh_grace: float = 60.0,
                 rate_limit_per_minute: int = 500, cdc_page_limit: int = 1000, tz: timezone = PACIFIC,
                 clock: Callable[[], datetime] | None = None) -> None:
        super().__init__("quickbooks")
        self.verifier_token = verifier_token
        self.realm = realm
        self.company_name = company_name
        self._limits = (rate_limit_per_minute, cdc_page_limit)
        self.tz = tz
        self.clock = clock or (lambda: datetime.now(UTC))
        self.rate_limit_per_minute = rate_limit_per_minute
        self.cdc_page_limit = cdc_page_limit
        self.oauth = OAuthServer(client_id=client_id, client_secret=client_secret, client_auth="client_secret_basic",
                                 access_ttl=3600, refresh_ttl=100 * DAY, rotate_refresh=True,
                                 old_refresh_grace=old_refresh_grace, account_param="realmId")
        self.oauth.next_account = realm
        self.oauth.install(self.app, authorize_path="/connect/oauth2", token_path="/oauth2/v1/tokens/bearer",
                           revoke_path="/oauth2/v1/tokens/revoke")
        self.companies: dict[str, Company] = {}
        self.changes: list[Change] = []
        self.add_company(realm, company_name)
        self._routes()

    def reset(self) -> None:
        """Back to a fresh start (one company, no tokens, changes, faults or requests seen), server kept running."""
        with self.lock:
            self.companies.clear()
            self.changes.clear()
            self.faults.clear()
            self.seen.clear()
            self.oauth.tokens.clear()
            self.oauth.codes.clear()
            self.oauth.token_calls = 0
            self.oauth.next_account = self.realm
            self.rate_limit_per_minute, self.cdc_page_limit = self._limits
            self.add_company(self.realm, self.company_name)

    # -- tokens, companies, lists ----------------------------------------------------------------------------
    def token_for(self, realm: str | None = None) -> str:
        """A fresh access token for a company (as if it had connected)."""
        return self.oauth._issue(realm or self.realm).access_token

    def add_company(self, realm: str, name: str) -> Company:
        with self.lock:
            company = self.companies[realm] = Company(realm, name)
            company.lists["Item"]["1"] = {"Id": "1", "Name": "Services", "Type": "Service", "Active": True,
                                          "SyncToken": "0", "MetaData": self._meta(company)}
            return company

    def company(self, realm: str | None = None) -> Company:
        return self.companies[realm or self.realm]

    def invoices(self, realm: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.company(realm).lists["Invoice"].values())

    def entity(self, name: str, item_id: str, realm: str | None = None) -> dict[str, Any]:
        with self.lock:
            return self.company(realm).lists[name][item_id]

    def add_customer(self, display_name: str, email: str | None = None, *, realm: str | None = None) -> dict[str, Any]:
        return self._insert(self.company(realm), "Customer", {
            "DisplayName": display_name, "Active": True,
            **({"PrimaryEmailAddr": {"Address": email}} if email else {})})

    def add_vendor(self, display_name: str, *, realm: str | None = None) -> dict[str, Any]:
        return self._insert(self.company(realm), "Vendor", {"DisplayName": display_name, "Active": True})

    def add_item(self, name: str, *, realm: str | None = None) -> dict[str, Any]:
        return self._insert(self.company(realm), "Item", {"Name": name, "Type": "Service", "Active": True})

    def add_invoice(self, customer_id: str, amount: float = 100.0, *, realm: str | None = None,
                    email: str | None = None, doc_number: str | None = None) -> dict[str, Any]:
        """An invoice made in QuickBooks (one Services line of ``amount``)."""
        body: dict[str, Any] = {"CustomerRef": {"value": customer_id}, "Line": [{
            "DetailType": "SalesItemLineDetail", "Amount": amount, "Description": "Service call",
            "SalesItemLineDetail": {"ItemRef": {"value": "1"}, "Qty": 1, "UnitPrice": amount}}]}
        if email:
            body["BillEmail"] = {"Address": email}
        if doc_number:
            body["DocNumber"] = doc_number
        with self.lock:
            status, answer = self._create_invoice(self.company(realm), body)
        if status != 200:
            raise ValueError(answer)
        return dict(answer["Invoice"])

    def update_invoice(self, invoice_id: str, *, realm: str | None = None, **fields: Any) -> dict[str, Any]:
        """Changes fields of an invoice (as a user editing it would): LastUpdatedTime moves on."""
        company = self.company(realm)
        with self.lock:
            invoice = company.lists["Invoice"][invoice_id]
            invoice.update(fields)
            self._touch(company, "Invoice", invoice, "Update")
            return dict(invoice)

    def email_invoice(self, invoice_id: str, to: str | None = None, *, realm: str | None = None) -> dict[str, Any]:
        with self.lock:
            return dict(self._send(self.company(realm), invoice_id, to))

    def pay_invoice(self, invoice_id: str, amount: float | None = None, *, realm: str | None = None,
                    touch_invoice: bool = True) -> dict[str, Any]:
        """Receives a payment applied to the invoice (all of its balance by default)."""
        company = self.company(realm)
        with self.lock:
            invoice = company.lists["Invoice"][invoice_id]
            paid = round(invoice["Balance"] if amount is None else amount, 2)
            payment = self._insert(company, "Payment", {
                "TotalAmt": paid, "CustomerRef": dict(invoice["CustomerRef"]), "TxnDate": self._today(),
                "Line": [{"Amount": paid, "LinkedTxn": [{"TxnId": invoice_id, "TxnType": "Invoice"}]}]})
            invoice["Balance"] = round(invoice["Balance"] - paid, 2)
            invoice.setdefault("LinkedTxn", []).append({"TxnId": payment["Id"], "TxnType": "Payment"})
            if touch_invoice:
                self._touch(company, "Invoice", invoice, None)
            return payment

    def void_invoice(self, invoice_id: str, *, realm: str | None = None) -> dict[str, Any]:
        company = self.company(realm)
        with self.lock:
            invoice = company.lists["Invoice"][invoice_id]
            invoice.update(TotalAmt=0.0, Balance=0.0, PrivateNote="Voided")
            self._touch(company, "Invoice", invoice, "Void")
            return dict(invoice)

    def delete_invoice(self, invoice_id: str, *, realm: str | None = None) -> None:
        company = self.company(realm)
        with self.lock:
            company.lists["Invoice"].pop(invoice_id)
            stamp = self._stamp(company)
            company.tombstones.append(("Invoice", {"Id": invoice_id, "domain": "QBO", "status": "Deleted",
                                                   "MetaData": {"LastUpdatedTime": self._render(stamp)}}))
            self.changes.append(Change(company.realm, "Invoice", invoice_id, "Delete", stamp))

    # -- webhooks ---------------------------------------------------------------------------------------------
    def webhook(self, changes: Sequence[Change], *, shape: str = "legacy") -> tuple[dict[str, str], bytes]:
        """A signed delivery of these changes: ``shape`` "legacy" (eventNotifications) or "cloudevents"."""
        if shape == "cloudevents":
            payload: Any = [{
                "specversion": "1.0", "id": c.event_id,
                "source": f"intuit.{hashlib.sha256(c.realm.encode()).hexdigest()[:24]}",
                "type": f"qbo.{c.entity.lower()}.{CLOUD_VERB.get(c.operation, c.operation.lower())}.v1",
                "datacontenttype": "application/json",
                "time": c.last_updated.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "000Z",
                "intuitentityid": c.item_id, "intuitaccountid": c.realm, "data": {}} for c in changes]
        elif shape == "legacy":
            realms: dict[str, list[dict[str, str]]] = {}
            for c in changes:
                realms.setdefault(c.realm, []).append({
                    "name": c.entity, "id": c.item_id, "operation": c.operation,
                    "lastUpdated": c.last_updated.astimezone(self.tz).strftime("%Y-%m-%dT%H:%M:%S%z")})
            payload = {"eventNotifications": [{"realmId": r, "dataChangeEvent": {"entities": e}}
                                              for r, e in realms.items()]}
        else:
            raise ValueError(f"unknown webhook shape {shape!r}")
        body = json.dumps(payload).encode()
        return {"Content-Type": "application/json", "intuit-signature": self.sign(body)}, body

    def webhook_for(self, topic: str, item_id: str, *, realm: str | None = None, shape: str = "legacy",
                    last_updated: datetime | None = None) -> tuple[dict[str, str], bytes]:
        """A signed delivery for one ``Entity.Operation`` topic (``Invoice.Update``) and item."""
        entity, _, operation = topic.partition(".")
        when = last_updated or self._latest(realm, entity, item_id)
        return self.webhook([Change(realm or self.realm, entity, item_id, operation, when)], shape=shape)

    def send_webhook(self, url: str, topic: str, item_id: str, *, realm: str | None = None,
                     shape: str = "legacy") -> requests.Response:
        headers, body = self.webhook_for(topic, item_id, realm=realm, shape=shape)
        return requests.post(url, data=body, headers=headers, timeout=10)

    def take_changes(self) -> list[Change]:
        """The changes not yet delivered (Intuit batches them into one notification)."""
        with self.lock:
            taken, self.changes = self.changes, []
            return taken

    def send_pending(self, url: str, *, shape: str = "legacy") -> requests.Response | None:
        changes = self.take_changes()
        if not changes:
            return None
        headers, body = self.webhook(changes, shape=shape)
        return requests.post(url, data=body, headers=headers, timeout=10)

    def sign(self, body: bytes) -> str:
        return base64.b64encode(hmac.new(self.verifier_token.encode(), body, hashlib.sha256).digest()).decode()

    # -- internals: time and storage --------------------------------------------------------------------------
    def _now(self) -> datetime:
        return self.clock().astimezone(UTC).replace(microsecond=0)

    def _stamp(self, company: Company) -> datetime:
        """Now, to the second, strictly after the company's previous change (so each change is a new version)."""
        stamp = self._now()
        if company.last_stamp is not None and stamp <= company.last_stamp:
            stamp = company.last_stamp + timedelta(seconds=1)
        company.last_stamp = stamp
        return stamp

    def _render(self, when: datetime) -> str:
        return when.astimezone(self.tz).isoformat(timespec="seconds")

    def _today(self) -> str:
        return self._now().astimezone(self.tz).date().isoformat()

    def _meta(self, company: Company) -> dict[str, str]:
        stamp = self._render(self._stamp(company))
        return {"CreateTime": stamp, "LastUpdatedTime": stamp}

    def _insert(self, company: Company, name: str, entity: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            company.next_id += 1
            entity.update(Id=str(company.next_id), SyncToken="0", domain="QBO", sparse=False)
            stamp = self._stamp(company)
            entity["MetaData"] = {"CreateTime": self._render(stamp), "LastUpdatedTime": self._render(stamp)}
            company.lists[name][entity["Id"]] = entity
            if name != "Item":
                self.changes.append(Change(company.realm, name, entity["Id"], "Create", stamp))
            return entity

    def _touch(self, company: Company, name: str, entity: dict[str, Any], operation: str | None) -> None:
        stamp = self._stamp(company)
        entity["SyncToken"] = str(int(entity.get("SyncToken", "0")) + 1)
        entity["MetaData"] = {**entity["MetaData"], "LastUpdatedTime": self._render(stamp)}
        if operation:
            self.changes.append(Change(company.realm, name, entity["Id"], operation, stamp))

    def _latest(self, realm: str | None, entity: str, item_id: str) -> datetime:
        with self.lock:
            item = self.company(realm).lists.get(entity, {}).get(item_id)
        if item is None:
            return self._now()
        return datetime.fromisoformat(item["MetaData"]["LastUpdatedTime"])

    # -- internals: HTTP ------------------------------------------------------------------------------------------
    def _answer(self, status: int, body: dict[str, Any]) -> Response:
        return Response(json.dumps(body), status=status, content_type="application/json")

    def _ok(self, name: str, entity: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return 200, {name: dict(entity), "time": self._now().astimezone(self.tz).isoformat(timespec="milliseconds")}

    def _fault(self, status: int, kind: str, code: str, message: str, detail: str = "",
               element: str = "") -> tuple[int, dict[str, Any]]:
        error = {"Message": message, "Detail": detail or message, "code": code, "element": element}
        return status, {"Fault": {"Error": [error], "type": kind},
                        "time": self._now().astimezone(self.tz).isoformat(timespec="milliseconds")}

    def _invalid(self, code: str, message: str, detail: str, element: str = "") -> tuple[int, dict[str, Any]]:
        return self._fault(400, "ValidationFault", code, message, detail, element)

    def _guard(self, realm: str) -> tuple[int, dict[str, Any]] | None:
        """401 without a valid bearer, 403 for another company's token, 429 over the per-realm rate."""
        header = request.headers.get("Authorization", "")
        token = header[7:] if header[:7].lower() == "bearer " else ""
        account = self.oauth.valid_access(token) if token else None
        if account is None:
            return 401, {"fault": {"error": [{
                "message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
                "detail": "Token expired or invalid", "code": "3200"}], "type": "AUTHENTICATION"}}
        if account != realm or realm not in self.companies:
            return self._fault(403, "AuthorizationFault", "3100",
                               "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403")
        calls, now = self.companies[realm].calls, time.monotonic()
        while calls and now - calls[0] > 60:
            calls.popleft()
        if len(calls) >= self.rate_limit_per_minute:
            return self._fault(429, "ThrottleExceeded", "3001",
                               "message=ThrottleExceeded; errorCode=003001; statusCode=429",
                               "The request limit was reached.")
        calls.append(now)
        return None

    def _routes(self) -> None:
        rules: list[tuple[str, str, Callable[..., tuple[int, dict[str, Any]]]]] = [
            ("/v3/company/<realm>/companyinfo/<cid>", "GET", self._companyinfo),
            ("/v3/company/<realm>/query", "GET", self._query),
            ("/v3/company/<realm>/cdc", "GET", self._cdc),
            ("/v3/company/<realm>/invoice/<iid>/send", "POST", self._send_route),
            ("/v3/company/<realm>/<entity>/<iid>", "GET", self._read),
            ("/v3/company/<realm>/<entity>", "POST", self._create),
        ]
        for path, method, handler in rules:
            self.app.add_url_rule(path, f"qbo_{handler.__name__}", self._wrap(handler), methods=[method])

    def _wrap(self, handler: Callable[..., tuple[int, dict[str, Any]]]) -> Callable[..., Response]:
        def view(realm: str, **kw: str) -> Response:
            with self.lock:
                denied = self._guard(realm)
                status, body = denied if denied is not None else handler(self.companies[realm], **kw)
            return self._answer(status, body)
        view.__name__ = handler.__name__
        return view

    def _companyinfo(self, company: Company, cid: str) -> tuple[int, dict[str, Any]]:
        if cid != company.realm:
            return self._invalid("610", "Object Not Found", "Object Not Found : CompanyInfo")
        return self._ok("CompanyInfo", {"Id": "1", "CompanyName": company.name, "LegalName": company.name,
                                        "Country": "US", "SyncToken": "0"})

    def _read(self, company: Company, entity: str, iid: str) -> tuple[int, dict[str, Any]]:
        name = {n.lower(): n for n in company.lists}.get(entity)
        item = company.lists[name].get(iid) if name else None
        if name is None or item is None:
            return self._invalid("610", "Object Not Found",
                                 "Object Not Found : Something you're trying to use has been made inactive.")
        answer = dict(item)
        if name == "Invoice" and request.args.get("include") == "invoiceLink" and item.get("BillEmail"):
            digest = hashlib.sha256(f"{company.realm}:{iid}".encode()).hexdigest()[:32]
            answer["InvoiceLink"] = f"https://connect.intuit.com/portal/app/CommerceNetwork/view/scs-v1-{digest}?locale=en_US"
        return self._ok(name, answer)

    def _create(self, company: Company, entity: str) -> tuple[int, dict[str, Any]]:
        makers = {"invoice": self._create_invoice, "customer": self._create_customer,
                  "purchaseorder": self._create_purchase_order}
        maker = makers.get(entity)
        if maker is None:
            return self._invalid("500", "Unsupported Operation", f"Operation create {entity} is not supported.")
        rid = request.args.get("requestid")
        if rid is not None and not 0 < len(rid) <= 50:
            return self._invalid("2010", "Request has invalid or unsupported property", "requestid: 1-50 characters")
        if rid and rid in company.answers:
            return company.answers[rid]
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return self._invalid("2020", "Required param missing, need to supply the required value for the API",
                                 "The request body must be a JSON object.")
        answer = maker(company, body)
        if rid and answer[0] == 200:
            company.answers[rid] = answer
        return answer

    def _ref(self, company: Company, name: str, body: dict[str, Any], key: str) -> dict[str, Any] | None:
        value = str((body.get(key) or {}).get("value") or "")
        return company.lists[name].get(value)

    def _create_invoice(self, company: Company, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if not (body.get("CustomerRef") or {}).get("value"):
            return self._invalid("2020", "Required param missing, need to supply the required value for the API",
                                 "Required parameter CustomerRef is missing in the request", "CustomerRef")
        customer = self._ref(company, "Customer", body, "CustomerRef")
        if customer is None:
            return self._invalid("2500", "Invalid Reference Id", "Invalid Reference Id : Customer", "CustomerRef")
        lines, total = self._lines(company, body, "SalesItemLineDetail")
        if isinstance(lines, tuple):
            return lines
        tax = round(float((body.get("TxnTaxDetail") or {}).get("TotalTax") or 0), 2)
        total = round(total + tax, 2)
        invoice = {
            "DocNumber": body.get("DocNumber") or str(company.next_doc),
            "TxnDate": body.get("TxnDate") or self._today(), "DueDate": body.get("DueDate") or self._today(),
            "CustomerRef": {"value": customer["Id"], "name": customer["DisplayName"]},
            "CurrencyRef": {"value": (body.get("CurrencyRef") or {}).get("value") or "USD"},
            "Line": [*lines, {"Amount": round(total - tax, 2), "DetailType": "SubTotalLineDetail",
                              "SubTotalLineDetail": {}}],
            "TxnTaxDetail": {"TotalTax": tax}, "TotalAmt": total, "Balance": total, "EmailStatus": "NotSet",
            "PrintStatus": "NeedToPrint"}
        for key in ("BillEmail", "PrivateNote", "CustomerMemo"):
            if body.get(key):
                invoice[key] = body[key]
        if not body.get("DocNumber"):
            company.next_doc += 1
        return self._ok("Invoice", self._insert(company, "Invoice", invoice))

    def _lines(self, company: Company, body: dict[str, Any], detail: str) -> tuple[Any, float]:
        lines = body.get("Line")
        if not isinstance(lines, list) or not lines:
            return self._invalid("2020", "Required param missing, need to supply the required value for the API",
                                 "Required parameter Line is missing in the request", "Line"), 0.0
        kept, total = [], 0.0
        for n, line in enumerate(lines, start=1):
            info = (line or {}).get(detail) or {}
            item = company.lists["Item"].get(str((info.get("ItemRef") or {}).get("value") or ""))
            if line.get("DetailType") != detail or item is None:
                return self._invalid("2500", "Invalid Reference Id", f"Line {n}: {detail}.ItemRef is not an Item",
                                     f"Line.{detail}.ItemRef"), 0.0
            amount, qty, price = (float(line.get("Amount") or 0), float(info.get("Qty") or 0),
                                  float(info.get("UnitPrice") or 0))
            if abs(amount - qty * price) >= 0.005:
                return self._invalid("6070", "Amount calculation incorrect in the request",
                                     f"Amount is not equal to UnitPrice * Qty. Supplied value:{amount}",
                                     "Line.Amount"), 0.0
            info = {**info, "ItemRef": {"value": item["Id"], "name": item["Name"]}}
            kept.append({**line, "Id": str(n), "LineNum": n, "Amount": round(amount, 2), detail: info})
            total += amount
        return kept, round(total, 2)

    def _create_customer(self, company: Company, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        name = str(body.get("DisplayName") or "").strip()
        if not name:
            return self._invalid("6080", "No Name Provided", "DisplayName must be non-empty.", "DisplayName")
        if re.search(r"[:\t\n]", name):
            return self._invalid("6000", "A business validation error has occurred while processing your request",
                                 "DisplayName cannot contain a colon, tab or newline.", "DisplayName")
        for kind in ("Customer", "Vendor"):
            if any(c.get("DisplayName") == name for c in company.lists[kind].values()):
                return self._invalid("6240", "Duplicate Name Exists Error",
                                     f"The name supplied already exists. : {name}", "DisplayName")
        customer = {"DisplayName": name, "Active": True}
        if (body.get("PrimaryEmailAddr") or {}).get("Address"):
            customer["PrimaryEmailAddr"] = {"Address": body["PrimaryEmailAddr"]["Address"]}
        return self._ok("Customer", self._insert(company, "Customer", customer))

    def _create_purchase_order(self, company: Company, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        vendor = self._ref(company, "Vendor", body, "VendorRef")
        if vendor is None:
            return self._invalid("2500", "Invalid Reference Id", "Invalid Reference Id : Vendor", "VendorRef")
        lines, total = self._lines(company, body, "ItemBasedExpenseLineDetail")
        if isinstance(lines, tuple):
            return lines
        order = {"VendorRef": {"value": vendor["Id"], "name": vendor["DisplayName"]}, "Line": lines,
                 "TotalAmt": total, "POStatus": "Open", "TxnDate": self._today()}
        return self._ok("PurchaseOrder", self._insert(company, "PurchaseOrder", order))

    def _send_route(self, company: Company, iid: str) -> tuple[int, dict[str, Any]]:
        if iid not in company.lists["Invoice"]:
            return self._invalid("610", "Object Not Found", "Object Not Found : Invoice")
        rid = request.args.get("requestid")
        if rid and rid in company.answers:
            return company.answers[rid]
        to = request.args.get("sendTo")
        if not to and not (company.lists["Invoice"][iid].get("BillEmail") or {}).get("Address"):
            return self._invalid("6000", "A business validation error has occurred while processing your request",
                                 "Invalid Email Address: the invoice has no BillEmail and no sendTo.", "BillEmail")
        answer = self._ok("Invoice", self._send(company, iid, to))
        if rid:
            company.answers[rid] = answer
        return answer

    def _send(self, company: Company, iid: str, to: str | None) -> dict[str, Any]:
        invoice = company.lists["Invoice"][iid]
        if to:
            invoice["BillEmail"] = {"Address": to}
        invoice["EmailStatus"] = "EmailSent"
        self._touch(company, "Invoice", invoice, "Emailed")
        invoice["DeliveryInfo"] = {"DeliveryType": "Email", "DeliveryTime": invoice["MetaData"]["LastUpdatedTime"]}
        return invoice

    def _query(self, company: Company) -> tuple[int, dict[str, Any]]:
        match = QUERY.match(request.args.get("query", ""))
        names = {n.lower(): n for n in company.lists}
        if match is None or match.group(1).lower() not in names:
            return self._fault(400, "ValidationFault", "4000", "Error parsing query",
                               "QueryParserError: Encountered an unsupported query")
        name, column, raw = names[match.group(1).lower()], match.group(2), match.group(3)
        value = None if raw is None else re.sub(r"\\(.)", r"\1", raw)
        found = [dict(e) for e in company.lists[name].values() if e.get("Active", True)
                 and (column is None or str(e.get(column)) == value)]
        body: dict[str, Any] = {name: found, "startPosition": 1, "maxResults": len(found)} if found else {}
        return 200, {"QueryResponse": body, "time": self._render(self._now())}

    def _cdc(self, company: Company) -> tuple[int, dict[str, Any]]:
        names = [n.strip() for n in request.args.get("entities", "").split(",") if n.strip()]
        try:
            since = datetime.fromisoformat(request.args.get("changedSince", ""))
        except ValueError:
            return self._invalid("2010", "Request has invalid or unsupported property", "changedSince", "changedSince")
        since = since if since.tzinfo else since.replace(tzinfo=self.tz)
        if not names or any(n not in company.lists for n in names):
            return self._invalid("2010", "Request has invalid or unsupported property", "entities", "entities")
        if since < self._now() - timedelta(days=30):
            return self._invalid("2010", "Request has invalid or unsupported property",
                                 "changedSince must be within the last 30 days", "changedSince")
        responses = []
        for name in names:
            alive = [dict(e) for e in company.lists[name].values()]
            dead = [dict(e) for kind, e in company.tombstones if kind == name]
            changed = sorted((e for e in alive + dead
                              if datetime.fromisoformat(e["MetaData"]["LastUpdatedTime"]) >= since),
                             key=lambda e: datetime.fromisoformat(e["MetaData"]["LastUpdatedTime"]))
            changed = changed[: self.cdc_page_limit]
            responses.append({name: changed, "startPosition": 1, "maxResults": len(changed)} if changed else {})
        clock = max(self._now(), company.last_stamp or self._now())
        return 200, {"CDCResponse": [{"QueryResponse": responses}],
                     "time": clock.astimezone(self.tz).isoformat(timespec="milliseconds")}
