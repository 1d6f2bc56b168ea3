"""The Make custom app, in Make's on-disk format, generated from the catalogs.

The layout is the one Make's VS Code extension (integromat/vscode-apps-sdk, "Local development
for Apps") clones and deploys: `makecomapp.json` lists every component and its code files;
`general/base.iml.json` is the base; each component lives in `<type>s/<kebab-id>/` with one
`<kebab-id>.<code>.iml.json` file per code (`communication`, `mappable-params`, `interface`,
`samples`, `attach`, `detach`, ...); groups are in `modules/groups.json`. No module has static
parameters, so no `static-params` code is listed (Make's schema associations have none for it).

Kept out of the repository (`null` in `makecomapp.json`, so a deploy leaves them untouched): the
connection's common data (the OAuth client secret, per Make app), the app's common data and its
readme. `origins` (which Make apps to deploy to) is empty: each environment's deploy adds its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from actions.catalog import ACTIONS, SEARCHES
from manifests import make_connection
from manifests.make_modules import Component, action_module, search_module, trigger_module, trigger_webhook
from triggers.catalog import TRIGGERS

if TYPE_CHECKING:
    from collections.abc import Iterable

MAKECOMAPP_FILE_VERSION = 1
BASE_FILE = "general/base.iml.json"
GROUPS_FILE = "modules/groups.json"
COMPONENT_KINDS = ("connection", "webhook", "module", "rpc", "function", "endpoint")


def connection() -> Component:
    """The app's one connection: OAuth 2.0 with PKCE against Backbone.

    Returns:
        The connection component.
    """
    return Component(
        kind="connection",
        local_id=make_connection.CONNECTION_ID,
        slug=make_connection.CONNECTION_ID,
        metadata={"label": make_connection.CONNECTION_LABEL, "connectionType": "oauth"},
        codes={
            "communication": make_connection.communication(),
            "params": make_connection.parameters(),
            "scopeList": dict(make_connection.SCOPES),
            "defaultScope": make_connection.default_scope(),
            "common": None,
        },
        suffixes={
            "communication": "oauth-communication",
            "scopeList": "scope-list",
            "defaultScope": "default-scope",
        },
    )


def components() -> list[Component]:
    """Every component of the app, in catalog order: connection, webhooks, modules (triggers, actions, searches).

    Returns:
        The components.
    """
    conn = connection()
    webhooks = [trigger_webhook(spec, conn.local_id) for spec in TRIGGERS]
    modules = [trigger_module(spec, hook) for spec, hook in zip(TRIGGERS, webhooks, strict=True)]
    modules += [action_module(spec, conn.local_id) for spec in ACTIONS]
    modules += [search_module(spec, conn.local_id) for spec in SEARCHES]
    return [conn, *webhooks, *modules]


def groups(items: Iterable[Component]) -> list[dict[str, Any]]:
    """The module groups shown in Make's module picker: triggers, actions, then searches.

    Args:
        items: Every component.

    Returns:
        The `modules/groups.json` content.
    """
    modules = [item for item in items if item.kind == "module"]
    return [
        {"label": label, "modules": [m.local_id for m in modules if m.metadata["moduleType"] == kind]}
        for label, kind in (("Triggers", "instant_trigger"), ("Actions", "action"), ("Searches", "search"))
    ]


def makecomapp(items: Iterable[Component]) -> dict[str, Any]:
    """The `makecomapp.json` of the app: components, their code files, general code files.

    Args:
        items: Every component.

    Returns:
        The file's content.
    """
    listed: dict[str, dict[str, Any]] = {kind: {} for kind in COMPONENT_KINDS}
    for item in items:
        code_files = {code: item.path(code) for code in item.codes}
        listed[item.kind][item.local_id] = {**item.metadata, "codeFiles": code_files}
    return {
        "fileVersion": MAKECOMAPP_FILE_VERSION,
        "generalCodeFiles": {"base": BASE_FILE, "common": None, "groups": GROUPS_FILE, "readme": None},
        "components": listed,
        "origins": [],
    }


def files() -> dict[str, str | dict[str, Any]]:
    """Files of the Make app by path relative to `manifests/make/`.

    Returns:
        JSON files as dicts (lists for parameter arrays), keyed by relative path.
    """
    items = components()
    out: dict[str, Any] = {
        "makecomapp.json": makecomapp(items),
        BASE_FILE: make_connection.base(),
        GROUPS_FILE: groups(items),
    }
    for item in items:
        for code, content in item.codes.items():
            path = item.path(code)
            if path is not None:
                out[path] = content
    return out
