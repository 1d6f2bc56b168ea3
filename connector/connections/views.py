"""Blueprint "connections": install from a marketplace (OAuth) or with credentials, list, disconnect.

    GET  /install/<provider>               OAuth providers: to the provider's consent screen
                                           credentials providers: the form for their API credentials
    POST /install/<provider>               credentials form: checked with one API call, then stored
    GET  /install/<provider>/callback      OAuth redirect URI: state checked, code exchanged, tenant linked;
                                           without state (started in the provider's marketplace) the
                                           tokens wait for their company at /install/pending/<id>
    GET/POST /install/pending/<id>         a signed-in owner confirms, or the visitor creates the company
    GET  /install/<provider>/disconnected  where a provider sends the user after disconnecting there
    GET  /connections                      the tenant's connections: status, last sync, lag
    POST /connections/<id>/disconnect      revokes at the provider (best effort) and uninstalls
"""

from __future__ import annotations

import json
import logging
import secrets
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import requests
import sqlalchemy as sa
from authlib.integrations.requests_client import OAuthError
from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user

from connector.accounts import service as account_service
from connector.accounts.forms import SignUpForm
from connector.accounts.users import load_signed_in_user, roles_required, runtime, signed_in
from connector.connections.clients import StaticTokens, client_for, close_client
from connector.connections.lifecycle import connected, forget_secrets, uninstall
from connector.connections.status import describe
from connector.connections.sync import SYNC, sync_job_id
from connector.connections.tokens import oauth_session, store_credentials, store_token
from connector.db.models import Install, InstallStatus, PendingInstall
from connector.db.models.tenants import Role
from connector.jobs.queues import DEFAULT, enqueue_after_commit
from connector.providers import PROVIDERS
from connector.providers.base import AccountInfo, Connection, Grant
from connector.providers.http import ApiError

if TYPE_CHECKING:
    from werkzeug.wrappers import Response

    from connector.providers.base import ProviderAdapter

logger = logging.getLogger(__name__)

bp = Blueprint("connections", __name__)

STATE_KEY = "backbone_install"
PENDING_KEY = "backbone_pending_install"
#: How long a marketplace-started install waits for its company.
PENDING_TTL = timedelta(minutes=30)
MAX_CREDENTIAL = 500


def _error(status: int, title: str, message: str) -> tuple[str, int]:
    return render_template("error.html", status=status, title=title, message=message), status


def _adapter(provider: str) -> ProviderAdapter:
    adapter = PROVIDERS.get(provider)
    if adapter is None or adapter.grant == Grant.NONE:
        abort(404)
    return adapter


def _redirect_uri(provider: str) -> str:
    return runtime().settings.base_url.rstrip("/") + url_for("connections.callback", provider=provider)


def _link(adapter: ProviderAdapter, info: AccountInfo, *, token: dict[str, Any] | None = None,
          credentials: dict[str, str] | None = None) -> tuple[str, int] | Response:
    """Creates or re-links the tenant's connection to this account and stores its secrets."""
    rt = runtime()
    user = signed_in()
    now = rt.clock()
    with rt.db.session() as db:
        install = db.scalar(sa.select(Install).where(Install.provider == adapter.name,
                                                     Install.account_id == info.account_id).with_for_update())
        if install is not None and install.tenant_id != user.tenant_id:
            return _error(409, "Already connected",
                          f"This {adapter.label} account is connected to another Backbone company. Disconnect it "
                          "there first, or sign in to that company.")
        if install is None:
            install = Install(tenant_id=user.tenant_id, provider=adapter.name, account_id=info.account_id)
            db.add(install)
        forget_secrets(install)
        install.account_name = info.name[:200]
        if token is not None:
            store_token(rt.secrets, install, token, now, adapter.oauth(rt.settings.provider_app(adapter.name)))
        if credentials is not None:
            store_credentials(rt.secrets, install, credentials)
            if token is None:
                install.token_refreshed_at = now
        connected(install, now)
        db.flush()
        install_id = install.id
        # The first catch-up sync fetches the recent past right away.
        enqueue_after_commit(db, lambda: rt.queues.enqueue(DEFAULT, SYNC, install_id, job_id=sync_job_id(install_id)))
    logger.info("connection.installed provider=%s install=%s", adapter.name, install_id)
    flash(f"{adapter.label} is connected ({info.name}).")
    return redirect(url_for("connections.list_connections"))


@bp.route("/install/<provider>", methods=["GET", "POST"])
@roles_required(Role.OWNER)
def install(provider: str) -> str | tuple[str, int] | Response:
    adapter = _adapter(provider)
    rt = runtime()
    app = rt.settings.provider_app(provider)
    if not app.configured:
        return _error(503, f"{adapter.label} is not set up",
                      f"This Backbone server is not registered with {adapter.label} yet: set the "
                      f"BACKBONE_{provider.upper()}__* variables (see the README, \"Connecting\").")
    endpoints = adapter.oauth(app)
    if adapter.grant == Grant.AUTHORIZATION_CODE:
        if endpoints is None:
            abort(404)
        state = secrets.token_urlsafe(24)
        session[STATE_KEY] = {"provider": provider, "state": state}
        url, _ = oauth_session(app, endpoints, redirect_uri=_redirect_uri(provider)).create_authorization_url(
            endpoints.authorize_url, state=state)
        return redirect(url)
    errors: dict[str, str] = {}
    values = {f.name: (request.form.get(f.name) or "").strip() for f in adapter.credential_fields}
    if request.method == "POST":
        for f in adapter.credential_fields:
            if not values[f.name]:
                errors[f.name] = "This field is required."
            elif len(values[f.name]) > MAX_CREDENTIAL:
                errors[f.name] = f"At most {MAX_CREDENTIAL} characters."
        if not errors:
            try:
                token: dict[str, Any] | None = None
                if endpoints is not None:
                    token = dict(oauth_session(app, endpoints, client_id=values.get("client_id"),
                                               client_secret=values.get("client_secret"))
                                 .fetch_token(endpoints.token_url, grant_type="client_credentials"))
                tokens = StaticTokens(str(token["access_token"]) if token else "")
                client = adapter.client(Connection(install_id="", account_id="", app=app, tokens=tokens,
                                                   credentials=values))
                info = adapter.account(client, values)
            except (OAuthError, ApiError) as exc:
                errors["_form"] = f"{adapter.label} did not accept these credentials ({_why(exc)})."
            except requests.RequestException:
                errors["_form"] = f"{adapter.label} could not be reached; try again in a minute."
            else:
                return _link(adapter, info, token=token, credentials=values)
    return render_template("connections/credentials.html", adapter=adapter, values=values, errors=errors,
                           user=signed_in()), (422 if errors else 200)


def _why(exc: Exception) -> str:
    if isinstance(exc, OAuthError):
        return exc.error or "refused"
    if isinstance(exc, ApiError):
        return exc.message
    return type(exc).__name__


def _exchange(adapter: ProviderAdapter, code: str) -> tuple[dict[str, Any], AccountInfo]:
    """Trades the authorization code for tokens and asks the provider which account they are for."""
    rt = runtime()
    app = rt.settings.provider_app(adapter.name)
    endpoints = adapter.oauth(app)
    if endpoints is None:
        abort(404)
    token = dict(oauth_session(app, endpoints, redirect_uri=_redirect_uri(adapter.name))
                 .fetch_token(endpoints.token_url, code=code, grant_type="authorization_code"))
    account = request.args.get(endpoints.account_param or "", "")
    client = adapter.client(Connection(install_id="", account_id=account, app=app,
                                       tokens=StaticTokens(str(token["access_token"]))))
    return token, adapter.account(client, dict(request.args))


@bp.get("/install/<provider>/callback")
def callback(provider: str) -> str | tuple[str, int] | Response:
    """The redirect URI: an install Backbone started (state), or one the provider's marketplace started."""
    adapter = _adapter(provider)
    expected = session.pop(STATE_KEY, None)
    given_state = request.args.get("state", "")
    if request.args.get("error"):
        return _error(400, f"{adapter.label} was not connected",
                      f"{adapter.label} answered: {request.args.get('error_description') or request.args['error']}.")
    started_here = bool(expected) or bool(given_state)
    if started_here and (not expected or expected.get("provider") != provider
                         or not secrets.compare_digest(str(expected.get("state")), given_state)):
        return _error(400, "Install expired", f"This {adapter.label} install link is not ours or has expired: "
                      "start again from Backbone or the marketplace.")
    if started_here and not (current_user.is_authenticated and current_user.role == Role.OWNER):
        return _error(403, "Sign in as the owner", "Only the company's owner can connect systems.")
    code = request.args.get("code", "")
    if not code or len(code) > 2000:
        return _error(400, "Install failed", f"{adapter.label} sent no authorization code.")
    try:
        token, info = _exchange(adapter, code)
    except (OAuthError, ApiError) as exc:
        return _error(502, "Install failed", f"{adapter.label} refused the connection ({_why(exc)}); start again.")
    except requests.RequestException:
        return _error(502, "Install failed", f"{adapter.label} could not be reached; start again in a minute.")
    if started_here:
        return _link(adapter, info, token=token)
    return _hold(adapter, info, token)


def _hold(adapter: ProviderAdapter, info: AccountInfo, token: dict[str, Any]) -> Response:
    """Keeps a marketplace-started install until an owner claims it from this browser."""
    rt = runtime()
    now = rt.clock()
    with rt.db.session() as db:
        db.execute(sa.delete(PendingInstall).where(PendingInstall.expires_at < now))
        pending = PendingInstall(provider=adapter.name, account_id=info.account_id, account_name=info.name[:200],
                                 token_encrypted=rt.secrets.encrypt(json.dumps(token)), created_at=now,
                                 expires_at=now + PENDING_TTL)
        db.add(pending)
        db.flush()
        pending_id = pending.id
    session[PENDING_KEY] = pending_id
    return redirect(url_for("connections.pending", pending_id=pending_id))


def _pending(pending_id: str) -> PendingInstall:
    """The pending install, only for the browser it was made in, and only while it lasts."""
    rt = runtime()
    if session.get(PENDING_KEY) != pending_id:
        abort(404)
    with rt.db.session() as db:
        row = db.get(PendingInstall, pending_id)
        if row is None or row.expires_at < rt.clock():
            abort(404)
        db.expunge(row)
        return row


def _claim(row: PendingInstall) -> str | tuple[str, int] | Response:
    rt = runtime()
    token = json.loads(rt.secrets.decrypt(row.token_encrypted))
    with rt.db.session() as db:
        db.execute(sa.delete(PendingInstall).where(PendingInstall.id == row.id))
    session.pop(PENDING_KEY, None)
    return _link(PROVIDERS[row.provider], AccountInfo(row.account_id, row.account_name), token=token)


@bp.route("/install/pending/<id:pending_id>", methods=["GET", "POST"])
def pending(pending_id: str) -> str | tuple[str, int] | Response:
    """Claim a marketplace install: a signed-in owner confirms; anyone else creates the company or signs in."""
    row = _pending(pending_id)
    adapter = PROVIDERS[row.provider]
    signed = current_user.is_authenticated
    if signed and current_user.role != Role.OWNER:
        return _error(403, "Sign in as the owner", "Only the company's owner can connect systems.")
    form = SignUpForm()
    if request.method == "GET" and not form.company.data:
        form.company.data = row.account_name
    if request.method == "POST" and signed:  # CSRF is checked for every POST (Flask-WTF)
        return _claim(row)
    if request.method == "POST" and form.validate_on_submit():
        rt = runtime()
        try:
            with rt.db.session() as db:
                _tenant, owner, _sandbox = account_service.create_tenant(
                    db, rt.secrets, company=form.company.data, owner_name=form.name.data,
                    owner_email=form.email.data, password=form.password.data)
                owner_id = owner.id
        except account_service.EmailTaken:
            form.email.errors.append("An account with this email exists: sign in instead, then confirm.")
        else:
            login_user(load_signed_in_user(owner_id))
            return _claim(row)
    return render_template("connections/pending.html", adapter=adapter, pending=row, form=form,
                           user=signed_in() if signed else None,
                           login_url=url_for("accounts.login", next=request.path)), (422 if form.errors else 200)


@bp.get("/install/<provider>/disconnected")
def disconnected(provider: str) -> str | tuple[str, int]:
    """Where QuickBooks (its "disconnect URL") sends a user who disconnected Backbone there."""
    adapter = _adapter(provider)
    account = request.args.get("realmId") or request.args.get("account_id") or ""
    if current_user.is_authenticated and account:
        rt = runtime()
        user = signed_in()
        with rt.db.session() as db:
            row = db.scalar(sa.select(Install).where(Install.provider == provider, Install.account_id == account,
                                                     Install.tenant_id == user.tenant_id))
            if row is not None and row.status != "uninstalled":
                uninstall(db, row, rt.clock(), reason=f"Disconnected in {adapter.label}.")
    return _error(200, f"{adapter.label} disconnected",
                  f"Backbone no longer reads from or writes to this {adapter.label} account. "
                  "Connect it again from Backbone's Connections page at any time.")


@bp.get("/connections")
@roles_required(Role.OWNER, Role.DISPATCHER, Role.BILLING)
def list_connections() -> str:
    rt = runtime()
    user = signed_in()
    with rt.db.session() as db:
        rows = db.scalars(sa.select(Install).where(Install.tenant_id == user.tenant_id)
                          .order_by(Install.created_at)).all()
        items = [describe(row, rt.clock(), rt.settings) for row in rows]
    available = [a for a in PROVIDERS.values() if a.grant != Grant.NONE]
    return render_template("connections/list.html", user=user, items=items, available=available)


@bp.post("/connections/<id:install_id>/disconnect")
@roles_required(Role.OWNER)
def disconnect(install_id: str) -> Response:
    rt = runtime()
    user = signed_in()
    with rt.db.session() as db:
        row = db.scalar(sa.select(Install).where(Install.id == install_id, Install.tenant_id == user.tenant_id))
        if row is None or row.provider == "sandbox":
            abort(404)
        adapter = PROVIDERS[row.provider]
    _tell_provider(adapter, install_id)  # outside any transaction: it calls the provider
    with rt.db.session() as db:
        row = db.get(Install, install_id)
        if row is not None:
            uninstall(db, row, rt.clock(), reason=f"Disconnected in Backbone by {user.email}.")
    flash(f"{adapter.label} is disconnected; its tokens are deleted.")
    return redirect(url_for("connections.list_connections"))


def _tell_provider(adapter: ProviderAdapter, install_id: str) -> None:
    """Disconnects the app at the provider too (best effort: Backbone's tokens are deleted either way).

    Jobber: the `appDisconnect` mutation; OAuth providers with a revocation endpoint (QuickBooks):
    the refresh token is revoked.
    """
    rt = runtime()
    app = rt.settings.provider_app(adapter.name)
    endpoints = adapter.oauth(app)
    with rt.db.session() as db:
        row = db.get(Install, install_id)
        if row is None or row.status != InstallStatus.ACTIVE:
            return
        refresh_token = rt.secrets.decrypt(row.refresh_token_encrypted) if row.refresh_token_encrypted else None
        client = client_for(rt, row)
    try:
        disconnect_app = getattr(client, "disconnect", None)
        if callable(disconnect_app):
            disconnect_app()
        elif endpoints is not None and endpoints.revoke_url and refresh_token:
            oauth_session(app, endpoints).revoke_token(endpoints.revoke_url, token=refresh_token,
                                                       token_type_hint="refresh_token")  # noqa: S106 - a hint
    except (OAuthError, ApiError, requests.RequestException, ValueError):
        logger.warning("connection.disconnect.provider_failed install=%s", install_id)
    finally:
        close_client(client)
