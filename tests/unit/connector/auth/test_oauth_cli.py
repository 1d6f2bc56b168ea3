"""connector.cli_oauth: add_client() and the `oauth` click group."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from connector.cli_oauth import add_client, oauth
from connector.crypto import digest
from connector.db.models import OAuthClient, OAuthToken
from connector.runtime import install


@pytest.fixture
def cli(runtime) -> CliRunner:  # type: ignore[no-untyped-def]
    install(runtime)  # the commands find the runtime through connector.runtime.current()
    return CliRunner()


def test_add_client_returns_the_secret_once_and_stores_its_digest(runtime) -> None:
    client_id, secret = add_client(runtime, "Zapier", ["https://zapier.com/cb", "http://127.0.0.1:5000/cb"], None)
    with runtime.db.session() as session:
        row = session.scalar(sa.select(OAuthClient).where(OAuthClient.client_id == client_id))
        assert row is not None
        assert row.client_secret_digest == digest(secret)
        assert secret not in (row.client_id, row.name, row.client_secret_digest)
        assert row.redirect_uris == ["https://zapier.com/cb", "http://127.0.0.1:5000/cb"]
        assert row.scope == "profile triggers hooks actions"


def test_add_client_normalizes_the_scope(runtime) -> None:
    client_id, _ = add_client(runtime, "Make", ["https://make.example/cb"], "actions profile profile")
    with runtime.db.session() as session:
        assert session.scalar(sa.select(OAuthClient.scope).where(OAuthClient.client_id == client_id)) == (
            "profile actions"
        )


@pytest.mark.parametrize(
    ("uris", "problem"),
    [
        (["http://zapier.com/cb"], "must use https"),
        (["ftp://zapier.com/cb"], "not an absolute https URL"),
        (["/relative/cb"], "not an absolute https URL"),
        (["https://zapier.com/cb#frag"], "fragment"),
        ([], "at least one redirect URI"),
    ],
)
def test_add_client_validates_redirect_uris(runtime, uris, problem) -> None:
    with pytest.raises(ValueError, match=problem):
        add_client(runtime, "Zapier", uris, None)


def test_http_is_allowed_only_on_loopback(runtime) -> None:
    add_client(runtime, "Dev", ["http://localhost:3000/cb", "http://127.0.0.1/cb"], None)


def test_add_client_refuses_unknown_scopes(runtime) -> None:
    with pytest.raises(ValueError, match="unknown scope"):
        add_client(runtime, "Zapier", ["https://zapier.com/cb"], "profile admin")


def test_add_client_command_prints_id_and_secret(cli, runtime) -> None:
    result = cli.invoke(
        oauth,
        [
            "add-client",
            "--name",
            "Zapier",
            "--redirect-uri",
            "https://zapier.com/cb",
            "--redirect-uri",
            "https://zapier.com/cb2",
            "--scope",
            "profile triggers",
        ],
    )
    assert result.exit_code == 0, result.output
    lines = dict(line.split(":", 1) for line in result.output.splitlines() if line.startswith("client_"))
    client_id, secret = lines["client_id"].strip(), lines["client_secret"].strip()
    with runtime.db.session() as session:
        row = session.scalar(sa.select(OAuthClient).where(OAuthClient.client_id == client_id))
        assert row is not None
        assert row.client_secret_digest == digest(secret)
        assert row.redirect_uris == ["https://zapier.com/cb", "https://zapier.com/cb2"]
    listed = cli.invoke(oauth, ["list-clients"])
    assert listed.exit_code == 0
    assert client_id in listed.output and "Zapier" in listed.output and "[active]" in listed.output
    assert secret not in listed.output


def test_add_client_command_reports_bad_input(cli) -> None:
    result = cli.invoke(oauth, ["add-client", "--name", "Zapier", "--redirect-uri", "http://x.example/cb"])
    assert result.exit_code == 2
    assert "must use https" in result.output


def test_revoke_client_command_revokes_client_and_tokens(cli, flow, runtime) -> None:
    tokens = flow.tokens()
    result = cli.invoke(oauth, ["revoke-client", "--client-id", flow.oauth_client.client_id])
    assert result.exit_code == 0, result.output
    assert "1 live token pair" in result.output
    assert flow.me(tokens["access_token"]).status_code == 401
    assert flow.client.get(flow.authorize_url()).status_code == 400
    with runtime.db.session() as session:
        assert session.scalar(sa.select(OAuthToken.revoked_reason)) == "client_revoked"
    assert "revoked" in cli.invoke(oauth, ["list-clients"]).output


def test_revoke_client_command_with_unknown_id_fails(cli) -> None:
    result = cli.invoke(oauth, ["revoke-client", "--client-id", "bb_nobody"])
    assert result.exit_code == 1
    assert "No OAuth client 'bb_nobody'" in result.output
