"""The generated Make app: its shape, its schemas, and its IML, without a network."""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from actions.catalog import ACTIONS, SEARCHES
from actions.spec import Weight
from connector.auth.scopes import SCOPES
from manifests import build, make, make_connection
from manifests.fields import camel_case, input_fields, kebab_case, output_fields
from tests.client import iml
from triggers.catalog import TRIGGERS

SCHEMAS = Path("/work/shared/schemas/make")
SCHEMA_BASE = "https://schemas.make.invalid/"
MODULE_ID = re.compile(r"^[a-zA-Z][0-9a-zA-Z]{3,47}$")
PARAM_TYPES = {"string": "text", "text": "text", "integer": "integer", "number": "number", "boolean": "boolean",
               "datetime": "date", "date": "date", "object": "collection"}


@pytest.fixture(scope="module")
def files() -> dict[str, Any]:
    return make.files()


@pytest.fixture(scope="module")
def app(files: dict[str, Any]) -> dict[str, Any]:
    return files["makecomapp.json"]


def _code(files: dict[str, Any], app: dict[str, Any], kind: str, local_id: str, code: str) -> Any:
    return files[app["components"][kind][local_id]["codeFiles"][code]]


# --- the files on disk -----------------------------------------------------------------------


def test_generation_is_deterministic_and_committed() -> None:
    first = {path: text for path, text in build.generate().items() if path.startswith("make/")}
    second = {path: text for path, text in build.generate().items() if path.startswith("make/")}
    assert first == second
    stale = [line for line in build.differences(build.generate()) if "manifests/make/" in line]
    assert stale == [], "run `python -m manifests.build`"


def test_makecomapp_lists_exactly_the_generated_code_files(files: dict[str, Any], app: dict[str, Any]) -> None:
    listed = {app["generalCodeFiles"]["base"], app["generalCodeFiles"]["groups"]}
    for components in app["components"].values():
        for component in components.values():
            listed |= {path for path in component["codeFiles"].values() if path is not None}
    assert listed == set(files) - {"makecomapp.json"}
    # Secrets (the OAuth client, per Make app) stay in Make: `null` keeps a deploy off them.
    assert app["components"]["connection"]["backbone"]["codeFiles"]["common"] is None
    assert app["generalCodeFiles"]["common"] is None


def test_component_ids_and_folders_follow_makes_clone(app: dict[str, Any]) -> None:
    for kind, components in app["components"].items():
        for local_id, component in components.items():
            if kind == "module":
                assert MODULE_ID.match(local_id), local_id
            for code, path in component["codeFiles"].items():
                if path is None:
                    continue
                folder, name = path.rsplit("/", 1)
                slug = folder.split("/")[1]
                assert folder == f"{kind}s/{slug}" and name.startswith(f"{slug}.") and name.endswith(".iml.json")
                assert code in {"communication", "params", "scopeList", "defaultScope", "attach", "detach",
                                "requiredScope", "mappableParams", "interface", "samples"}


# --- schemas ---------------------------------------------------------------------------------


def _registry() -> Registry:
    resources = [
        (SCHEMA_BASE + path.name, Resource.from_contents(json.loads(path.read_text()), default_specification=DRAFT7))
        for path in SCHEMAS.glob("*.json")
        if path.name != "file-globs.json"
    ]
    return Registry().with_resources(resources)


def _matches(pattern: str, path: str) -> bool:
    # VS Code's jsonValidation fileMatch: a pattern without "/" matches the file name anywhere.
    if "/" not in pattern:
        return fnmatch.fnmatchcase(PurePosixPath(path).name, pattern)
    return PurePosixPath(path).match(pattern.removeprefix("**/"))


def _schemas_for(path: str) -> list[str]:
    globs = json.loads((SCHEMAS / "file-globs.json").read_text())
    return sorted({entry["url"].rsplit("/", 1)[1] for entry in globs
                   if any(_matches(pattern, path) for pattern in entry["fileMatch"])})


def test_every_generated_file_is_valid_by_makes_schema() -> None:
    registry = _registry()
    generated = {path.removeprefix("make/"): text for path, text in build.generate().items()
                 if path.startswith("make/")}
    checked = 0
    for path, text in sorted(generated.items()):
        if path == "README.md":
            continue
        schemas = _schemas_for(path)
        assert schemas, f"{path} matches no schema in file-globs.json"
        for schema in schemas:
            validator = Draft7Validator({"$ref": SCHEMA_BASE + schema}, registry=registry)
            errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
                      for e in validator.iter_errors(json.loads(text))]
            assert errors == [], f"{path} against {schema}: {errors}"
            checked += 1
    assert checked >= len(generated) - 1


def test_the_schema_check_catches_a_broken_file() -> None:
    registry = _registry()
    validator = Draft7Validator({"$ref": SCHEMA_BASE + "parameters.json"}, registry=registry)
    assert list(validator.iter_errors([{"name": "job_id", "type": "textual"}]))
    assert _schemas_for("modules/x/x.static-params.iml.json") == []  # why no static-params are generated


# --- connection ------------------------------------------------------------------------------


def test_connection_is_oauth2_with_every_step(files: dict[str, Any], app: dict[str, Any]) -> None:
    component = app["components"]["connection"]["backbone"]
    assert component["connectionType"] == "oauth"
    api = _code(files, app, "connection", "backbone", "communication")
    assert set(api) == {"authorize", "token", "refresh", "info", "invalidate"}
    assert api["authorize"]["url"].endswith("/oauth/authorize")
    assert api["authorize"]["qs"]["code_challenge_method"] == "S256"
    assert api["token"]["body"]["grant_type"] == "authorization_code"
    assert api["refresh"]["body"]["grant_type"] == "refresh_token"
    assert api["info"]["url"].endswith("/api/v1/me")
    assert api["invalidate"]["url"].endswith("/oauth/revoke")
    assert _code(files, app, "connection", "backbone", "defaultScope") == list(SCOPES)


def test_scope_list_matches_what_the_consent_page_shows(files: dict[str, Any], app: dict[str, Any]) -> None:
    assert _code(files, app, "connection", "backbone", "scopeList") == SCOPES == make_connection.SCOPES


def _scope(**extra: Any) -> dict[str, Any]:
    scope: dict[str, Any] = {
        "parameters": {}, "common": {"baseUrl": "https://backbone.test", "clientId": "make", "clientSecret": "s3"},
        "oauth": {"scope": list(SCOPES), "localRedirectUri": "https://www.make.com/oauth/cb/app"},
        "temp": {}, "data": {}, "connection": {}, "now": datetime(2026, 11, 24, 15, tzinfo=UTC),
    }
    scope.update(extra)
    return scope


def test_pkce_challenge_is_s256_of_the_verifier(files: dict[str, Any], app: dict[str, Any]) -> None:
    """Tests the authorize section against RFC 7636 appendix B, and the verifier's length rule."""
    authorize = _code(files, app, "connection", "backbone", "communication")["authorize"]
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    qs = iml.render(authorize["qs"], _scope(temp={"codeVerifier": verifier}))
    assert qs["code_challenge"] == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    generated = iml.render(authorize["temp"], _scope())["codeVerifier"]
    assert re.fullmatch(r"[A-Za-z0-9\-._~]{43,128}", generated)
    expected = base64.urlsafe_b64encode(hashlib.sha256(generated.encode()).digest()).rstrip(b"=").decode()
    assert iml.render(authorize["qs"], _scope(temp={"codeVerifier": generated}))["code_challenge"] == expected


def test_common_client_secret_never_goes_to_a_server_the_user_typed(files: dict[str, Any], app: dict[str, Any]) -> None:
    api = _code(files, app, "connection", "backbone", "communication")
    default = _scope(temp={"code": "c", "codeVerifier": "v"})
    assert iml.render(api["token"]["url"], default) == "https://backbone.test/oauth/token"
    assert iml.render(api["token"]["body"], default)["client_secret"] == "s3"
    custom = _scope(temp={"code": "c", "codeVerifier": "v"},
                    parameters={"serverUrl": "https://staging.test", "clientId": "own", "clientSecret": "mine"})
    assert iml.render(api["token"]["url"], custom) == "https://staging.test/oauth/token"
    body = iml.render(api["token"]["body"], custom)
    assert (body["client_id"], body["client_secret"]) == ("own", "mine")
    bare = _scope(temp={"code": "c", "codeVerifier": "v"}, parameters={"serverUrl": "https://evil.test"})
    assert "client_secret" not in iml.render(api["token"]["body"], bare)


def test_refresh_runs_before_the_access_token_expires(files: dict[str, Any], app: dict[str, Any]) -> None:
    api = _code(files, app, "connection", "backbone", "communication")
    now = datetime(2026, 11, 24, 15, tzinfo=UTC)
    data = iml.render(api["token"]["response"]["data"],
                      _scope(body={"access_token": "a", "refresh_token": "r", "expires_in": 3600}, now=now))
    assert data["expires"] == now + timedelta(hours=1) and data["baseUrl"] == "https://backbone.test"
    condition = api["refresh"]["condition"]
    assert iml.render(condition, _scope(data=data, now=now)) is False
    lead = timedelta(minutes=make_connection.REFRESH_LEAD_MINUTES)
    assert iml.render(condition, _scope(data=data, now=now + timedelta(hours=1) - lead + timedelta(seconds=1)))


def test_base_uses_the_connections_address_and_token(files: dict[str, Any]) -> None:
    base = files[make.BASE_FILE]
    scope = {"connection": {"baseUrl": "https://backbone.test", "accessToken": "tok"}}
    assert iml.render(base["baseUrl"], scope) == "https://backbone.test"
    assert iml.render(base["headers"], scope) == {"authorization": "Bearer tok"}
    error = {"error": {"code": "invalid_input", "message": "Invalid input: job_id.", "fields": []}}
    assert iml.render(base["response"]["error"]["422"]["message"], {"statusCode": 422, "body": error}) == (
        "[422] Invalid input: job_id.")
    assert base["response"]["error"]["401"]["type"] == "InvalidAccessTokenError"
    assert iml.render(base["response"]["error"]["502"]["message"], {"statusCode": 502, "body": "<html>"}) == (
        "[502] Backbone is unavailable; try again shortly.")


# --- triggers --------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", TRIGGERS, ids=lambda s: s.key)
def test_every_trigger_is_an_instant_trigger_with_an_attached_webhook(spec: Any, files: dict[str, Any],
                                                                      app: dict[str, Any]) -> None:
    local_id = camel_case(spec.key)
    module = app["components"]["module"][local_id]
    assert module["moduleType"] == "instant_trigger" and module["webhook"] == local_id
    assert module["label"] == spec.label and module["description"] == spec.help_text
    webhook = app["components"]["webhook"][local_id]
    assert webhook["webhookType"] == "web" and webhook["connection"] == "backbone"
    assert webhook["codeFiles"]["attach"] == f"webhooks/{kebab_case(spec.key)}/{kebab_case(spec.key)}.attach.iml.json"
    attach = _code(files, app, "webhook", local_id, "attach")
    request = iml.render({k: v for k, v in attach.items() if k != "response"}, {"webhook": {"url": "https://hook.make"}})
    assert request["url"] == "/api/v1/hooks" and request["method"] == "POST"
    assert request["body"] == {"trigger": spec.key, "target_url": "https://hook.make"}
    saved = iml.render(attach["response"]["data"], {"body": {"id": "h1", "secret": "whsec_x"}})
    assert saved == {"externalHookId": "h1"}
    detach = iml.render(_code(files, app, "webhook", local_id, "detach"), {"webhook": saved})
    assert detach == {"url": "/api/v1/hooks/h1", "method": "DELETE"}
    item = spec.sample.model_dump(mode="json")
    bundle = iml.render(_code(files, app, "webhook", local_id, "communication")["output"], {"body": item})
    assert bundle == item
    assert _code(files, app, "module", local_id, "samples") == item
    names = [entry["name"] for entry in _code(files, app, "module", local_id, "interface")]
    assert names == [f.key for f in output_fields(spec.output)]


# --- actions ---------------------------------------------------------------------------------


def _param_matches(param: dict[str, Any], field: Any) -> None:
    assert param["name"] == field.key and param["label"] == field.label
    assert param.get("required", False) == field.required
    assert param.get("help") == (field.help_text or None)
    expected = "array" if field.is_list else ("select" if field.choices else PARAM_TYPES[field.type])
    assert param["type"] == expected


@pytest.mark.parametrize("spec", ACTIONS, ids=lambda s: s.key)
def test_every_action_is_an_action_module_from_its_models(spec: Any, files: dict[str, Any],
                                                          app: dict[str, Any]) -> None:
    local_id = camel_case(spec.key)
    module = app["components"]["module"][local_id]
    assert module["moduleType"] == "action" and module["connection"] == "backbone"
    assert module["label"] == spec.label and module["description"] == spec.help_text
    params = _code(files, app, "module", local_id, "mappableParams")
    fields = input_fields(spec.input)
    assert len(params) == len(fields)
    for param, field in zip(params, fields, strict=True):
        _param_matches(param, field)
    outputs = output_fields(spec.output)
    interface = _code(files, app, "module", local_id, "interface")
    assert [entry["name"] for entry in interface] == [f.key for f in outputs]
    for entry, field in zip(interface, outputs, strict=True):
        assert entry["label"] == field.label and entry.get("help") == (field.help_text or None)
    assert _code(files, app, "module", local_id, "samples") == spec.sample.model_dump(mode="json")
    api = _code(files, app, "module", local_id, "communication")
    start = api if spec.weight is Weight.FAST else api[0]
    assert start["url"] == f"/api/v1/actions/{spec.key}" and start["method"] == "POST"
    assert set(start["body"]) == {f.key for f in fields}


def test_a_fast_action_answers_with_its_output_and_leaves_empty_fields_out(files: dict[str, Any],
                                                                          app: dict[str, Any]) -> None:
    api = _code(files, app, "module", "generateInvoice", "communication")
    assert iml.render(api["body"], {"parameters": {"job_id": "j1"}}) == {"job_id": "j1"}
    assert iml.render(api["response"]["output"], {"body": {"invoice_id": "i"}}) == {"invoice_id": "i"}


@pytest.mark.parametrize("spec", [s for s in ACTIONS if s.weight is Weight.HEAVY], ids=lambda s: s.key)
def test_a_heavy_action_starts_a_run_and_polls_it(spec: Any, files: dict[str, Any], app: dict[str, Any]) -> None:
    start, poll = _code(files, app, "module", camel_case(spec.key), "communication")
    temp = iml.render(start["response"]["temp"], {"body": {"run_id": "r1", "status": "queued"}})
    assert iml.render(poll["url"], {"temp": temp}) == "/api/v1/runs/r1"
    for status, again in (("queued", True), ("running", True), ("succeeded", False), ("failed", False)):
        assert iml.render(poll["repeat"]["condition"], {"body": {"status": status}}) is again
    failed = {"status": "failed", "error": {"code": "x", "message": "The sandbox is down."}}
    assert iml.render(poll["response"]["valid"]["condition"], {"body": failed}) is False
    assert iml.render(poll["response"]["valid"]["message"], {"body": failed}) == "The sandbox is down."
    assert iml.render(poll["response"]["output"], {"body": {"status": "succeeded", "result": {"a": 1}}}) == {"a": 1}


def test_date_parameters_are_sent_as_calendar_days(files: dict[str, Any], app: dict[str, Any]) -> None:
    for spec in (*ACTIONS, *SEARCHES):
        api = _code(files, app, "module", camel_case(spec.key), "communication")
        body = (api if getattr(spec, "weight", Weight.FAST) is Weight.FAST else api[0])["body"]
        for field in input_fields(spec.input):
            if field.type != "date":
                continue
            picked = datetime(2026, 3, 1, tzinfo=UTC)
            assert iml.render(body[field.key], {"parameters": {field.key: picked}}) == "2026-03-01"
            assert "key" not in iml.render({"key": body[field.key]}, {"parameters": {}})


def test_groups_list_triggers_actions_then_searches(files: dict[str, Any]) -> None:
    assert files[make.GROUPS_FILE] == [
        {"label": "Triggers", "modules": [camel_case(s.key) for s in TRIGGERS]},
        {"label": "Actions", "modules": [camel_case(s.key) for s in ACTIONS]},
        {"label": "Searches", "modules": [camel_case(s.key) for s in SEARCHES]},
    ]


# --- searches --------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", SEARCHES, ids=lambda s: s.key)
def test_every_search_is_a_search_module_from_its_models(spec: Any, files: dict[str, Any],
                                                         app: dict[str, Any]) -> None:
    local_id = camel_case(spec.key)
    module = app["components"]["module"][local_id]
    assert module["moduleType"] == "search" and module["connection"] == "backbone"
    assert module["label"] == spec.label and module["description"] == spec.help_text
    params = _code(files, app, "module", local_id, "mappableParams")
    fields = input_fields(spec.input)
    assert len(params) == len(fields)
    for param, field in zip(params, fields, strict=True):
        _param_matches(param, field)
    interface = _code(files, app, "module", local_id, "interface")
    assert [entry["name"] for entry in interface] == [f.key for f in output_fields(spec.output)]
    assert _code(files, app, "module", local_id, "samples") == spec.sample.model_dump(mode="json")
    api = _code(files, app, "module", local_id, "communication")
    assert api["url"] == f"/api/v1/searches/{spec.key}" and api["method"] == "POST"
    assert set(api["body"]) == {f.key for f in fields}
    assert api["response"]["iterate"] == "{{body}}" and api["response"]["output"] == "{{item}}"
    assert ("limit" in api["response"]) is ("limit" in spec.input.model_fields)


def test_a_search_module_gives_one_bundle_per_result_up_to_its_limit(files: dict[str, Any],
                                                                     app: dict[str, Any]) -> None:
    api = _code(files, app, "module", "findJob", "communication")
    scope = {"parameters": {"customer_name": "Dana", "status": ""}}
    assert iml.render(api["body"], scope) == {"customer_name": "Dana", "status": ""}
    results = [{"id": "j2"}, {"id": "j1"}]
    assert iml.render(api["response"]["iterate"], {"body": results}) == results
    assert [iml.render(api["response"]["output"], {"item": item}) for item in results] == results
    assert iml.render(api["response"]["limit"], scope) == 10
    assert iml.render(api["response"]["limit"], {"parameters": {"limit": 3}}) == 3


# --- IML -------------------------------------------------------------------------------------


def test_every_iml_expression_in_the_app_is_understood_by_the_mirror(files: dict[str, Any]) -> None:
    found = [expr for content in files.values() for expr in iml.expressions(content)]
    assert len(found) > 50
    for expr in found:
        iml.parse(expr)  # raises IMLError for anything the mirror test would not evaluate faithfully


def test_the_evaluator_refuses_what_it_does_not_know() -> None:
    for expr in ("body.a + 1", "unknownFn(1)", "body.a[1]", "sha256(x, 'base64', 'key')"):
        with pytest.raises(iml.IMLError):
            iml.evaluate(expr, {"body": {}, "x": "v"})
    with pytest.raises(iml.IMLError):
        iml.evaluate("parameters.x", {"body": {}})
