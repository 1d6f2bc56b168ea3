"""Tests for the generated Zapier app: shape per catalog entry, determinism, Zapier's own schema."""

from __future__ import annotations

import enum
import json
import os
import subprocess
from datetime import date
from typing import TYPE_CHECKING, Any

import pytest
from jsonschema import Draft4Validator
from pydantic import BaseModel, Field
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from actions.catalog import ACTIONS, SEARCHES
from actions.spec import ActionSpec, SearchSpec, Weight
from manifests import build, zapier, zapier_js
from manifests.fields import input_fields, output_fields
from manifests.zapier_fields import UnsupportedFieldError, body_shape, input_field, output_field
from tests.client import zapier_npm
from triggers.catalog import TRIGGERS

if TYPE_CHECKING:
    from pathlib import Path

    from triggers.spec import TriggerSpec

EXPORT_JS = zapier_npm.ROOT / "tests" / "client" / "zapier" / "export.js"


@pytest.fixture(scope="module")
def definition() -> dict[str, Any]:
    return zapier.definition()


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """What Zapier's tools see of the freshly generated app (written to a temporary folder)."""
    modules = zapier_npm.install(zapier.PLATFORM_VERSION)
    base = tmp_path_factory.mktemp("zapier-app")
    for path, content in build.generate().items():
        if path.startswith("zapier/"):
            target = base / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content)
    out = base / "export.json"
    env = {**os.environ, "NODE_ENV": "test", "NODE_PATH": str(modules)}
    done = subprocess.run([zapier_npm.node(), str(EXPORT_JS), str(base / "zapier"), str(out)], env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    result: dict[str, Any] = json.loads(out.read_text())
    result["schema"] = zapier_npm.exported_schema(modules)
    return result


def validator(exported_schema: dict[str, Any]) -> Draft4Validator:
    """Draft 4 validator of AppSchema, resolving Zapier's `{"$ref": "/XSchema"}` by schema id."""
    schemas = exported_schema["schemas"]
    registry: Registry[Any] = Registry().with_resources(
        (schema["id"], Resource.from_contents(schema, default_specification=DRAFT4)) for schema in schemas.values()
    )
    return Draft4Validator(schemas["AppSchema"], registry=registry)


def keys(fields: list[dict[str, Any]]) -> list[str]:
    return [field["key"] for field in fields]


def functions(value: Any) -> list[dict[str, Any]]:
    """Every {source, args} object in the definition (samples are data, not functions)."""
    if isinstance(value, list):
        return [f for item in value for f in functions(item)]
    if isinstance(value, dict):
        if "source" in value:
            return [value]
        return [f for key, item in value.items() if key != "sample" for f in functions(item)]
    return []


# --- the files ----------------------------------------------------------------------------------

def test_generation_is_deterministic() -> None:
    assert build.generate() == build.generate()
    assert set(zapier.files()) == {"package.json", "index.js", "definition.json"}


def test_committed_files_are_what_the_catalogs_generate() -> None:
    stale = [line for line in build.differences(build.generate()) if "manifests/zapier/" in line]
    assert stale == [], "run `python -m manifests.build`"


def test_package_pins_core_and_the_versions_agree(definition: dict[str, Any]) -> None:
    package = zapier.package_json()
    assert package["dependencies"] == {"zapier-platform-core": zapier.PLATFORM_VERSION}
    assert definition["platformVersion"] == zapier.PLATFORM_VERSION
    assert definition["version"] == package["version"] == zapier.APP_VERSION
    assert "require('./definition.json')" in zapier.INDEX_JS


def test_authentication_is_oauth2_with_pkce_refresh_and_a_base_url(definition: dict[str, Any]) -> None:
    auth = definition["authentication"]
    config = auth["oauth2Config"]
    assert auth["type"] == "oauth2" and keys(auth["fields"]) == ["base_url"]
    assert config["autoRefresh"] is True and config["enablePkce"] is True
    assert config["scope"] == "profile triggers hooks actions"
    assert "bundle.inputData.code_verifier" in config["getAccessToken"]["source"]
    assert "base_url" in config["getAccessToken"]["source"]  # kept in authData for later calls
    assert "refresh_token" in config["refreshAccessToken"]["source"]
    assert "/api/v1/me" in auth["test"]["source"] and "label" in auth["connectionLabel"]["source"]


def test_every_function_is_a_function_source(definition: dict[str, Any]) -> None:
    found = functions(definition)
    # auth 5, middleware 2, per trigger 5, per action 1+, per search 1
    assert len(found) >= 7 + 5 * len(TRIGGERS) + len(ACTIONS) + len(SEARCHES)
    for function in found:
        assert set(function) == {"source", "args"} and "return" in function["source"]


# --- one entry per catalog item -----------------------------------------------------------------

@pytest.mark.parametrize("spec", TRIGGERS, ids=lambda s: s.key)
def test_every_trigger_is_a_rest_hook_and_a_polling_trigger(definition: dict[str, Any], spec: TriggerSpec) -> None:
    sample = spec.sample.model_dump(mode="json")
    fields = [f.key for f in output_fields(spec.output)]
    hook = definition["triggers"][spec.key]
    polling = definition["triggers"][f"{spec.key}_polling"]
    assert hook["operation"]["type"] == "hook" and polling["operation"]["type"] == "polling"
    assert {"perform", "performList", "performSubscribe", "performUnsubscribe"} <= set(hook["operation"])
    assert hook["display"] == {"label": spec.label, "description": spec.help_text}
    assert polling["display"]["label"] == f"{spec.label} (Polling)"
    assert polling["display"]["description"].startswith(spec.help_text)
    for trigger in (hook, polling):
        assert trigger["noun"] == spec.noun
        assert trigger["operation"]["sample"] == sample and "id" in sample
        assert keys(trigger["operation"]["outputFields"]) == fields
    assert f'"/api/v1/triggers/{spec.key}"' in polling["operation"]["perform"]["source"]
    assert f'"{spec.key}"' in hook["operation"]["performSubscribe"]["source"]


def test_triggers_are_exactly_the_catalog_twice(definition: dict[str, Any]) -> None:
    expected = {spec.key for spec in TRIGGERS} | {f"{spec.key}_polling" for spec in TRIGGERS}
    assert set(definition["triggers"]) == expected


@pytest.mark.parametrize("spec", ACTIONS, ids=lambda s: s.key)
def test_every_action_is_a_create_with_its_input_model(definition: dict[str, Any], spec: ActionSpec) -> None:
    create = definition["creates"][spec.key]
    operation = create["operation"]
    assert create["display"] == {"label": spec.label, "description": spec.help_text}
    assert operation["sample"] == spec.sample.model_dump(mode="json")
    assert keys(operation["outputFields"]) == [f.key for f in output_fields(spec.output)]
    inputs = input_fields(spec.input)
    assert keys(operation["inputFields"]) == [f.key for f in inputs]
    for field, neutral in zip(operation["inputFields"], inputs, strict=True):
        assert field["required"] is neutral.required
        # Zapier allows no helpText beside children: a group of line items shows its label only.
        assert field.get("helpText") == (None if neutral.children else neutral.help_text or None)
        assert [c["value"] for c in field.get("choices", [])] == list(neutral.choices)
    perform = operation["perform"]["source"]
    assert f'"/api/v1/actions/{spec.key}"' in perform
    if spec.weight == Weight.HEAVY:
        assert "'X-Callback-Url': z.generateCallbackUrl()" in perform
        assert "bundle.cleanedRequest" in operation["performResume"]["source"]
    else:
        assert "performResume" not in operation and "generateCallbackUrl" not in perform


def test_creates_are_exactly_the_catalog(definition: dict[str, Any]) -> None:
    assert set(definition["creates"]) == {spec.key for spec in ACTIONS}


@pytest.mark.parametrize("spec", SEARCHES, ids=lambda s: s.key)
def test_every_search_is_a_search_with_its_input_model(definition: dict[str, Any], spec: SearchSpec) -> None:
    found = definition["searches"][spec.key]
    operation = found["operation"]
    assert found["noun"] == spec.noun
    assert found["display"] == {"label": spec.label, "description": spec.help_text}
    assert operation["sample"] == spec.sample.model_dump(mode="json")
    assert keys(operation["outputFields"]) == [f.key for f in output_fields(spec.output)]
    inputs = input_fields(spec.input)
    assert keys(operation["inputFields"]) == [f.key for f in inputs]
    for field, neutral in zip(operation["inputFields"], inputs, strict=True):
        assert field["required"] is neutral.required is False  # every criterion is optional on its own
        assert field.get("helpText") == (neutral.help_text or None)
        assert [c["value"] for c in field.get("choices", [])] == list(neutral.choices)
    perform = operation["perform"]["source"]
    assert f'"/api/v1/searches/{spec.key}"' in perform and "method: 'POST'" in perform
    assert "Array.isArray(response.data)" in perform and "performResume" not in operation


def test_searches_are_exactly_the_search_catalog(definition: dict[str, Any]) -> None:
    assert set(definition["searches"]) == {spec.key for spec in SEARCHES} == {
        "find_job", "find_customer", "find_technician", "get_kpis"}
    assert not set(definition["searches"]) & set(definition["creates"])


def test_search_perform_sends_the_criteria_and_returns_the_list(definition: dict[str, Any]) -> None:
    """Runs a search's perform in Node with a stand-in `z.request`: dates cut to days, blanks left out."""
    perform = definition["searches"]["find_job"]["operation"]["perform"]
    inputs = {"customer_name": "Dana", "status": "", "scheduled_day": "2026-11-24T00:00:00-06:00", "limit": "5"}
    script = (
        f"const perform = new (Object.getPrototypeOf(async function () {{}}).constructor)("
        f"...{json.dumps(perform['args'])}, {json.dumps(perform['source'])});\n"
        "const sent = [];\n"
        "const z = {request: async (req) => {\n"
        "  sent.push(req); return {data: sent.length === 1 ? [{id: 'j1'}] : {}}; }};\n"
        f"const bundle = {{inputData: {json.dumps(inputs)}}};\n"
        "(async () => { const first = await perform(z, bundle); const second = await perform(z, bundle);\n"
        "  process.stdout.write(JSON.stringify({sent, first, second})); })();"
    )
    done = subprocess.run([zapier_npm.node(), "-e", script], capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["sent"][0] == {"url": "/api/v1/searches/find_job", "method": "POST",
                                 "json": {"customer_name": "Dana", "scheduled_day": "2026-11-24", "limit": "5"}}
    assert result["first"] == [{"id": "j1"}] and result["second"] == []


def test_error_middleware_names_fields_by_label(definition: dict[str, Any]) -> None:
    source = definition["afterResponse"][0]["source"]
    assert '"job_id": "Job ID"' in source and "z.errors.Error" in source
    assert "!path.startsWith('/oauth/')" in definition["beforeRequest"][0]["source"]  # no bearer token there


REQUIRED = {"field": "job_id", "message": "This field is required."}
TOO_BIG = {"field": "labour_hours", "message": "Input should be less than or equal to 24"}
NOT_FOUND = "No job with id 'x' in this account."
DESCRIBE_CASES = [
    ({"message": "Invalid input: job_id: This field is required; labour_hours: Input should be less than or equal "
                 "to 24.", "fields": [REQUIRED, TOO_BIG]},
     "Invalid input: Job ID (job_id): This field is required; Labour Hours (labour_hours): Input should be less "
     "than or equal to 24."),
    ({"message": "Invalid input: job_id.", "fields": [REQUIRED]},
     "Invalid input: job_id. [Job ID (job_id): This field is required]"),
    ({"message": NOT_FOUND, "fields": [{"field": "job_id", "message": NOT_FOUND}]}, f"{NOT_FOUND} [Job ID (job_id)]"),
    ({"message": "Accounting is down.", "fields": []}, "Accounting is down."),
]


def test_error_messages_name_fields_as_the_zap_editor_shows_them(definition: dict[str, Any]) -> None:
    source = definition["afterResponse"][0]["source"]
    body = source[source.index("const LABELS"):source.index("if (error && typeof error === 'object')")]
    script = (f"const describe = new Function({json.dumps(body + 'return describe;')})();\n"
              f"process.stdout.write(JSON.stringify({json.dumps([c for c, _ in DESCRIBE_CASES])}.map(describe)));")
    done = subprocess.run([zapier_npm.node(), "-e", script], capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [expected for _, expected in DESCRIBE_CASES]


# --- Zapier's own schema and validator ----------------------------------------------------------

def test_app_validates_against_zapiers_exported_schema(exported: dict[str, Any]) -> None:
    schema = exported["schema"]
    assert schema["version"] == zapier.PLATFORM_VERSION == exported["schemaVersion"]
    errors = [f"{list(e.absolute_path)}: {e.message[:300]}" for e in validator(schema).iter_errors(exported["app"])]
    assert errors == []
    assert exported["app"] == json.loads(json.dumps(zapier.definition()))  # index.js exports the JSON as is


def test_zapiers_validator_and_compiler_accept_the_app(exported: dict[str, Any]) -> None:
    assert exported["schemaErrors"] == []
    assert exported["validateErrors"] == []
    assert exported["compileErrors"] == []


def test_the_schema_check_is_not_vacuous(exported: dict[str, Any]) -> None:
    """Tests that the validator refuses a label that is too short and a body that never returns."""
    app = json.loads(json.dumps(exported["app"]))
    trigger = next(iter(app["triggers"].values()))
    trigger["display"]["label"] = "x"
    trigger["operation"]["perform"] = {"source": "bundle.cleanedRequest"}
    paths = {tuple(e.absolute_path)[:4] for e in validator(exported["schema"]).iter_errors(app)}
    assert ("triggers", trigger["key"], "display", "label") in paths
    assert ("triggers", trigger["key"], "operation") in paths


# --- field mapping ------------------------------------------------------------------------------

class Colour(enum.StrEnum):
    RED = "red"
    DARK_BLUE = "dark_blue"


class Line(BaseModel):
    sku: str = Field(description="Part number.")
    on: date | None = Field(None, description="Day used.")


class Deep(BaseModel):
    lines: list[Line] = Field(description="Nested lines.")


class Sample(BaseModel):
    day: date = Field(description="A day.")
    colour: Colour = Field(Colour.RED, description="Paint.")
    tags: list[str] = Field(default_factory=list, description="Labels.")
    urgent: bool = Field(False, description="Rush it.")
    lines: list[Line] = Field(description="Parts.")
    main: Line | None = Field(None, description="The main part.")
    extra: dict[str, str] | None = Field(None, description="Free-form pairs.")


def test_input_fields_map_types_choices_defaults_and_line_items() -> None:
    fields = {f.key: input_field(f) for f in input_fields(Sample)}
    assert fields["day"] == {"key": "day", "label": "Day", "required": True, "type": "datetime", "helpText": "A day."}
    assert fields["colour"]["choices"] == [{"value": "red", "label": "Red", "sample": "red"},
                                           {"value": "dark_blue", "label": "Dark Blue", "sample": "dark_blue"}]
    assert fields["colour"]["default"] == "red" and fields["colour"]["required"] is False
    assert fields["tags"]["list"] is True and "default" not in fields["tags"]
    assert fields["urgent"]["default"] == "false" and fields["urgent"]["type"] == "boolean"
    assert fields["lines"] == {"key": "lines", "label": "Lines", "required": True, "children": [
        {"key": "sku", "label": "SKU", "required": True, "type": "string", "helpText": "Part number."},
        {"key": "on", "label": "On", "required": False, "type": "datetime", "helpText": "Day used."}]}
    assert keys(fields["main"]["children"]) == ["sku", "on"]
    assert fields["extra"]["dict"] is True and "type" not in fields["extra"]


def test_body_shape_tells_perform_about_dates_lines_and_objects() -> None:
    assert body_shape(input_fields(Sample)) == [
        ["day", "date"], ["colour", "value"], ["tags", "value"], ["urgent", "value"],
        ["lines", "lines", [["sku", "value"], ["on", "date"]]],
        ["main", "object", [["sku", "value"], ["on", "date"]]],
        ["extra", "value"],
    ]


def test_objects_nested_twice_have_no_zapier_field() -> None:
    class Outer(BaseModel):
        deep: list[Deep] = Field(description="Too deep.")

    with pytest.raises(UnsupportedFieldError, match=r"deep\.lines"):
        [input_field(f) for f in input_fields(Outer)]


def test_output_fields_keep_children_and_lists() -> None:
    fields = {f.key: output_field(f) for f in output_fields(Sample)}
    assert fields["lines"] == {"key": "lines", "label": "Lines", "list": True, "children": [
        {"key": "sku", "label": "SKU", "type": "string"}, {"key": "on", "label": "On", "type": "string"}]}
    assert fields["day"]["type"] == "string"  # Zapier output types have no date
    assert "type" not in fields["extra"]


def test_sample_data_that_core_would_compile_is_refused() -> None:
    with pytest.raises(ValueError, match="compiled as a function"):
        zapier._data({"notes": {"source": "return 1"}}, "sample")
    assert zapier._data({"source": "sandbox", "id": "1", "x": 2}, "sample")["source"] == "sandbox"


def test_function_templates_need_every_placeholder_filled() -> None:
    with pytest.raises(ValueError, match="placeholders"):
        zapier_js._render("return __KEY__;")
    assert zapier_js._render("return __KEY__;", key="a'b") == 'return "a\'b";'


def test_install_helper_reads_the_pin(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text(json.dumps({"dependencies": {"zapier-platform-core": "19.1.0"}}))
    assert zapier_npm.pinned_core_version(tmp_path) == "19.1.0"
