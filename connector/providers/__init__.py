"""FSM and accounting provider adapters, by name (an explicit list, no scanning)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from connector.providers.sandbox import SandboxAdapter

if TYPE_CHECKING:
    from connector.providers.base import ProviderAdapter

PROVIDERS: dict[str, ProviderAdapter] = {adapter.name: adapter for adapter in (SandboxAdapter(),)}
