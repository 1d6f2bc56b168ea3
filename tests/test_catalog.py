"""Contract tests over every trigger and action in the catalogs (house rule 3)."""

from __future__ import annotations

import pkgutil
import re
from typing import TYPE_CHECKING

import pytest

import actions
import triggers
from actions.catalog import ACTIONS, SEARCH_REGISTRY, SEARCHES
from actions.catalog import REGISTRY as ACTION_REGISTRY
from triggers.catalog import REGISTRY as TRIGGER_REGISTRY
from triggers.catalog import TRIGGERS

if TYPE_CHECKING:
    from pydantic import BaseModel

    from actions.spec import ActionSpec, SearchSpec
    from triggers.spec import TriggerSpec

KEY = re.compile(r"^[a-z][a-z0-9_]*$")
TRIGGER_SUPPORT = {"catalog", "canonical", "spec", "job_item", "invoice_item"}
ACTION_SUPPORT = {"catalog", "context", "errors", "spec", "planning", "plan_models", "consent",
                  "capture", "site_checks"}
ACTION_SUPPORT |= {"kpis", "matching", "pricing"}  # KPI formulas, the searches' matching, the rate card


def _fields(model: type[BaseModel]) -> list[tuple[str, str | None]]:
    return [(name, field.description) for name, field in model.model_fields.items()]


@pytest.mark.parametrize("spec", TRIGGERS, ids=lambda s: s.key)
def test_trigger_contract(spec: TriggerSpec) -> None:
    assert KEY.match(spec.key)
    assert spec.output.model_validate(spec.sample.model_dump(mode="json"))
    assert spec.label and spec.noun
    assert 10 <= len(spec.help_text) <= 200
    assert all(description for _name, description in _fields(spec.output)), "every output field has a description"
    assert "id" in spec.output.model_fields
    assert spec.event_types


@pytest.mark.parametrize("spec", ACTIONS, ids=lambda s: s.key)
def test_action_contract(spec: ActionSpec) -> None:
    assert KEY.match(spec.key)
    assert spec.output.model_validate(spec.sample.model_dump(mode="json"))
    assert spec.label and spec.noun
    assert 10 <= len(spec.help_text) <= 200
    for model in (spec.input, spec.output):
        assert all(description for _name, description in _fields(model)), f"{model.__name__}: describe every field"
    assert spec.input.__name__.endswith("Input") and spec.output.__name__.endswith("Output")


def test_keys_are_unique_and_match_module_names() -> None:
    assert len(TRIGGER_REGISTRY) == len(TRIGGERS)
    assert len(ACTION_REGISTRY) == len(ACTIONS)
    trigger_modules = {m.name for m in pkgutil.iter_modules(triggers.__path__)} - TRIGGER_SUPPORT
    action_modules = {m.name for m in pkgutil.iter_modules(actions.__path__)} - ACTION_SUPPORT
    assert trigger_modules == set(TRIGGER_REGISTRY), "every trigger module is registered, and only those"
    assert action_modules == set(ACTION_REGISTRY) | set(SEARCH_REGISTRY), (
        "every action and search module is registered, and only those")
    assert not set(ACTION_REGISTRY) & set(SEARCH_REGISTRY), "a key is an action or a search, not both"


@pytest.mark.parametrize("spec", SEARCHES, ids=lambda s: s.key)
def test_search_contract(spec: SearchSpec) -> None:
    assert KEY.match(spec.key)
    assert spec.output.model_validate(spec.sample.model_dump(mode="json"))
    assert spec.label and spec.noun
    assert 10 <= len(spec.help_text) <= 200
    for model in (spec.input, spec.output):
        assert all(description for _name, description in _fields(model)), f"{model.__name__}: describe every field"
    assert spec.input.__name__.endswith("Input") and spec.output.__name__.endswith("Output")
    assert "id" in spec.output.model_fields
    assert not [name for name, field in spec.input.model_fields.items() if field.is_required()], (
        "search criteria are optional one by one")
