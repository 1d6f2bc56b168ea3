"""`backbone connections`: provider connections from the command line (list, sync, refresh, keys)."""

from __future__ import annotations

import json

import click
import sqlalchemy as sa


@click.group(help="Connections to Jobber, QuickBooks Online, ServiceTitan and Housecall Pro.")
def connections() -> None:
    pass


@connections.command("list", help="Every connection with its status, last sync and lag (JSON lines).")
def list_connections() -> None:
    from connector.connections.status import describe
    from connector.db.models import Install
    from connector.runtime import current

    rt = current()
    with rt.db.session() as session:
        for row in session.scalars(sa.select(Install).order_by(Install.created_at)):
            click.echo(json.dumps({"tenant_id": row.tenant_id, **describe(row, rt.clock(), rt.settings)}))


@connections.command("sync", help="Run a catch-up sync of one connection now.")
@click.argument("install_id")
def sync(install_id: str) -> None:
    from connector.connections.sync import sync_connection
    from connector.runtime import current

    click.echo(json.dumps(sync_connection(current(), install_id)))


@connections.command("refresh", help="Refresh the tokens of every connection due now.")
def refresh() -> None:
    from connector.connections.tokens import refresh_due
    from connector.runtime import current

    click.echo(json.dumps(refresh_due(current())))


@connections.command("rotate-keys", help="Re-encrypt every stored secret with BACKBONE_SECRET_KEY.")
def rotate_keys() -> None:
    from connector.connections.keys import rotate_secrets
    from connector.runtime import current

    click.echo(f"Re-encrypted {rotate_secrets(current())} secrets with the current key.")
