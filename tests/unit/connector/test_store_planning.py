"""The planner sees what is on each truck (the stock reorder_stock keeps)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from connector.db.models import Technician, TruckStockLevel
from connector.db.store import SqlStore

if TYPE_CHECKING:
    from connector.runtime import Runtime
    from tests.conftest import TenantInfo


def test_planning_technicians_carry_their_truck_stock(runtime: Runtime, tenant: TenantInfo,
                                                      other_tenant: TenantInfo) -> None:
    with runtime.db.session() as session:
        marcus = Technician(tenant_id=tenant.tenant_id, name="Marcus", skills=["hvac"])
        avery = Technician(tenant_id=tenant.tenant_id, name="Avery", skills=["plumbing"])
        stranger = Technician(tenant_id=other_tenant.tenant_id, name="Stranger")
        session.add_all([marcus, avery, stranger])
        session.flush()
        session.add_all([
            TruckStockLevel(tenant_id=tenant.tenant_id, technician_id=marcus.id, sku="FS-100", on_hand=Decimal(3)),
            TruckStockLevel(tenant_id=tenant.tenant_id, technician_id=marcus.id, sku="CAP-45", on_hand=Decimal(0)),
            TruckStockLevel(tenant_id=tenant.tenant_id, technician_id=marcus.id, sku="BLR-9", on_hand=Decimal("2.5")),
            TruckStockLevel(tenant_id=other_tenant.tenant_id, technician_id=stranger.id, sku="FS-100",
                            on_hand=Decimal(9)),
        ])
    with runtime.db.session() as session:
        planned = {t.name: t.truck_stock for t in SqlStore(session, tenant.tenant_id).planning_technicians(None)}
    # Empty bins are left out; part units are whole (a half-used reel counts as what is left whole).
    assert planned == {"Avery": (), "Marcus": (("BLR-9", 2), ("FS-100", 3))}
