"""The `backbone` command: run, worker, cron, db, users, oauth, connections, sandbox, replay."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click
import sqlalchemy as sa

from bench.cli import bench
from connector.cli_connections import connections
from connector.cli_oauth import oauth
from connector.config import Settings

if TYPE_CHECKING:
    from connector.runtime import Runtime


def _runtime() -> Runtime:
    from connector.runtime import current

    return current()


@click.group(help="Backbone: field-service automation for Zapier and Make.")
def main() -> None:
    pass


@main.command(help="Start the app with a worker and demo data (the embedded defaults need no set-up).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--demo/--no-demo", default=True, show_default=True, help="Seed the demo company if the DB is empty.")
@click.option("--worker/--no-worker", default=True, show_default=True,
              help="Run the in-process worker (only without REDIS_URL).")
def run(host: str, port: int, demo: bool, worker: bool) -> None:
    from werkzeug.serving import run_simple

    from connector.app import create_app
    from connector.db import migrate
    from connector.jobs.embedded import EmbeddedWorker
    from connector.logging import configure_logging
    from connector.runtime import build_runtime

    settings = Settings()
    if "base_url" not in settings.model_fields_set:  # links and the OAuth issuer follow --host/--port
        settings = settings.model_copy(update={"base_url": f"http://{host}:{port}"})
    configure_logging(settings)
    rt = build_runtime(settings)
    click.echo(f"Database: {_safe_url(settings.sqlalchemy_url)}")
    migrate.upgrade(settings.sqlalchemy_url)
    credentials = _seed_if_empty(rt) if demo else None
    app = create_app(runtime=rt)
    embedded = None
    if worker and rt.queues.embedded:
        embedded = EmbeddedWorker(rt)
        embedded.start()
        click.echo("Queue: in-process RQ worker (set REDIS_URL and run `backbone worker` for production)")
    elif rt.queues.embedded:
        click.echo("Queue: in-process, worker disabled (--no-worker): jobs wait until one runs")
    else:
        click.echo(f"Queue: Redis at {_safe_url(settings.redis_url)}; run `backbone worker` beside this")
    _print_welcome(host, port, credentials)
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False)
    finally:
        if embedded is not None:
            embedded.stop()


def _safe_url(url: str) -> str:
    return sa.engine.make_url(url).render_as_string(hide_password=True) if "://" in url else url


def _seed_if_empty(rt: Runtime) -> object | None:
    from connector.sandbox.seed import database_is_empty, seed_demo_company

    with rt.db.session() as session:
        if not database_is_empty(session):
            return None
        click.echo("Empty database: seeding the demo company (a few seconds) ...")
        return seed_demo_company(session, rt.secrets, now=rt.clock())


def _print_welcome(host: str, port: int, credentials: object | None) -> None:
    from connector.sandbox.seed import DEMO_PASSWORD

    click.echo("")
    click.echo(f"Backbone is running on http://{host}:{port}")
    click.echo(f"  Demo sign-in:  owner@demo.backbone.test / {DEMO_PASSWORD}")
    click.echo(f"  Support staff: support@backbone.test / {DEMO_PASSWORD}  (admin page: /admin)")
    if credentials is None:
        click.echo("  (demo company already present; the sign-ins above exist if it was seeded by Backbone)")
    click.echo("  Connect Zapier/Make: backbone oauth add-client --name zapier --redirect-uri <URI>")
    click.echo("")


@main.command(help="Run an RQ worker on Redis (REDIS_URL) for the given queues, with rq's cron.")
@click.option("--queue", "queues", multiple=True, default=("delivery", "default", "solver"), show_default=True)
@click.option("--cron/--no-cron", default=True, show_default=True,
              help="Also run the periodic jobs (once per deployment).")
@click.option("--burst", is_flag=True, help="Quit when the queues are empty.")
def worker(queues: tuple[str, ...], cron: bool, burst: bool) -> None:
    from connector.jobs.worker import NoRedis
    from connector.jobs.worker import main as worker_main

    try:
        worker_main(queues, with_cron=cron, burst=burst)
    except NoRedis as exc:
        raise click.ClickException(str(exc)) from exc


@main.command(help="Run only rq's cron scheduler (the periodic jobs) on Redis.")
def cron() -> None:
    from connector.jobs.worker import run_cron

    settings = Settings()
    if not settings.redis_url:
        raise click.ClickException("REDIS_URL is not set.")
    run_cron(settings)


@main.group(help="Database migrations (Alembic).")
def db() -> None:
    pass


@db.command("upgrade", help="Migrate the database to the newest schema.")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    from connector.db import migrate

    settings = Settings()
    migrate.upgrade(settings.sqlalchemy_url, revision)
    click.echo(f"Migrated {_safe_url(settings.sqlalchemy_url)} to {revision}")


@db.command("downgrade", help="Migrate the database down to REVISION.")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    from connector.db import migrate

    migrate.downgrade(Settings().sqlalchemy_url, revision)


@db.command("check", help="Fail when the models and the migrations disagree.")
def db_check() -> None:
    from connector.db import migrate

    migrate.check(Settings().sqlalchemy_url)


@main.command("seed-demo", help="Seed the demo company into an empty database.")
def seed_demo() -> None:
    from connector.db import migrate

    migrate.upgrade(Settings().sqlalchemy_url)
    if _seed_if_empty(_runtime()) is None:
        raise click.ClickException("The database is not empty: nothing seeded.")
    click.echo("Seeded.")


@main.group(help="The generated Zapier and Make apps (manifests/).")
def manifests() -> None:
    pass


@manifests.command("build", help="Write manifests/zapier and manifests/make from the catalogs.")
@click.option("--check", is_flag=True, help="Fail if the committed files differ from what the code generates.")
def manifests_build(check: bool) -> None:
    from manifests.build import main as build_main

    status = build_main(["--check"] if check else [])
    if status:
        raise SystemExit(status)


@main.group(help="Users.")
def user() -> None:
    pass


@user.command("add", help="Add a user: --role support makes platform-wide support staff.")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice(["owner", "dispatcher", "billing", "support"]), required=True)
@click.option("--tenant-id", default=None, help="The tenant (not for support).")
@click.password_option()
def user_add(email: str, name: str, role: str, tenant_id: str | None, password: str) -> None:
    from connector.accounts.service import EmailTaken, create_user
    from connector.db.models.tenants import Role
    from connector.passwords import MIN_LENGTH

    if len(password) < MIN_LENGTH:
        raise click.ClickException(f"The password needs at least {MIN_LENGTH} characters.")
    if (role == "support") == bool(tenant_id):
        raise click.ClickException("Support staff have no tenant; every other role needs --tenant-id.")
    try:
        with _runtime().db.session() as session:
            created = create_user(session, email=email, name=name, password=password, role=Role(role),
                                  tenant_id=tenant_id)
            click.echo(f"Added {created.email} ({created.role}), id {created.id}")
    except EmailTaken as exc:
        raise click.ClickException(f"{email} already has an account.") from exc


@main.group(help="The built-in sandbox FSM and accounting system.")
def sandbox() -> None:
    pass


@sandbox.command("outage", help="Simulate an accounting outage for a tenant's sandbox (to see a run fail).")
@click.option("--email", required=True, help="Any user of the tenant, e.g. owner@demo.backbone.test.")
@click.argument("mode", type=click.Choice(["off", "unavailable", "timeout_after_create"]))
def sandbox_outage(email: str, mode: str) -> None:
    from connector.db.models import Install, User
    from connector.sandbox.accounting import set_outage

    rt = _runtime()
    with rt.db.session() as session:
        account = session.scalar(
            sa.select(Install.account_id).join(User, User.tenant_id == Install.tenant_id)
            .where(User.email == email.strip().lower(), Install.provider == "sandbox")
        )
    if account is None:
        raise click.ClickException(f"No sandbox connection for a user {email}.")
    set_outage(rt.sandbox_db, account, mode)
    click.echo(f"Sandbox accounting for {account}: outage {mode}")


@sandbox.command("tick", help="Emit one round of sandbox events now.")
def sandbox_tick() -> None:
    from connector.sandbox.emitter import tick

    click.echo(f"Emitted {tick(_runtime())} event(s).")


@main.command(help="Replay a failed action run (audited; reuses its idempotency key).")
@click.argument("run_id")
@click.option("--actor", required=True, help="Email of the support staff member replaying.")
def replay(run_id: str, actor: str) -> None:
    from actions.catalog import get
    from connector.api.runner import NotReplayable, load_run
    from connector.api.runner import replay as do_replay

    rt = _runtime()
    try:
        run = load_run(rt, run_id)
    except LookupError as exc:
        raise click.ClickException(f"No run {run_id}.") from exc
    spec = get(run.action_key)
    if spec is None:
        raise click.ClickException(f"Unknown action {run.action_key}.")
    try:
        result = do_replay(rt, spec, run_id, actor_id=None, actor_label=actor)
    except NotReplayable as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Run {run_id}: {result.status}")


main.add_command(oauth)
main.add_command(connections)
main.add_command(bench)

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
