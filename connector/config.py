"""Settings: the only reader of the environment."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET_FILE = "secret_key"  # noqa: S105 - a file name, not a secret


class ProviderApp(BaseModel):
    """Backbone's registration with one provider (set with `BACKBONE_<PROVIDER>__<FIELD>`).

    The URLs default to the provider's production endpoints; tests point them at emulators.
    """

    model_config = ConfigDict(frozen=True)

    client_id: str = Field("", description="OAuth client id of Backbone's app.")
    client_secret: str = Field("", description="OAuth client secret (Jobber also signs webhooks with it).")
    webhook_secret: str = Field("", description="Webhook signing key (QuickBooks verifier token, ...).")
    app_key: str = Field("", description="Application key sent with every call (ServiceTitan ST-App-Key).")
    api_url: str = Field("", description="Base URL of the provider's API.")
    authorize_url: str = Field("", description="OAuth authorization endpoint.")
    token_url: str = Field("", description="OAuth token endpoint.")
    revoke_url: str = Field("", description="OAuth revocation endpoint.")
    signature_header: str = Field("", description="Webhook signature header, where the provider leaves it open.")
    signature_encoding: Literal["base64", "hex"] = Field("base64", description="How that signature is encoded.")

    @property
    def configured(self) -> bool:
        """True when Backbone is registered with this provider (installs are possible)."""
        return bool(self.client_id or self.app_key)


# Each provider's defaults live on its own class: an environment variable for one field
# (BACKBONE_JOBBER__CLIENT_ID) keeps the other fields' defaults.
class JobberApp(ProviderApp):
    api_url: str = "https://api.getjobber.com/api/graphql"
    authorize_url: str = "https://api.getjobber.com/api/oauth/authorize"
    token_url: str = "https://api.getjobber.com/api/oauth/token"  # noqa: S105 - a URL, not a secret


class QuickBooksApp(ProviderApp):
    api_url: str = "https://quickbooks.api.intuit.com"
    authorize_url: str = "https://appcenter.intuit.com/connect/oauth2"
    token_url: str = "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"  # noqa: S105 - a URL, not a secret
    revoke_url: str = "https://developer.api.intuit.com/v2/oauth2/tokens/revoke"


class ServiceTitanApp(ProviderApp):
    api_url: str = "https://api.servicetitan.io"
    token_url: str = "https://auth.servicetitan.io/connect/token"  # noqa: S105 - a URL, not a secret
    signature_header: str = "X-ServiceTitan-Signature"


class HousecallProApp(ProviderApp):
    api_url: str = "https://api.housecallpro.com"
    signature_header: str = "Api-Signature"
    signature_encoding: Literal["base64", "hex"] = "hex"

    @property
    def configured(self) -> bool:
        """Housecall Pro needs no app registration: each company brings its own API key."""
        return True


class TwilioSettings(BaseModel):
    """Backbone's Twilio account for customer SMS (`BACKBONE_TWILIO__<FIELD>`); unset: messages are composed."""

    model_config = ConfigDict(frozen=True)

    account_sid: str = Field("", description="Twilio Account SID (AC...).")
    auth_token: str = Field("", description="Twilio Auth Token (HTTP Basic password).")
    from_number: str = Field("", description="Sending number in E.164 (+15125550100).")
    messaging_service_sid: str = Field("", description="Messaging Service SID (MG...); used instead of the number.")
    api_url: str = Field("https://api.twilio.com", description="Base URL of Twilio's REST API.")
    timeout_seconds: float = Field(10.0, gt=0, le=60, description="Per request; a send is never retried after one.")

    @property
    def configured(self) -> bool:
        """True when SMS can be sent through Twilio."""
        return bool(self.account_sid and self.auth_token and (self.from_number or self.messaging_service_sid))


class SmtpSettings(BaseModel):
    """The mail server for customer email (set with `BACKBONE_SMTP__<FIELD>`); no host: messages are composed."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    host: str = Field("", description="SMTP host; empty disables email.")
    port: int = Field(587, ge=1, le=65535, description="SMTP port.")
    username: str = Field("", description="SMTP login (empty: no AUTH).")
    password: str = Field("", description="SMTP password.")
    from_address: str = Field("", validation_alias=AliasChoices("from", "from_address"),
                              description="The From address (BACKBONE_SMTP__FROM).")
    starttls: bool = Field(True, description="Upgrade the connection with STARTTLS before logging in.")
    timeout_seconds: float = Field(10.0, gt=0, le=60, description="Per connection and command.")

    @property
    def configured(self) -> bool:
        """True when email can be sent."""
        return bool(self.host and self.from_address)


class LobSettings(BaseModel):
    """Backbone's Lob account for postcards (set with `BACKBONE_LOB__<FIELD>`); no key: CSV export only.

    Keys starting with `test_` never mail (Lob's test environment).
    """

    model_config = ConfigDict(frozen=True)

    api_key: str = Field("", description="Lob secret API key (test_... or live_...); empty disables sending.")
    api_url: str = Field("https://api.lob.com", description="Base URL of Lob's API (tests point it at an emulator).")
    timeout_seconds: float = Field(10.0, gt=0, le=60, description="Per request.")

    @property
    def configured(self) -> bool:
        """True when postcards can be sent through Lob."""
        return bool(self.api_key)

    @property
    def test_mode(self) -> bool:
        """True for a test key: Lob accepts the pieces and never mails them."""
        return self.api_key.startswith("test_")


class Settings(BaseSettings):
    """Every knob Backbone reads from its environment, typed, with its default.

    Variables are `BACKBONE_<NAME>`, except the conventional `DATABASE_URL` and `REDIS_URL`.
    """

    model_config = SettingsConfigDict(env_prefix="BACKBONE_", env_nested_delimiter="__", extra="ignore", frozen=True)

    env: Literal["development", "production", "test"] = Field(
        "development", description="production refuses to start without an explicit secret key."
    )
    data_dir: Path = Field(
        Path("var"), description="Where the embedded defaults keep the SQLite file and dev secret."
    )
    database_url: str = Field(
        "",
        validation_alias=AliasChoices("DATABASE_URL", "BACKBONE_DATABASE_URL"),
        description="SQLAlchemy URL; empty means a SQLite file in the data dir.",
    )
    redis_url: str = Field(
        "",
        validation_alias=AliasChoices("REDIS_URL", "BACKBONE_REDIS_URL"),
        description="Redis for RQ; empty means the in-process queue.",
    )
    secret_key: str = Field(
        "", description="Signs sessions and CSRF tokens, derives the encryption key for secrets."
    )
    old_secret_keys: str = Field(
        "", description="Comma-separated previous secret keys, still accepted for decryption."
    )
    base_url: str = Field(
        "http://127.0.0.1:8000", description="Public URL of the app (OAuth issuer, links)."
    )
    log_level: str = Field("INFO", description="Python logging level.")
    log_format: Literal["text", "json"] = Field("text", description="json in production.")
    access_token_ttl: int = Field(3600, ge=60, description="OAuth access token lifetime, seconds.")
    refresh_token_ttl: int = Field(
        90 * 24 * 3600, ge=3600, description="OAuth refresh token lifetime, seconds."
    )
    refresh_grace_seconds: int = Field(
        30, ge=0, le=300, description="A rotated refresh token still answers with the new pair."
    )
    auth_code_ttl: int = Field(300, ge=30, le=600, description="Authorization code lifetime.")
    hook_timeout_seconds: float = Field(10.0, gt=0, le=60, description="Per delivery attempt.")
    hook_max_attempts: int = Field(8, ge=1, le=30, description="Delivery attempts before giving up.")
    hook_backoff_base_seconds: float = Field(2.0, gt=0, description="First retry delay ceiling.")
    hook_backoff_cap_seconds: float = Field(3600.0, gt=0, description="Largest retry delay.")
    hooks_allow_private_targets: bool = Field(
        True, description="Allow hook targets on loopback/private networks (turn off in prod)."
    )
    rate_limit: str = Field(
        "600 per minute", description="Per-connection limit on /api/v1 (Flask-Limiter syntax); 429 past it."
    )
    sweep_seconds: int = Field(60, ge=5, description="How often lost queue work is re-enqueued.")
    sandbox_tick_seconds: int = Field(
        30, ge=0, description="How often the sandbox FSM emits demo events (0: never)."
    )
    action_timeout_seconds: int = Field(600, ge=1, description="RQ timeout of a heavy action.")
    action_max_retries: int = Field(3, ge=0, le=10, description="RQ retries of a heavy action.")
    action_retry_delays: str = Field(
        "10,60,300", description="Seconds before each RQ retry of a heavy action (comma-separated)."
    )

    token_refresh_margin_seconds: int = Field(
        900, ge=60, description="Provider access tokens are refreshed this long before they expire."
    )
    refresh_idle_days: int = Field(
        30, ge=1, description="Refresh tokens unused this long are refreshed anyway (QuickBooks: 100-day expiry)."
    )
    token_refresh_seconds: int = Field(300, ge=10, description="How often the token refresher runs.")
    sync_seconds: int = Field(600, ge=10, description="How often each connection runs a catch-up sync.")
    sync_overlap_seconds: int = Field(300, ge=0, description="A catch-up sync looks back this much before its cursor.")
    rules_seconds: int = Field(300, ge=10, description="How often the rule triggers are evaluated.")
    sync_stale_seconds: int = Field(3600, ge=60, description="A connection not synced for this long is shown stale.")
    jobber: JobberApp = Field(JobberApp(), description="Jobber app registration.")
    quickbooks: QuickBooksApp = Field(QuickBooksApp(), description="QuickBooks Online app registration.")
    servicetitan: ServiceTitanApp = Field(ServiceTitanApp(), description="ServiceTitan app registration.")
    housecallpro: HousecallProApp = Field(HousecallProApp(), description="Housecall Pro app registration.")
    twilio: TwilioSettings = Field(TwilioSettings(), description="Twilio account for customer SMS (none: composed).")
    smtp: SmtpSettings = Field(SmtpSettings(), description="Mail server for customer email (none: composed).")
    lob: LobSettings = Field(LobSettings(), description="Lob account for postcards (none: CSV export).")
    postcard_send_seconds: int = Field(
        300, ge=10, description="How often postcard batches due for sending are sent (and lost sends resumed)."
    )

    def provider_app(self, name: str) -> ProviderApp:
        """The registration of a provider by name (an empty one for the sandbox)."""
        app = getattr(self, name, None)
        return app if isinstance(app, ProviderApp) else ProviderApp()

    def retry_delays(self) -> list[int]:
        """The heavy-action retry delays, one per retry (the last one repeats)."""
        return [max(0, int(d)) for d in self.action_retry_delays.split(",") if d.strip()] or [10]

    @model_validator(mode="after")
    def _production_needs_secrets(self) -> Settings:
        if self.env == "production" and len(self.secret_key) < 32:
            raise ValueError(
                "BACKBONE_SECRET_KEY must be set (32+ characters) when BACKBONE_ENV=production"
            )
        return self

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL, the embedded SQLite file when none is configured."""
        if self.database_url:
            url = self.database_url
            # Heroku-style URLs and bare postgresql:// both mean psycopg 3 here.
            if url.startswith("postgres://"):
                url = "postgresql://" + url.removeprefix("postgres://")
            if url.startswith("postgresql://"):
                url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
            return url
        return f"sqlite:///{(self.data_dir / 'backbone.db').resolve()}"

    @property
    def embedded_queue(self) -> bool:
        """True when no Redis is configured: jobs run on the in-process RQ worker."""
        return not self.redis_url

    def effective_secret_key(self) -> str:
        """The secret key; in development one is generated once and kept in the data dir."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / DEV_SECRET_FILE
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key)
        path.chmod(0o600)
        return key

    def previous_secret_keys(self) -> list[str]:
        """Older secret keys still accepted when decrypting stored secrets."""
        return [k.strip() for k in self.old_secret_keys.split(",") if k.strip()]
