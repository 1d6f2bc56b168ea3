"""Make webhooks and modules from the catalogs: an instant trigger per trigger, a module per action and search.

Every trigger gets a dedicated, attached webhook (Make's "Attached" dedicated webhook: `attach`
creates a Backbone hook for `{{webhook.url}}` and keeps its id in the webhook data, `detach`
deletes it) and an instant trigger module that names that webhook. Every action gets an action
module posting its mappable parameters to `/api/v1/actions/<key>`. A heavy action answers 202
with a run; its module then polls the run (Make's multiple requests, the last one's output is the
module's) until the run leaves queued/running, for up to `HEAVY_POLL_LIMIT * HEAVY_POLL_DELAY_MS`.
Every search gets a search module: one POST to `/api/v1/searches/<key>`, one bundle per item of
the array Backbone answers (`iterate`), at most the module's Limit (`limit`, when the search has one).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from actions.spec import Weight
from manifests.fields import camel_case, input_fields, kebab_case, output_fields
from manifests.make_params import interface, mappable_parameters

if TYPE_CHECKING:
    from actions.spec import ActionSpec, SearchSpec
    from manifests.fields import FieldSpec
    from triggers.spec import TriggerSpec

HEAVY_POLL_DELAY_MS = 5000
HEAVY_POLL_LIMIT = 60


@dataclass(frozen=True)
class Component:
    """One Make component: its id, its `makecomapp.json` metadata, and its code files.

    Attributes:
        kind: Make's component type (`connection`, `webhook`, `module`).
        local_id: The component's local id in `makecomapp.json` (camelCase).
        slug: Its folder and file-name stem (kebab-case), as Make's clone names them.
        metadata: Everything `makecomapp.json` says about it, except `codeFiles`.
        codes: Code type (`communication`, `interface`, ...) to file content; None keeps the
            code out of the repository (`null` in `makecomapp.json`).
        suffixes: Code type to file-name suffix where it differs from the code type.
    """

    kind: str
    local_id: str
    slug: str
    metadata: dict[str, Any]
    codes: dict[str, Any]
    suffixes: dict[str, str] = field(default_factory=dict)

    def path(self, code: str) -> str | None:
        """A code file's path relative to the app root, or None for a code kept out of the repo.

        Args:
            code: The code type, e.g. `mappableParams`.

        Returns:
            E.g. `modules/generate-invoice/generate-invoice.mappable-params.iml.json`.
        """
        if self.codes[code] is None:
            return None
        return f"{self.kind}s/{self.slug}/{self.slug}.{self.suffixes.get(code, code)}.iml.json"


def trigger_webhook(spec: TriggerSpec, connection: str) -> Component:
    """The dedicated webhook of a trigger, attached to a Backbone hook subscription.

    Args:
        spec: The trigger.
        connection: The connection's local id.

    Returns:
        The webhook component.
    """
    attach = {
        "url": "/api/v1/hooks",
        "method": "POST",
        "body": {"trigger": spec.key, "target_url": "{{webhook.url}}"},
        "response": {"data": {"externalHookId": "{{body.id}}"}},
    }
    detach = {"url": "/api/v1/hooks/{{webhook.externalHookId}}", "method": "DELETE"}
    return Component(
        kind="webhook",
        local_id=camel_case(spec.key),
        slug=kebab_case(spec.key),
        metadata={"label": spec.label, "webhookType": "web", "connection": connection},
        codes={
            "communication": {"output": "{{body}}"},
            "params": [],
            "attach": attach,
            "detach": detach,
            "requiredScope": ["hooks"],
        },
        suffixes={"requiredScope": "required-scope"},
    )


def trigger_module(spec: TriggerSpec, webhook: Component) -> Component:
    """The instant trigger module of a trigger: one bundle per delivery, typed by the output model.

    Args:
        spec: The trigger.
        webhook: Its dedicated webhook.

    Returns:
        The module component.
    """
    return Component(
        kind="module",
        local_id=camel_case(spec.key),
        slug=kebab_case(spec.key),
        metadata={
            "label": spec.label,
            "description": spec.help_text,
            "moduleType": "instant_trigger",
            "webhook": webhook.local_id,
            "connection": None,
        },
        codes={
            # The webhook already outputs the delivered item; the module adds no request.
            "communication": {},
            "interface": interface(output_fields(spec.output)),
            "samples": spec.sample.model_dump(mode="json"),
        },
    )


def _body_value(item: FieldSpec) -> str:
    value = f"parameters.{item.key}"
    if item.type == "date" and not item.is_list:
        # Make's date picker yields a date-time (midnight in the scenario's time zone); the API
        # wants the calendar day. An empty field stays empty (and is left out of the body).
        return f"{{{{if({value}, formatDate({value}, 'YYYY-MM-DD'), {value})}}}}"
    return f"{{{{{value}}}}}"


def _body(spec: ActionSpec | SearchSpec) -> dict[str, str]:
    return {item.key: _body_value(item) for item in input_fields(spec.input)}


def _action_request(spec: ActionSpec) -> dict[str, Any]:
    return {"url": f"/api/v1/actions/{spec.key}", "method": "POST", "body": _body(spec)}


def action_communication(spec: ActionSpec) -> dict[str, Any] | list[dict[str, Any]]:
    """The action module's requests: one for a fast action; start and poll for a heavy one.

    Args:
        spec: The action.

    Returns:
        The `*.communication.iml.json` content.
    """
    start = _action_request(spec)
    if spec.weight is Weight.FAST:
        return {**start, "response": {"output": "{{body}}"}}
    poll = {
        "url": "/api/v1/runs/{{temp.runId}}",
        "method": "GET",
        "repeat": {
            "condition": "{{body.status == 'queued' || body.status == 'running'}}",
            "delay": HEAVY_POLL_DELAY_MS,
            "limit": HEAVY_POLL_LIMIT,
        },
        "response": {
            "valid": {"condition": "{{body.status != 'failed'}}", "message": "{{body.error.message}}"},
            "output": "{{body.result}}",
        },
    }
    return [{**start, "response": {"temp": {"runId": "{{body.run_id}}"}}}, poll]


def action_module(spec: ActionSpec, connection: str) -> Component:
    """The action module of an action: mappable parameters from its input, interface from its output.

    Args:
        spec: The action.
        connection: The connection's local id.

    Returns:
        The module component.
    """
    return _module(spec, connection, "action", action_communication(spec))


def _module(spec: ActionSpec | SearchSpec, connection: str, module_type: str,
            communication: Any) -> Component:
    """A module calling Backbone: parameters from the spec's input, interface from its output."""
    return Component(
        kind="module",
        local_id=camel_case(spec.key),
        slug=kebab_case(spec.key),
        metadata={
            "label": spec.label,
            "description": spec.help_text,
            "moduleType": module_type,
            "connection": connection,
        },
        codes={
            "communication": communication,
            "mappableParams": mappable_parameters(input_fields(spec.input)),
            "interface": interface(output_fields(spec.output)),
            "samples": spec.sample.model_dump(mode="json"),
        },
        suffixes={"mappableParams": "mappable-params"},
    )


#: The search input field that bounds the results (Make's `limit` directive reads it too).
LIMIT_FIELD = "limit"


def search_communication(spec: SearchSpec) -> dict[str, Any]:
    """The search module's request: the criteria in, one bundle per result out.

    Args:
        spec: The search.

    Returns:
        The `*.communication.iml.json` content.
    """
    response: dict[str, Any] = {"iterate": "{{body}}", "output": "{{item}}"}
    limit = next((f for f in input_fields(spec.input) if f.key == LIMIT_FIELD), None)
    if limit is not None:
        response["limit"] = f"{{{{ifempty(parameters.{LIMIT_FIELD}, {limit.default})}}}}"
    return {"url": f"/api/v1/searches/{spec.key}", "method": "POST", "body": _body(spec), "response": response}


def search_module(spec: SearchSpec, connection: str) -> Component:
    """The search module of a search: mappable parameters from its criteria, interface from one result.

    Args:
        spec: The search.
        connection: The connection's local id.

    Returns:
        The module component.
    """
    return _module(spec, connection, "search", search_communication(spec))
