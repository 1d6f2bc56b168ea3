"""Blueprint "oauth": consent page, token and revocation endpoints, metadata, /api/v1/me."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import sqlalchemy as sa
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import InsecureTransportError
from flask import Blueprint, jsonify, render_template, request
from flask_login import current_user

from connector.accounts.users import runtime, signed_in
from connector.auth.guard import current_principal, require_token
from connector.auth.scopes import SCOPES, scope_list
from connector.auth.server import metadata, oauth_server
from connector.auth.tokens import GrantUser
from connector.db.models import Tenant, User
from connector.errors import NotFoundError
from connector.extensions import api_limit, csrf, login_manager

if TYPE_CHECKING:
    from werkzeug.wrappers import Response

logger = logging.getLogger(__name__)

bp = Blueprint("oauth", __name__, template_folder="templates")

SUPPORT_CANNOT_AUTHORIZE = (
    "Support accounts belong to no company, so they cannot connect Zapier or Make. "
    "Sign in with your company account to connect it."
)


@bp.route("/oauth/authorize", methods=["GET", "POST"])
def authorize() -> str | Response | tuple[str, int]:
    """Asks the signed-in user to let a client act for their company (RFC 6749 §4.1.1)."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    user = signed_in()
    if user.is_support or user.tenant_id is None:
        return _error_page(403, "Cannot connect", SUPPORT_CANNOT_AUTHORIZE)
    server = oauth_server()
    owner = GrantUser(user.id, user.tenant_id)
    try:
        grant = server.get_consent_grant(end_user=owner)
    except OAuth2Error as error:
        return _authorization_error(error)
    if request.method == "GET":
        scopes = [(name, SCOPES[name]) for name in scope_list(grant.request.scope)]
        return render_template("oauth/authorize.html", client=grant.client, scopes=scopes, user=user)
    approved = request.form.get("decision") == "approve"
    logger.info(
        "oauth.authorize.%s",
        "approved" if approved else "denied",
        extra={"client_id": grant.client.client_id},
    )
    return server.create_authorization_response(grant_user=owner if approved else None, grant=grant)


def _authorization_error(error: OAuth2Error) -> Response | tuple[str, int]:
    # Back to the client only when its redirect URI was verified (RFC 6749 §4.1.2.1);
    # an unknown client or unregistered redirect URI gets a page here, never a redirect.
    if error.redirect_uri:
        return oauth_server().handle_error_response(None, error)
    message = error.description or error.error
    return _error_page(400, "Invalid connection request", f"{message} Ask the app that sent you here to fix it.")


def _error_page(status: int, title: str, message: str) -> tuple[str, int]:
    return render_template("error.html", status=status, title=title, message=message), status


@bp.post("/oauth/token")
def issue_token() -> Response:
    """Token endpoint: authorization_code and refresh_token grants (RFC 6749 §3.2)."""
    server = oauth_server()
    try:
        return server.create_token_response()
    except InsecureTransportError as error:  # BACKBONE_BASE_URL is plain http off loopback
        return server.handle_error_response(None, error)


@bp.post("/oauth/revoke")
def revoke_token() -> Response:
    """Revocation endpoint (RFC 7009)."""
    server = oauth_server()
    try:
        return server.create_endpoint_response("revocation")
    except InsecureTransportError as error:  # BACKBONE_BASE_URL is plain http off loopback
        return server.handle_error_response(None, error)


# Clients authenticate to these two with their secret, not with a session cookie.
csrf.exempt(issue_token)
csrf.exempt(revoke_token)


@bp.get("/.well-known/oauth-authorization-server")
def server_metadata() -> Response:
    """Authorization server metadata (RFC 8414)."""
    return jsonify(metadata(runtime().settings))


@bp.get("/api/v1/me")
@api_limit
@require_token("profile")
def me() -> Response:
    """The connection test Zapier and Make run: who this token acts for."""
    principal = current_principal()
    with runtime().db.session() as session:
        row = session.execute(
            sa.select(User, Tenant.name)
            .join(Tenant, Tenant.id == User.tenant_id)
            .where(User.id == principal.user_id, User.tenant_id == principal.tenant_id)
        ).first()
        if row is None:
            raise NotFoundError("The user of this connection no longer exists.")
        user, tenant_name = row
        return jsonify(
            tenant_id=principal.tenant_id,
            tenant_name=tenant_name,
            user_id=user.id,
            email=user.email,
            name=user.name,
            role=user.role,
            client=principal.client_name,
            scopes=list(principal.scopes),
            label=f"{tenant_name} ({user.email})",
        )
