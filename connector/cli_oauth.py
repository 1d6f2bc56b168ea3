"""`backbone oauth …`: register, list and revoke the OAuth clients (Zapier, Make)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click
import sqlalchemy as sa

from connector import runtime as runtime_module
from connector.auth.clients import create_client, revoke_client
from connector.db.models import OAuthClient

if TYPE_CHECKING:
    from connector.runtime import Runtime


def add_client(runtime: Runtime, name: str, redirect_uris: list[str], scope: str | None) -> tuple[str, str]:
    """Registers a client; returns (client_id, client_secret).

    The plaintext secret is returned once and stored only as a digest. `scope` defaults to every
    scope.

    Raises:
        ValueError: when the name, a redirect URI or the scope is invalid.
    """
    with runtime.db.session() as session:
        return create_client(session, name=name, redirect_uris=redirect_uris, scope=scope, now=runtime.clock())


@click.group("oauth")
def oauth() -> None:
    """OAuth clients that may connect Backbone (Zapier, Make)."""


@oauth.command("add-client")
@click.option("--name", required=True, help="Shown on the consent page, e.g. Zapier.")
@click.option(
    "--redirect-uri",
    "redirect_uris",
    multiple=True,
    required=True,
    help="Exact callback URL (https; http only for 127.0.0.1/localhost). Repeatable.",
)
@click.option("--scope", default=None, help="Space-separated scopes the client may ask for (default: all).")
def add_client_command(name: str, redirect_uris: tuple[str, ...], scope: str | None) -> None:
    """Registers a client and prints its id and secret (the secret is shown only this once)."""
    try:
        client_id, secret = add_client(runtime_module.current(), name, list(redirect_uris), scope)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    click.echo(f"client_id:     {client_id}")
    click.echo(f"client_secret: {secret}")
    click.echo("Store the secret now: Backbone keeps only its digest and cannot show it again.")


@oauth.command("list-clients")
def list_clients_command() -> None:
    """Lists the registered clients (never their secrets)."""
    rt = runtime_module.current()
    with rt.db.session() as session:
        clients = session.scalars(sa.select(OAuthClient).order_by(OAuthClient.created_at)).all()
        if not clients:
            click.echo("No OAuth clients. Add one with: backbone oauth add-client")
        for client in clients:
            status = f"revoked {client.revoked_at:%Y-%m-%d %H:%M}Z" if client.revoked_at else "active"
            click.echo(f"{client.client_id}  {client.name}  [{status}]  scope: {client.scope}")
            for uri in client.redirect_uris:
                click.echo(f"    redirect: {uri}")


@oauth.command("revoke-client")
@click.option("--client-id", required=True, help="The client to revoke.")
def revoke_client_command(client_id: str) -> None:
    """Revokes a client and every token issued to it."""
    rt = runtime_module.current()
    with rt.db.session() as session:
        revoked = revoke_client(session, client_id, rt.clock())
    if revoked is None:
        raise click.ClickException(f"No OAuth client {client_id!r}.")
    click.echo(f"Revoked {client_id} and {revoked} live token pair(s).")
