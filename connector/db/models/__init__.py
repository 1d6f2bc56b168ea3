"""Every model, imported so that `Base.metadata` is complete for Alembic."""

from connector.db.models.audit import AuditEntry
from connector.db.models.events import Event
from connector.db.models.hooks import Delivery, DeliveryAttempt, HookSubscription
from connector.db.models.installs import Install, InstallStatus, PendingInstall, WebhookInbox
from connector.db.models.oauth import AuthorizationCode, OAuthClient, OAuthToken
from connector.db.models.plans import RoutePlan
from connector.db.models.projections import (
    Customer,
    Invoice,
    InvoiceLine,
    Job,
    JobPart,
    Payment,
    RateCard,
    Technician,
)
from connector.db.models.rules import RuleSettings
from connector.db.models.runs import ActionAttempt, ActionRun
from connector.db.models.tenants import Role, Tenant, User

__all__ = [
    "ActionAttempt",
    "ActionRun",
    "AuditEntry",
    "AuthorizationCode",
    "Customer",
    "Delivery",
    "DeliveryAttempt",
    "Event",
    "HookSubscription",
    "Install",
    "InstallStatus",
    "Invoice",
    "InvoiceLine",
    "Job",
    "JobPart",
    "OAuthClient",
    "OAuthToken",
    "Payment",
    "PendingInstall",
    "RateCard",
    "Role",
    "RoutePlan",
    "RuleSettings",
    "Technician",
    "Tenant",
    "User",
    "WebhookInbox",
]
