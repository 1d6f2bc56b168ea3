"""FSM and accounting provider adapters, by name (an explicit list, no scanning)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from connector.providers.housecallpro import HousecallProAdapter
from connector.providers.jobber import JobberAdapter
from connector.providers.quickbooks import QuickBooksAdapter
from connector.providers.sandbox import SandboxAdapter
from connector.providers.servicetitan import ServiceTitanAdapter

if TYPE_CHECKING:
    from connector.providers.base import ProviderAdapter

PROVIDERS: dict[str, ProviderAdapter] = {
    adapter.name: adapter
    for adapter in (SandboxAdapter(), JobberAdapter(), QuickBooksAdapter(), ServiceTitanAdapter(),
                    HousecallProAdapter())
}
