"""Action (fast): take the parts a technician used off the truck, and refill what fell below its minimum."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from actions.context import PurchaseOrderDraft, StockLevel, StockOrder
from actions.errors import InputError, NotFound
from actions.spec import ActionSpec, Weight
from triggers.canonical import CanonicalEvent, EventType

if TYPE_CHECKING:
    from collections.abc import Iterable

    from actions.context import Context
    from triggers.canonical import PartUsed

OrderKind = Literal["purchase_order", "warehouse_pull"]
ReorderStatus = Literal["ok", "ordered", "already_ordered"]
ZERO = Decimal(0)
QUANTITY_STEP = Decimal("0.001")


class UsedPart(BaseModel):
    """A part taken off the truck."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    sku: str = Field(min_length=1, max_length=60, description="Stock-keeping unit, as the truck stocks it.")
    quantity: Decimal = Field(gt=0, le=1_000_000, max_digits=12, decimal_places=3,
                              description="How many were used (fractions for wire or pipe).")
    description: str | None = Field(None, max_length=200, description="What the part is (kept with the stock).")
    unit_cost: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=4,
                                      description="Cost per unit; purchase orders are priced with it.")


class StockThreshold(BaseModel):
    """The reorder thresholds of one SKU on this truck (and, optionally, a fresh count).

    The SKU is sent as `sku` or `threshold_sku`: Zapier wants input keys unique across line items.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, validate_by_name=True,
                              validate_by_alias=True)

    sku: str = Field(min_length=1, max_length=60, alias="threshold_sku", title="SKU",
                     description="Stock-keeping unit the thresholds are for.")
    min: Decimal = Field(ge=0, le=1_000_000, max_digits=12, decimal_places=3,
                         description="Reorder when the truck holds fewer than this.")
    max: Decimal = Field(ge=0, le=1_000_000, max_digits=12, decimal_places=3,
                         description="Refill the truck up to this many.")
    on_hand: Decimal | None = Field(None, ge=0, le=1_000_000, max_digits=12, decimal_places=3,
                                    description="Counted on the truck now (a cycle count): replaces the recorded "
                                    "count before the parts used are taken off.")

    @field_validator("max")
    @classmethod
    def _max_not_below_min(cls, value: Decimal, info: ValidationInfo) -> Decimal:
        low = info.data.get("min")
        if low is not None and value < low:
            raise ValueError(f"max must be at least min ({low})")
        return value


class ReorderStockInput(BaseModel):
    """The truck, the parts used on it, and how to refill it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    technician_id: str = Field(min_length=1, max_length=64,
                               description="Backbone id of the technician whose truck the parts came off.")
    parts: list[UsedPart] = Field(default_factory=list, max_length=200, description="Parts used, by SKU.")
    job_id: str | None = Field(None, min_length=1, max_length=64,
                               description="A job whose recorded parts were used (taken off once, however often "
                               "the job is sent).")
    mode: OrderKind | None = Field(None, description="purchase_order (to your accounting system) or warehouse_pull "
                                   "(recorded for the warehouse). Default: purchase_order when an accounting "
                                   "system is connected, else warehouse_pull.")
    vendor: str | None = Field(None, min_length=1, max_length=100,
                               description="Vendor of purchase orders (QuickBooks: the vendor's name or id; "
                               "default: the item's preferred vendor).")
    thresholds: list[StockThreshold] = Field(default_factory=list, max_length=500,
                                             description="Set min/max (and a count) per SKU for this truck "
                                             "before the parts are taken off.")

    @field_validator("thresholds")
    @classmethod
    def _one_threshold_per_sku(cls, value: list[StockThreshold]) -> list[StockThreshold]:
        seen: set[str] = set()
        for item in value:
            if item.sku in seen:
                raise ValueError(f"SKU {item.sku} is listed twice")
            seen.add(item.sku)
        return value


class StockOrderOutput(BaseModel):
    """A purchase order or warehouse pull refilling one SKU on the truck."""

    order_id: str = Field(description="Backbone id of the order.")
    kind: str = Field(description="purchase_order or warehouse_pull.")
    quantity: Decimal = Field(description="How many were ordered (back up to max).")
    status: str = Field(description="open, received or cancelled.")
    accounting_system: str | None = Field(description="Where the purchase order was created (quickbooks, sandbox).")
    accounting_id: str | None = Field(description="The purchase order's id there.")
    number: str | None = Field(description="The purchase order's number there.")
    vendor: str | None = Field(description="The vendor asked for.")
    created_at: datetime = Field(description="When it was ordered (UTC).")


class StockLineOutput(BaseModel):
    """One SKU on the truck after the call."""

    sku: str = Field(description="Stock-keeping unit.")
    description: str | None = Field(description="What the part is.")
    used: Decimal = Field(description="Taken off the truck by this call.")
    on_hand_before: Decimal = Field(description="The recorded count before this call.")
    on_hand: Decimal = Field(description="The recorded count now (never below zero).")
    min: Decimal = Field(description="Reorder threshold.")
    max: Decimal = Field(description="Refill level.")
    went_negative: bool = Field(description="More were used than the truck was recorded to hold: the count "
                                "was set to zero. Recount the truck.")
    shortfall: Decimal = Field(description="How many more were used than recorded (0 when none).")
    below_min: bool = Field(description="Whether the truck holds fewer than min.")
    reorder_status: ReorderStatus = Field(description="ok, ordered (by this call) or already_ordered (an open "
                                          "order exists; none is added).")
    order: StockOrderOutput | None = Field(description="The open order refilling it, if any.")


class ReorderStockOutput(BaseModel):
    """The truck's stock after the call, and the orders placed."""

    technician_id: str = Field(description="The technician (truck).")
    technician_name: str = Field(description="Their name.")
    job_id: str | None = Field(description="The job whose parts were used, if given.")
    job_parts_taken: bool | None = Field(description="False when the job's parts had already come off a truck "
                                         "(not taken twice); empty without a job.")
    mode: str = Field(description="purchase_order or warehouse_pull.")
    lines: list[StockLineOutput] = Field(description="Each SKU changed by the call or below its minimum.")
    orders_created: int = Field(description="Orders placed by this call.")
    ordered_skus: list[str] = Field(description="SKUs ordered by this call.")
    already_ordered_skus: list[str] = Field(description="SKUs below min that already had an open order.")
    negative_skus: list[str] = Field(description="SKUs whose count would have gone below zero (recount them).")
    checked_at: datetime = Field(description="When the stock was updated (UTC).")


# --- the arithmetic --------------------------------------------------------------------------------


def quantity(value: Decimal) -> Decimal:
    """A quantity as shown: three decimals at most, no trailing zeros ("2", "2.5")."""
    exact = value.quantize(QUANTITY_STEP)
    return exact.quantize(Decimal(1)) if exact == exact.to_integral_value() else exact.normalize()


def take(level: StockLevel, used: Decimal) -> tuple[StockLevel, Decimal]:
    """Takes `used` off the truck; a count never goes below zero.

    Args:
        level: The SKU on the truck.
        used: How many were used.

    Returns:
        The new level, and the shortfall: how many more were used than recorded (0 when none).
    """
    left = level.on_hand - used
    if left < 0:
        return replace(level, on_hand=ZERO), -left
    return replace(level, on_hand=left), ZERO


def is_below_min(level: StockLevel) -> bool:
    """Whether the truck holds fewer than the SKU's minimum."""
    return level.on_hand < level.min_quantity


def refill_quantity(level: StockLevel) -> Decimal:
    """How many to order to bring the truck back to max (0 when it is at or above max)."""
    return max(ZERO, level.max_quantity - level.on_hand)


def order_request_id(idempotency_key: str, technician_id: str, sku: str) -> str:
    """The accounting request id of a truck+SKU order of one run: a replay finds the same order."""
    digest = hashlib.sha256(f"{idempotency_key}\n{technician_id}\n{sku}".encode()).hexdigest()
    return f"stock-{digest[:40]}"


@dataclass
class _Change:
    """What the call did to one SKU."""

    before: StockLevel | None
    level: StockLevel
    used: Decimal = ZERO
    shortfall: Decimal = ZERO


@dataclass(frozen=True)
class _Use:
    quantity: Decimal
    description: str | None
    unit_cost: Decimal | None


def _uses(parts: Iterable[tuple[str, Decimal, str | None, Decimal | None]]) -> dict[str, _Use]:
    """Parts used, summed by SKU (the last description and cost given win)."""
    uses: dict[str, _Use] = {}
    for sku, amount, description, unit_cost in parts:
        earlier = uses.get(sku)
        uses[sku] = _Use(amount + (earlier.quantity if earlier else ZERO),
                         description or (earlier.description if earlier else None),
                         unit_cost if unit_cost is not None else (earlier.unit_cost if earlier else None))
    return uses


def plan_changes(technician_id: str, levels: dict[str, StockLevel], thresholds: list[StockThreshold],
                 uses: dict[str, _Use]) -> dict[str, _Change]:
    """Applies the thresholds (and counts), then the parts used, to the truck's levels.

    Args:
        technician_id: The truck.
        levels: The truck's stored levels by SKU.
        thresholds: New min/max (and counts) by SKU.
        uses: Parts used by SKU.

    Returns:
        The changed SKUs, each with its level before and after.
    """
    changes: dict[str, _Change] = {}

    def change(sku: str) -> _Change:
        if sku not in changes:
            before = levels.get(sku)
            start = before or StockLevel(technician_id=technician_id, sku=sku, on_hand=ZERO, min_quantity=ZERO,
                                         max_quantity=ZERO)
            changes[sku] = _Change(before=before, level=start)
        return changes[sku]

    for threshold in thresholds:
        item = change(threshold.sku)
        on_hand = item.level.on_hand if threshold.on_hand is None else threshold.on_hand
        item.level = replace(item.level, min_quantity=threshold.min, max_quantity=threshold.max, on_hand=on_hand)
    for sku, use in uses.items():
        item = change(sku)
        item.level, item.shortfall = take(item.level, use.quantity)
        item.used = use.quantity
        item.level = replace(item.level, description=use.description or item.level.description,
                             unit_cost=use.unit_cost if use.unit_cost is not None else item.level.unit_cost)
    return changes


# --- the run ---------------------------------------------------------------------------------------


def _job_parts(ctx: Context, data: ReorderStockInput) -> tuple[bool | None, list[PartUsed]]:
    """Whether the job's parts come off the truck now (None: no job given), and those parts."""
    if data.job_id is None:
        return None, []
    job = ctx.store.get_job(data.job_id)
    if job is None:
        raise NotFound("job_id", f"No job with id {data.job_id!r} in this account.")
    if ctx.stock.claim_job(job.job_id, data.technician_id, ctx.run_id) is not None:
        return False, []  # an earlier call took them off a truck already
    return True, list(job.parts)


def _mode(ctx: Context, data: ReorderStockInput) -> OrderKind:
    default: OrderKind = "purchase_order" if ctx.stock.default_order_kind() == "purchase_order" else "warehouse_pull"
    if data.mode == "purchase_order" and default != "purchase_order":
        raise InputError("mode", "No accounting system is connected to take purchase orders: connect QuickBooks, "
                         "or use warehouse_pull.")
    return data.mode or default


@dataclass(frozen=True)
class _Order:
    """How this run orders: the truck, the kind and the vendor."""

    technician_id: str
    technician_name: str
    kind: OrderKind
    vendor: str | None


def _place(ctx: Context, how: _Order, level: StockLevel) -> tuple[StockOrder, bool]:
    """Orders the refill of one SKU (the request id makes a replay find the same purchase order).

    Returns:
        The truck+SKU's open order, and whether this call placed it.
    """
    request_id = order_request_id(ctx.idempotency_key, how.technician_id, level.sku)
    amount = refill_quantity(level)
    receipt = None
    if how.kind == "purchase_order":
        receipt = ctx.accounting.create_purchase_order(request_id, PurchaseOrderDraft(
            technician_id=how.technician_id, technician_name=how.technician_name, sku=level.sku,
            description=level.description, quantity=amount, unit_cost=level.unit_cost, vendor=how.vendor))
    order = StockOrder(
        id=hashlib.sha256(request_id.encode()).hexdigest()[:32], technician_id=how.technician_id, sku=level.sku,
        kind=how.kind, quantity=amount, status="open", request_id=request_id, created_at=ctx.clock().astimezone(UTC),
        system=receipt.system if receipt else None, remote_id=receipt.remote_id if receipt else None,
        remote_number=receipt.doc_number if receipt else None,
        vendor=how.vendor if how.kind == "purchase_order" else None,
    )
    stored = ctx.stock.add_order(order, ctx.run_id)
    if stored is None:  # a concurrent run ordered it first
        return ctx.stock.open_orders(how.technician_id).get(level.sku, order), False
    return stored, True


def _order_output(order: StockOrder | None) -> StockOrderOutput | None:
    if order is None:
        return None
    return StockOrderOutput(order_id=order.id, kind=order.kind, quantity=quantity(order.quantity),
                            status=order.status, accounting_system=order.system, accounting_id=order.remote_id,
                            number=order.remote_number, vendor=order.vendor, created_at=order.created_at)


def _line(level: StockLevel, change: _Change | None, status: ReorderStatus,
          order: StockOrder | None) -> StockLineOutput:
    before = change.before.on_hand if change and change.before else (ZERO if change else level.on_hand)
    shortfall = change.shortfall if change else ZERO
    return StockLineOutput(
        sku=level.sku, description=level.description, used=quantity(change.used if change else ZERO),
        on_hand_before=quantity(before), on_hand=quantity(level.on_hand), min=quantity(level.min_quantity),
        max=quantity(level.max_quantity), went_negative=shortfall > 0, shortfall=quantity(shortfall),
        below_min=is_below_min(level), reorder_status=status, order=_order_output(order),
    )


def _emit(ctx: Context, how: _Order, line: StockLineOutput, level: StockLevel, *, changed: bool,
          crossed: bool, job_id: str | None) -> None:
    now = ctx.clock().astimezone(UTC)
    base = {"technician_id": how.technician_id, "technician_name": how.technician_name, "job_id": job_id,
            "run_id": ctx.run_id, **line.model_dump(mode="json", exclude={"order", "reorder_status", "below_min"})}
    if changed:
        ctx.events.emit(CanonicalEvent(
            event_id=f"stock.changed:{how.technician_id}:{level.sku}:{level.version}", type=EventType.STOCK_CHANGED,
            occurred_at=now, source="backbone", source_id=level.sku, subject_id=how.technician_id,
            data=base | {"version": level.version}))
    if crossed:
        order = line.order
        ctx.events.emit(CanonicalEvent(
            # Once per crossing: the version that went below min names it (a replay reuses it).
            event_id=f"stock.below_threshold:{how.technician_id}:{level.sku}:{level.version}",
            type=EventType.STOCK_BELOW_THRESHOLD, occurred_at=now, source="backbone", source_id=level.sku,
            subject_id=how.technician_id,
            data=base | {"reorder_status": line.reorder_status, "order_id": order.order_id if order else None,
                         "order_kind": order.kind if order else None,
                         "order_quantity": str(order.quantity) if order else None,
                         "order_number": order.number if order else None,
                         "accounting_system": order.accounting_system if order else None,
                         "vendor": order.vendor if order else None}))


def run(ctx: Context, data: ReorderStockInput) -> ReorderStockOutput:
    """Takes the parts off the truck, then orders every SKU now below min that has no open order.

    Args:
        ctx: The call's context.
        data: The validated input.

    Returns:
        The truck's changed and below-min SKUs, and the orders placed.

    Raises:
        NotFound: No such technician or job in this account.
        InputError: A purchase order was asked for but no accounting system is connected.
        UpstreamUnavailable: The accounting system is down; nothing is kept and the run can be replayed.
    """
    name = ctx.stock.lock_truck(data.technician_id)
    if name is None:
        raise NotFound("technician_id", f"No technician with id {data.technician_id!r} in this account.")
    how = _Order(data.technician_id, name, _mode(ctx, data), data.vendor)
    job_parts_taken, job_parts = _job_parts(ctx, data)
    used = [(p.sku, p.quantity, p.description, p.unit_cost) for p in data.parts]
    used += [(p.sku, p.quantity, p.description, p.unit_cost) for p in job_parts]
    stored = ctx.stock.levels(data.technician_id)
    changes = plan_changes(data.technician_id, stored, data.thresholds, _uses(used))
    for sku, change in changes.items():
        stored[sku] = change.level = ctx.stock.save_level(change.level)
    lines, created = _settle(ctx, how, stored, changes, data.job_id)
    return ReorderStockOutput(
        technician_id=data.technician_id, technician_name=name, job_id=data.job_id, job_parts_taken=job_parts_taken,
        mode=how.kind, lines=lines, orders_created=len(created), ordered_skus=created,
        already_ordered_skus=[ln.sku for ln in lines if ln.reorder_status == "already_ordered"],
        negative_skus=[ln.sku for ln in lines if ln.went_negative], checked_at=ctx.clock().astimezone(UTC),
    )


def _settle(ctx: Context, how: _Order, stored: dict[str, StockLevel], changes: dict[str, _Change],
            job_id: str | None) -> tuple[list[StockLineOutput], list[str]]:
    """Orders every SKU below min without an open order, reports each changed or below-min SKU, emits events."""
    open_orders = ctx.stock.open_orders(how.technician_id)
    lines: list[StockLineOutput] = []
    created: list[str] = []
    for sku in sorted(set(changes) | {s for s, level in stored.items() if is_below_min(level)}):
        level, change = stored[sku], changes.get(sku)
        status: ReorderStatus = "ok"
        order = open_orders.get(sku)
        if is_below_min(level):
            placed = False
            if order is None:
                order, placed = _place(ctx, how, level)
            status = "ordered" if placed else "already_ordered"
            created += [sku] if placed else []
        line = _line(level, change, status, order)
        lines.append(line)
        was_below = change is not None and change.before is not None and is_below_min(change.before)
        crossed = change is not None and line.below_min and not was_below
        _emit(ctx, how, line, level, changed=change is not None, crossed=crossed, job_id=job_id)
    return lines, created


SAMPLE = ReorderStockOutput(
    technician_id="3f2e1d0c9b8a79685746352413021f0e",
    technician_name="Marcus Reyes",
    job_id="0d3c5e7f9a1b4c6d8e0f2a4b6c8d0e1f",
    job_parts_taken=True,
    mode="purchase_order",
    lines=[
        StockLineOutput(
            sku="CAP-45", description="Run capacitor 45/5 uF", used=Decimal(1), on_hand_before=Decimal(0),
            on_hand=Decimal(0), min=Decimal(0), max=Decimal(0), went_negative=True, shortfall=Decimal(1),
            below_min=False, reorder_status="ok", order=None,
        ),
        StockLineOutput(
            sku="FS-100", description="Flame sensor", used=Decimal(2), on_hand_before=Decimal(3),
            on_hand=Decimal(1), min=Decimal(2), max=Decimal(6), went_negative=False, shortfall=Decimal(0),
            below_min=True, reorder_status="ordered",
            order=StockOrderOutput(
                order_id="9a8b7c6d5e4f30211203f4e5d6c7b8a9", kind="purchase_order", quantity=Decimal(5),
                status="open", accounting_system="quickbooks", accounting_id="1187", number="1187",
                vendor="Ferguson HVAC", created_at=datetime(2026, 11, 24, 16, 50, tzinfo=UTC)),
        ),
    ],
    orders_created=1,
    ordered_skus=["FS-100"],
    already_ordered_skus=[],
    negative_skus=["CAP-45"],
    checked_at=datetime(2026, 11, 24, 16, 50, tzinfo=UTC),
)

ACTION = ActionSpec(
    key="reorder_stock",
    noun="Stock Reorder",
    label="Reorder Truck Stock",
    help_text="Takes the parts a technician used off their truck's stock and orders each part now below its "
    "minimum back up to its maximum (purchase order or warehouse pull).",
    input=ReorderStockInput,
    output=ReorderStockOutput,
    sample=SAMPLE,
    weight=Weight.FAST,
    run=run,
)
