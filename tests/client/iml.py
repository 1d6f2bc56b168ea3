"""A small evaluator for Make's IML templates: exactly what the generated Make app uses.

IML (developers.make.com/custom-apps-documentation/block-elements/iml) puts JavaScript-like
expressions between mustaches. This evaluator knows the operators, variables and functions the
generated files use and refuses anything else with `IMLError`, so a new construct in the app
fails the tests until it is taught here, instead of being mirrored wrongly.

Semantics kept from Make: a string that is one whole `{{…}}` keeps the value's type (`"{{body}}"`
is the object); a missing property is `undefined`, which is left out of objects and renders as
empty text; `ifempty` treats undefined, null and "" as empty; `if` uses JavaScript truthiness.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping


class IMLError(Exception):
    """An expression this evaluator does not support, or cannot evaluate."""


class _Undefined:
    def __repr__(self) -> str:
        return "undefined"

    def __bool__(self) -> bool:
        return False


UNDEFINED: Any = _Undefined()
MUSTACHE = re.compile(r"\{\{(.*?)\}\}")
TOKEN = re.compile(
    r"\s*(?:(?P<number>\d+(?:\.\d+)?)|'(?P<sq>[^']*)'|\"(?P<dq>[^\"]*)\"|`(?P<bt>[^`]+)`"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<op>==|!=|<=|>=|&&|\|\||[<>!(),.]))"
)
KEYWORDS: dict[str, Any] = {"true": True, "false": False, "null": None, "undefined": UNDEFINED}
#: Variables computed on every use rather than read from the scope.
GENERATED: dict[str, Callable[[], Any]] = {"uuid": lambda: str(uuid.uuid4())}


# --- functions -------------------------------------------------------------------------------


def _is_empty(value: Any) -> bool:
    return value is UNDEFINED or value is None or value == ""


def _truthy(value: Any) -> bool:
    return not (_is_empty(value) or value is False or value == 0)


def _as_datetime(value: Any, function: str) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    raise IMLError(f"{function}() needs a date, got {value!r}")


def _sha256(text: Any, encoding: Any = "hex") -> str:
    digest = hashlib.sha256(str(text).encode()).digest()
    if encoding == "base64":
        return base64.b64encode(digest).decode()
    if encoding == "hex":
        return digest.hex()
    raise IMLError(f"sha256() output encoding {encoding!r} is not supported here")


def _base64url(text: Any) -> str:
    # As Make's PKCE example uses it on sha256(…, 'base64'): the base64 text in URL-safe form.
    return str(text).replace("+", "-").replace("/", "_").rstrip("=")


def _join(items: Any, separator: Any) -> str:
    if not isinstance(items, list):
        raise IMLError(f"join() needs an array, got {items!r}")
    return str(separator).join(_text(item) for item in items)


def _format_date(value: Any, pattern: Any) -> str:
    if pattern != "YYYY-MM-DD":
        raise IMLError(f"formatDate() pattern {pattern!r} is not supported here")
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    return _as_datetime(value, "formatDate").date().isoformat()


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "ifempty": lambda value, fallback: fallback if _is_empty(value) else value,
    "if": lambda condition, then, otherwise: then if _truthy(condition) else otherwise,
    "join": _join,
    "addSeconds": lambda value, n: _as_datetime(value, "addSeconds") + timedelta(seconds=float(n)),
    "addMinutes": lambda value, n: _as_datetime(value, "addMinutes") + timedelta(minutes=float(n)),
    "sha256": _sha256,
    "base64url": _base64url,
    "formatDate": _format_date,
}


def _kind(value: Any) -> Any:
    return "number" if isinstance(value, int | float) and not isinstance(value, bool) else type(value)


#: Functions whose arguments are evaluated only when needed (`if(x, formatDate(x), x)` on an empty x).
LAZY: dict[str, Callable[..., Any]] = {
    "if": lambda ev, condition, then, otherwise: ev(then) if _truthy(ev(condition)) else ev(otherwise),
    "ifempty": lambda ev, value, fallback: ev(fallback) if _is_empty(result := ev(value)) else result,
}


def _compare(op: str, left: Any, right: Any) -> bool:
    # Equality is strict, as in IML (`==` is `===`); order needs two numbers or two dates.
    same = _kind(left) == _kind(right) and left == right
    if op in ("==", "!="):
        return same if op == "==" else not same
    if _kind(left) != _kind(right) or _kind(left) not in ("number", datetime):
        raise IMLError(f"cannot compare {left!r} {op} {right!r}")
    return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]


# --- parsing ---------------------------------------------------------------------------------

Node = tuple[Any, ...]


def _tokens(expr: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    position = 0
    while position < len(expr.rstrip()):
        match = TOKEN.match(expr, position)
        if match is None or match.end() == position:
            raise IMLError(f"unsupported syntax at {expr[position:]!r} in {{{{{expr}}}}}")
        kind = match.lastgroup or ""
        kind = {"sq": "string", "dq": "string"}.get(kind, kind)
        out.append((kind, match.group(match.lastgroup or 0)))
        position = match.end()
    return out


class _Parser:
    """Recursive descent: or > and > comparison > unary > call/path/literal."""

    def __init__(self, expr: str) -> None:
        self.expr = expr
        self.tokens = _tokens(expr)
        self.at = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (value is not None and token != ("op", value)):
            raise IMLError(f"expected {value or 'more'} in {{{{{self.expr}}}}}")
        self.at += 1
        return token

    def parse(self) -> Node:
        node = self.binary(0)
        extra = self.peek()
        if extra is not None:
            raise IMLError(f"unexpected {extra[1]!r} in {{{{{self.expr}}}}}")
        return node

    LEVELS = (("||",), ("&&",), ("==", "!=", "<", "<=", ">", ">="))

    def binary(self, level: int) -> Node:
        if level == len(self.LEVELS):
            return self.unary()
        node = self.binary(level + 1)
        while (token := self.peek()) is not None and token[0] == "op" and token[1] in self.LEVELS[level]:
            self.at += 1
            node = ("op", token[1], node, self.binary(level + 1))
        return node

    def unary(self) -> Node:
        if self.peek() == ("op", "!"):
            self.at += 1
            return ("not", self.unary())
        return self.primary()

    def primary(self) -> Node:
        kind, value = self.take()
        if kind == "number":
            return ("value", float(value) if "." in value else int(value))
        if kind == "string":
            return ("value", value)
        if (kind, value) == ("op", "("):
            node = self.binary(0)
            self.take(")")
            return node
        if kind != "name":
            raise IMLError(f"unexpected {value!r} in {{{{{self.expr}}}}}")
        if self.peek() == ("op", "("):
            return self.call(value)
        if value in KEYWORDS:
            return ("value", KEYWORDS[value])
        path = [value]
        while self.peek() == ("op", "."):
            self.at += 1
            kind, key = self.take()
            if kind not in ("name", "bt"):
                raise IMLError(f"unexpected {key!r} after '.' in {{{{{self.expr}}}}}")
            path.append(key)
        return ("path", *path)

    def call(self, name: str) -> Node:
        if name not in FUNCTIONS:
            raise IMLError(f"function {name}() is not supported here")
        self.take("(")
        args: list[Node] = []
        while self.peek() != ("op", ")"):
            args.append(self.binary(0))
            if self.peek() == ("op", ","):
                self.at += 1
        self.take(")")
        return ("call", name, *args)


def parse(expr: str) -> Node:
    """Parses one expression (the text between mustaches).

    Raises:
        IMLError: for syntax, operators or functions this evaluator does not support.
    """
    return _Parser(expr).parse()


# --- evaluation ------------------------------------------------------------------------------


def _lookup(path: tuple[str, ...], scope: Mapping[str, Any]) -> Any:
    root, *rest = path
    if root in GENERATED:
        value = GENERATED[root]()
    elif root in scope:
        value = scope[root]
    else:
        raise IMLError(f"variable {root!r} is not in this context (have: {', '.join(sorted(scope))})")
    for key in rest:
        value = value.get(key, UNDEFINED) if isinstance(value, dict) else UNDEFINED
    return value


def _evaluate(node: Node, scope: Mapping[str, Any]) -> Any:
    kind = node[0]
    if kind == "value":
        return node[1]
    if kind == "path":
        return _lookup(node[1:], scope)
    if kind == "not":
        return not _truthy(_evaluate(node[1], scope))
    if kind == "call" and node[1] in LAZY:
        return LAZY[node[1]](lambda n: _evaluate(n, scope), *node[2:])
    if kind == "call":
        args = [_evaluate(arg, scope) for arg in node[2:]]
        try:
            return FUNCTIONS[node[1]](*args)
        except TypeError as exc:
            raise IMLError(f"{node[1]}() called with {len(args)} arguments here: {exc}") from exc
    op, left = node[1], _evaluate(node[2], scope)
    if op == "||":
        return left if _truthy(left) else _evaluate(node[3], scope)
    if op == "&&":
        return _evaluate(node[3], scope) if _truthy(left) else left
    return _compare(op, left, _evaluate(node[3], scope))


def evaluate(expr: str, scope: Mapping[str, Any]) -> Any:
    """The value of one expression in a scope (`body`, `parameters`, `connection`, …)."""
    return _evaluate(parse(expr), scope)


def _text(value: Any) -> str:
    if value is UNDEFINED or value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if isinstance(value, dict | list):
        return json.dumps(value, default=_text)
    return str(value)


def render(template: Any, scope: Mapping[str, Any]) -> Any:
    """A JSON value with every IML template in it evaluated, as Make does before a request.

    Args:
        template: A value from a generated `*.iml.json` file.
        scope: The IML variables.

    Returns:
        The evaluated value; undefined object members are left out.
    """
    if isinstance(template, dict):
        rendered = {}
        for key, value in template.items():
            if "{{" in key:
                raise IMLError(f"IML in object keys ({key!r}) is not supported here")
            result = render(value, scope)
            if result is not UNDEFINED:
                rendered[key] = result
        return rendered
    if isinstance(template, list):
        return [render(value, scope) for value in template]
    if not isinstance(template, str):
        return template
    whole = MUSTACHE.fullmatch(template)
    if whole and "{{" not in whole.group(1):
        return evaluate(whole.group(1), scope)
    return MUSTACHE.sub(lambda m: _text(evaluate(m.group(1), scope)), template)


def expressions(value: Any) -> Iterator[str]:
    """Every expression between mustaches in a JSON value (keys and strings)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from expressions(key)
            yield from expressions(item)
    elif isinstance(value, list):
        for item in value:
            yield from expressions(item)
    elif isinstance(value, str):
        yield from (match.group(1) for match in MUSTACHE.finditer(value))


def to_json(value: Any) -> Any:
    """A rendered value made JSON-ready for a request: dates as Make sends them, undefined as null."""
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [to_json(item) for item in value]
    if value is UNDEFINED:
        return None
    if isinstance(value, datetime):
        return _text(value)
    return value
