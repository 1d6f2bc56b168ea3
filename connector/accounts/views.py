"""Sign-up, sign-in, sign-out and the tenant's home page."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from connector.accounts import service
from connector.accounts.forms import SignInForm, SignUpForm
from connector.accounts.users import load_signed_in_user, roles_required, runtime, signed_in
from connector.db.base import utcnow
from connector.db.models import Event, HookSubscription, Install, User
from connector.db.models.tenants import Role
from connector.passwords import hash_password, needs_rehash, verify_password
from connector.sandbox import accounting
from connector.sandbox.remote import OUTAGE_MODES

if TYPE_CHECKING:
    from werkzeug.wrappers import Response

bp = Blueprint("accounts", __name__)


def _safe_next(target: str | None) -> str | None:
    # Only same-site relative paths: never an open redirect.
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.get("/")
def home() -> str | Response:
    if not current_user.is_authenticated:
        return render_template("accounts/landing.html")
    user = signed_in()
    if user.is_support:
        return redirect(url_for("admin.list_runs"))
    rt = runtime()
    with rt.db.session() as session:
        install = session.scalar(
            sa.select(Install).where(Install.tenant_id == user.tenant_id, Install.provider == "sandbox")
        )
        sealed = install.webhook_secret_encrypted if install else None
        secret = rt.secrets.decrypt(sealed) if sealed else None
        events = session.scalars(
            sa.select(Event).where(Event.tenant_id == user.tenant_id).order_by(Event.seq.desc()).limit(20)
        ).all()
        broken = session.scalars(
            sa.select(Install).where(Install.tenant_id == user.tenant_id, Install.status == "reconnect_needed")
        ).all()
        hooks = session.scalars(
            sa.select(HookSubscription).where(
                HookSubscription.tenant_id == user.tenant_id, HookSubscription.deleted_at.is_(None)
            )
        ).all()
    outage_mode = accounting.outage(rt.sandbox_db, install.account_id) if install else "off"
    return render_template(
        "accounts/home.html", user=user, install=install, webhook_secret=secret, events=events, hooks=hooks,
        outage_mode=outage_mode, outage_modes=OUTAGE_MODES, broken=broken,
    )


@bp.post("/sandbox/outage")
@roles_required(Role.OWNER, Role.DISPATCHER, Role.BILLING)
def sandbox_outage() -> Response:
    """Lets a tenant make its sandbox accounting fail, to see a run fail and be replayed."""
    mode = request.form.get("mode", "")
    if mode not in OUTAGE_MODES:
        abort(422)
    rt = runtime()
    user = signed_in()
    with rt.db.session() as session:
        install = session.scalar(
            sa.select(Install).where(Install.tenant_id == user.tenant_id, Install.provider == "sandbox")
        )
        if install is None:
            abort(404)
        account_id = install.account_id
    accounting.set_outage(rt.sandbox_db, account_id, mode)
    flash(f"Sandbox accounting outage: {mode}.")
    return redirect(url_for("accounts.home"))


@bp.route("/signup", methods=["GET", "POST"])
def signup() -> str | Response:
    form = SignUpForm()
    if form.validate_on_submit():
        rt = runtime()
        try:
            with rt.db.session() as session:
                tenant, owner, _install = service.create_tenant(
                    session,
                    rt.secrets,
                    company=form.company.data,
                    owner_name=form.name.data,
                    owner_email=form.email.data,
                    password=form.password.data,
                )
                if form.demo_data.data:
                    from connector.sandbox.seed import seed_tenant

                    # A small sandbox: sign-up stays quick; the full demo company comes with `backbone run`.
                    seed_tenant(session, tenant.id, seed=hash(tenant.id) & 0xFFFF, now=rt.clock(),
                                technicians=8, customers=60, days=30)
                owner_id = owner.id
        except service.EmailTaken:
            form.email.errors.append("An account with this email exists: sign in instead.")
        else:
            user = load_signed_in_user(owner_id)
            login_user(user)
            flash("Welcome to Backbone. Your sandbox is connected.")
            return redirect(url_for("accounts.home"))
    return render_template("accounts/signup.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response:
    form = SignInForm()
    if form.validate_on_submit():
        rt = runtime()
        with rt.db.session() as session:
            user = session.scalar(sa.select(User).where(User.email == service.normalize_email(form.email.data)))
            ok = user is not None and verify_password(user.password_hash, form.password.data)
            if ok and user is not None:
                user.last_login_at = utcnow()
                if needs_rehash(user.password_hash):
                    user.password_hash = hash_password(form.password.data)
                user_id = user.id
        if ok:
            login_user(load_signed_in_user(user_id))
            return redirect(_safe_next(request.args.get("next")) or url_for("accounts.home"))
        form.password.errors.append("Email or password is wrong.")
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
@login_required
def logout() -> Response:
    logout_user()
    return redirect(url_for("accounts.login"))
