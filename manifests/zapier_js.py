"""The functions of the Zapier app, as `{"source", "args"}` objects (Zapier's FunctionSourceSchema).

zapier-platform-core compiles each `source` into an async function of `args` when it loads the
app, so the whole app stays JSON: validatable with `jsonschema`, diffable, generated. The bodies
are generic; the only values baked in are JSON literals (keys, URLs, shapes, labels), inserted
with `_render` so nothing typed by hand differs per trigger or action.

Shared behaviour lives in the two middlewares: `before_request` turns the relative URLs every
function uses into `<base_url><path>` and adds the bearer token; `after_response` turns
Backbone's JSON errors into `z.errors.Error` with a message naming the bad fields.
"""

from __future__ import annotations

import json
import re
from typing import Any

#: The OAuth scopes the app asks for.
SCOPE = "profile triggers hooks actions"

FunctionSource = dict[str, Any]
_PLACEHOLDER = re.compile(r"__([A-Z][A-Z_]*[A-Z])__")

_BASE_URL = """\
const base = String(__BASE__ || '').trim().replace(/\\/+$/, '');
if (!/^https?:\\/\\/[^\\s\\/]+/.test(base)) {
  throw new z.errors.Error(
    'The Backbone URL must start with https:// (for example https://backbone.example.com): '
      + 'reconnect Backbone with the address you sign in at.',
    'invalid_base_url',
    400,
  );
}"""

# Names each bad field as the Zap editor shows it ("Job ID (job_id)"), adding a field's problem
# only when Backbone's message does not already say it.
_DESCRIBE = r"""
const LABELS = __LABELS__;
const describe = (error) => {
  let text = error.message || 'Backbone refused the request.';
  const notes = [];
  for (const f of error.fields || []) {
    const key = String(f.field || 'body');
    const name = LABELS[key] ? LABELS[key] + ' (' + key + ')' : key;
    const problem = String(f.message || '').replace(/\.$/, '');
    const named = new RegExp('(^|[\\s,;(\\[])' + key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + ':', 'g');
    if (problem && !text.includes(problem)) {
      notes.push(name + ': ' + problem);
    } else if (text.search(named) !== -1) {
      text = text.replace(named, (match, before) => before + name + ':');
    } else if (!text.includes(key)) {
      notes.push(name);
    }
  }
  return text + (notes.length ? ' [' + notes.join('; ') + ']' : '');
};""".strip("\n")

_SHAPE = """\
const shape = (data, fields) => {
  const body = {};
  for (const [key, kind, children] of fields) {
    const value = data[key];
    if (value === undefined || value === null || value === '') continue;
    if (kind === 'date') {
      body[key] = Array.isArray(value) ? value.map((v) => String(v).slice(0, 10)) : String(value).slice(0, 10);
    } else if (kind === 'lines') {
      body[key] = [].concat(value).map((line) => shape(line || {}, children));
    } else if (kind === 'object') {
      body[key] = shape([].concat(value)[0] || {}, children);
    } else {
      body[key] = value;
    }
  }
  return body;
};"""


def _render(template: str, raw: dict[str, str] | None = None, **values: Any) -> str:
    """The template with each `__NAME__` filled: JSON literals from `values`, code from `raw`."""
    fills = {name.upper(): json.dumps(value, sort_keys=True, ensure_ascii=False) for name, value in values.items()}
    fills.update({name.upper(): code for name, code in (raw or {}).items()})
    wanted = set(_PLACEHOLDER.findall(template))
    if wanted != set(fills):
        raise ValueError(f"placeholders {sorted(wanted)} but values for {sorted(fills)}")
    return _PLACEHOLDER.sub(lambda match: fills[match.group(1)], template)


def function(source: str, *args: str) -> FunctionSource:
    """A FunctionSourceSchema object (core wraps `source` in `async function (...args)`).

    Args:
        source: The function body; it must contain `return`.
        *args: Parameter names (default: z, bundle).

    Returns:
        `{"source": ..., "args": [...]}`.
    """
    if "return" not in source:
        raise ValueError("a FunctionSource body must return")
    return {"source": source, "args": list(args or ("z", "bundle"))}


# --- middleware ---------------------------------------------------------------------------------

def before_request() -> FunctionSource:
    """Relative URLs go to the connection's Backbone, with its bearer token (never to other hosts)."""
    base = _render(_BASE_URL, raw={"base": "auth.base_url || (bundle.inputData || {}).base_url"})
    source = "\n".join([
        "request.headers = request.headers || {};",
        "const auth = bundle.authData || {};",
        "const path = request.url;",
        "if (path.startsWith('/')) {",
        *("  " + line for line in base.splitlines()),
        "  request.url = base + path;",
        "  // The token endpoints authenticate the client, not the user.",
        "  if (auth.access_token && !path.startsWith('/oauth/') && !request.headers.Authorization) {",
        "    request.headers.Authorization = 'Bearer ' + auth.access_token;",
        "  }",
        "}",
        "request.headers.Accept = request.headers.Accept || 'application/json';",
        "return request;",
    ])
    return function(source, "request", "z", "bundle")


def after_response(labels: dict[str, str]) -> FunctionSource:
    """Backbone's `{"error": {...}}` (and OAuth's `{"error": "..."}`) become a clear z.errors.Error.

    401 and 429 never get here: core's throwForStaleAuth (autoRefresh) and throwForThrottling run
    first and raise RefreshAuthError and ThrottledError.

    Args:
        labels: Input field labels by key, so messages name fields as the Zap editor shows them.
    """
    source = "\n".join([
        "if (response.status < 400 || response.skipThrowForStatus) {",
        "  return response;",
        "}",
        "let data = response.data;",
        "if (data === undefined) {",
        "  try { data = JSON.parse(response.content); } catch (err) { data = null; }",
        "}",
        "const error = data && data.error;",
        _render(_DESCRIBE, labels=labels),
        "if (error && typeof error === 'object') {",
        "  const request = error.request_id && error.request_id !== '-' ? ' (request ' + error.request_id + ')' : '';",
        "  const code = error.code || 'http_' + response.status;",
        "  throw new z.errors.Error(describe(error) + request, code, response.status);",
        "}",
        "if (typeof error === 'string') {",
        "  throw new z.errors.Error(data.error_description || error, error, response.status);",
        "}",
        "if (response.status >= 500) {",
        "  throw new z.errors.Error('Backbone is not answering (HTTP ' + response.status + '): try again in a few '",
        "    + 'minutes.', 'unavailable', response.status);",
        "}",
        "return response;",
    ])
    return function(source, "response", "z", "bundle")


# --- authentication -----------------------------------------------------------------------------

def authorize_url() -> FunctionSource:
    """The consent page of the Backbone the user named; Zapier appends the PKCE challenge."""
    base = _render(_BASE_URL, raw={"base": "bundle.inputData.base_url"})
    source = _render("""\
__BASE_CHECK__
const params = new URLSearchParams({
  client_id: process.env.CLIENT_ID,
  redirect_uri: bundle.inputData.redirect_uri,
  response_type: 'code',
  scope: __SCOPE__,
  state: bundle.inputData.state,
});
return base + '/oauth/authorize?' + params.toString();""", raw={"base_check": base}, scope=SCOPE)
    return function(source)


_GRANT_REQUEST = """\
const response = await z.request({
  url: '/oauth/token',
  method: 'POST',
  headers: {'content-type': 'application/x-www-form-urlencoded'},
  body: __BODY__,
});
return {
  access_token: response.data.access_token,
  refresh_token: response.data.refresh_token,
  base_url: __KEEP__,
};"""


def get_access_token() -> FunctionSource:
    """Code + PKCE verifier for the first pair; keeps the base URL in authData for later calls."""
    body = """{
    grant_type: 'authorization_code',
    code: bundle.inputData.code,
    redirect_uri: bundle.inputData.redirect_uri,
    code_verifier: bundle.inputData.code_verifier,
    client_id: process.env.CLIENT_ID,
    client_secret: process.env.CLIENT_SECRET,
  }"""
    keep = "String(bundle.inputData.base_url).trim().replace(/\\/+$/, '')"
    return function(_render(_GRANT_REQUEST, raw={"body": body, "keep": keep}))


def refresh_access_token() -> FunctionSource:
    """The refresh grant (Backbone rotates the refresh token on every use)."""
    body = """{
    grant_type: 'refresh_token',
    refresh_token: bundle.authData.refresh_token,
    client_id: process.env.CLIENT_ID,
    client_secret: process.env.CLIENT_SECRET,
  }"""
    return function(_render(_GRANT_REQUEST, raw={"body": body, "keep": "bundle.authData.base_url"}))


def test() -> FunctionSource:
    """The connection test: who the token acts for."""
    return function("const response = await z.request({url: '/api/v1/me'});\nreturn response.data;")


def connection_label() -> FunctionSource:
    """The label of the connection, from the test's answer (Zapier passes it as inputData)."""
    return function("const me = bundle.inputData || {};\nreturn me.label || me.email || '';")


# --- triggers -----------------------------------------------------------------------------------

def subscribe(key: str) -> FunctionSource:
    """performSubscribe: a REST hook on this trigger, delivering to Zapier's target URL."""
    return function(_render("""\
const response = await z.request({
  url: '/api/v1/hooks',
  method: 'POST',
  json: {trigger: __KEY__, target_url: bundle.targetUrl},
});
return response.data;""", key=key))


def unsubscribe() -> FunctionSource:
    """performUnsubscribe; a hook Backbone already dropped (after a 410) counts as removed."""
    return function("""\
const hook = bundle.subscribeData || {};
const response = await z.request({
  url: '/api/v1/hooks/' + encodeURIComponent(hook.id),
  method: 'DELETE',
  skipThrowForStatus: true,
});
if (response.status === 404) {
  return {id: hook.id, deleted: false};
}
response.throwForStatus();
return response.data;""")


def hook_perform() -> FunctionSource:
    """The perform of a hook trigger: Backbone delivers one item per POST."""
    return function("const item = bundle.cleanedRequest;\nreturn Array.isArray(item) ? item : [item];")


def list_items(key: str) -> FunctionSource:
    """Polling (and performList): newest first, at most 100, each with a unique id."""
    return function(_render("""\
const response = await z.request({url: __URL__});
return response.data;""", url=f"/api/v1/triggers/{key}"))


# --- actions ------------------------------------------------------------------------------------

def create_perform(key: str, shape: list[list[Any]], *, heavy: bool) -> FunctionSource:
    """The perform of a create; a heavy one hands Backbone Zapier's callback URL and waits for it.

    Args:
        key: The action key.
        shape: `manifests.zapier_fields.body_shape` of its input.
        heavy: Whether Backbone answers 202 and POSTs the outcome to the callback URL later.
    """
    headers = "\n  headers: {'X-Callback-Url': z.generateCallbackUrl()}," if heavy else ""
    source = "\n".join([
        _render("const fields = __SHAPE__;", shape=shape),
        _SHAPE,
        _render("const response = await z.request({\n  url: __URL__,\n  method: 'POST',", url=f"/api/v1/actions/{key}")
        + headers,
        "  json: shape(bundle.inputData || {}, fields),",
        "});",
        "return response.data;",
    ])
    return function(source)


def search_perform(key: str, shape: list[list[Any]]) -> FunctionSource:
    """The perform of a search: the criteria as JSON, Backbone's array of results as is ([] for none).

    Args:
        key: The search key.
        shape: `manifests.zapier_fields.body_shape` of its input.
    """
    source = "\n".join([
        _render("const fields = __SHAPE__;", shape=shape),
        _SHAPE,
        _render("const response = await z.request({\n  url: __URL__,\n  method: 'POST',",
                url=f"/api/v1/searches/{key}"),
        "  json: shape(bundle.inputData || {}, fields),",
        "});",
        "return Array.isArray(response.data) ? response.data : [];",
    ])
    return function(source)


def perform_resume(label: str, labels: dict[str, str]) -> FunctionSource:
    """The performResume of a heavy create: the callback's result, or a clear error when the run failed.

    Args:
        label: The action's label, for the error message.
        labels: Input field labels by key.
    """
    source = "\n".join([
        "const outcome = bundle.cleanedRequest || {};",
        "if (outcome.status === 'succeeded' && outcome.result) {",
        "  return outcome.result;",
        "}",
        _render(_DESCRIBE, labels=labels),
        "const error = outcome.error || {message: 'Backbone sent no result.'};",
        "const run = outcome.run_id ? ' (run ' + outcome.run_id + ')' : '';",
        "const replay = error.retryable ? ' Backbone support can replay the run once the cause is fixed.' : '';",
        _render("throw new z.errors.Error(__LABEL__ + ' failed: ' + describe(error) + run + replay,", label=label),
        "  error.code || 'action_failed');",
    ])
    return function(source)
