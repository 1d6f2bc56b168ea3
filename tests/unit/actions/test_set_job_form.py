"""set_job_form against the fakes: a tenant's form per job type, checked, and the way back to the default."""

from __future__ import annotations

from typing import Any

import pytest

from actions.capture import FieldType
from actions.errors import InputError
from actions.set_job_form import SetJobFormInput, run
from tests.fakes import NOW, make_context

INSTALL = {"job_type": " Install ", "signature_required": True, "fields": [
    {"key": "serial_number", "required": True},
    {"key": "refrigerant_charge_lbs", "label": "Refrigerant charge (lbs)", "type": "number", "required": "true"},
    {"key": "efficiency_tier", "type": "choice", "choices": "standard, high,premium"},
]}


def test_a_form_is_stored_for_the_job_type() -> None:
    ctx, store, _acc, _events = make_context()
    out = run(ctx, SetJobFormInput.model_validate(INSTALL))
    assert (out.job_type, out.source, out.signature_required, out.updated_at) == ("install", "tenant", True, NOW)
    assert [(f.key, f.label, f.type, f.required, f.choices) for f in out.fields] == [
        ("serial_number", "Serial number", FieldType.TEXT, True, []),
        ("refrigerant_charge_lbs", "Refrigerant charge (lbs)", FieldType.NUMBER, True, []),
        ("efficiency_tier", "Efficiency tier", FieldType.CHOICE, False, ["standard", "high", "premium"]),
    ]
    assert store.get_job_form("INSTALL") is not None


def test_use_default_drops_the_tenants_form() -> None:
    ctx, store, _acc, _events = make_context()
    run(ctx, SetJobFormInput.model_validate(INSTALL))
    out = run(ctx, SetJobFormInput.model_validate({"job_type": "install", "use_default": True}))
    assert out.source == "default" and out.updated_at is None
    assert [f.key for f in out.fields if f.required] == ["serial_number"]
    assert store.get_job_form("install") is None
    with pytest.raises(InputError) as caught:
        run(ctx, SetJobFormInput.model_validate(INSTALL | {"use_default": True}))
    assert caught.value.field == "fields"


@pytest.mark.parametrize(("fields", "field"), [
    ([{"key": "Serial Number"}], "fields.0.key"),
    ([{"key": "a"}, {"key": "a"}], "fields.1.key"),
    ([{"key": "tier", "type": "choice"}], "fields.0.choices"),
    ([{"key": "amps", "type": "number", "choices": ["1"]}], "fields.0.choices"),
])
def test_a_malformed_form_is_refused_naming_the_field(fields: list[dict[str, Any]], field: str) -> None:
    ctx, store, _acc, _events = make_context()
    with pytest.raises(InputError) as caught:
        run(ctx, SetJobFormInput.model_validate({"job_type": "repair", "fields": fields}))
    assert caught.value.field == field
    assert store.job_forms == {}
