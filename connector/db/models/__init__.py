"""Every model, imported so that `Base.metadata` is complete for Alembic."""

from connector.db.models.audit import AuditEntry
from connector.db.models.captures import JobCapture, JobForm
from connector.db.models.consent import ConsentEntry
from connector.db.models.contracts import ContractVisit, ServiceContract
from connector.db.models.events import Event
from connector.db.models.hooks import Delivery, DeliveryAttempt, HookSubscription
from connector.db.models.installs import Install, InstallStatus, PendingInstall, WebhookInbox
from connector.db.models.notifications import Notification, NotificationTemplate
from connector.db.models.oauth import AuthorizationCode, OAuthClient, OAuthToken
from connector.db.models.plans import RoutePlan
from connector.db.models.postcards import PostcardBatch, PostcardRecipient
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
from connector.db.models.stock import StockJobUsage, StockOrder, TruckStockLevel
from connector.db.models.tenants import Role, Tenant, User

__all__ = [
    "ActionAttempt",
    "ActionRun",
    "AuditEntry",
    "AuthorizationCode",
    "ConsentEntry",
    "ContractVisit",
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
    "JobCapture",
    "JobForm",
    "JobPart",
    "Notification",
    "NotificationTemplate",
    "OAuthClient",
    "OAuthToken",
    "Payment",
    "PendingInstall",
    "PostcardBatch",
    "PostcardRecipient",
    "RateCard",
    "Role",
    "RoutePlan",
    "RuleSettings",
    "ServiceContract",
    "StockJobUsage",
    "StockOrder",
    "Technician",
    "Tenant",
    "TruckStockLevel",
    "User",
    "WebhookInbox",
]
