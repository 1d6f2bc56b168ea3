"""Pydantic models to platform-neutral field descriptions, the one mapping both apps use."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from pydantic import BaseModel

#: Neutral field types; each platform module maps these to its own names.
FieldType = Literal["string", "text", "integer", "number", "boolean", "datetime", "date", "object"]

#: Words shown in capitals in generated labels.
ACRONYMS = {"id": "ID", "url": "URL", "eta": "ETA", "sku": "SKU", "gps": "GPS", "sms": "SMS", "api": "API"}
LONG_TEXT = 500  # strings allowed to be longer than this get a multi-line input


@dataclass(frozen=True)
class FieldSpec:
    """One input or output field, as both platforms need it.

    Attributes:
        key: The model's field name.
        label: Human label ("Job ID").
        help_text: The field's description.
        type: Neutral type; for a list, the type of its items.
        required: Whether the field must be given (inputs) or is always present (outputs).
        choices: Allowed values, for enums.
        default: Default value, if the model declares one other than None.
        is_list: True for arrays.
        children: Fields of an object (or of each object in a list).
    """

    key: str
    label: str
    help_text: str
    type: FieldType
    required: bool
    choices: tuple[str, ...] = ()
    default: Any = None
    is_list: bool = False
    children: tuple[FieldSpec, ...] = field(default_factory=tuple)


def label_for(key: str) -> str:
    """A human label from a snake_case key ("job_id" → "Job ID").

    Args:
        key: The field name.

    Returns:
        Title-cased words with known acronyms in capitals.
    """
    return " ".join(ACRONYMS.get(word, word.capitalize()) for word in key.split("_") if word)


def _resolve(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref:
        resolved = dict(defs[ref.rsplit("/", 1)[-1]])
        resolved.update({k: v for k, v in schema.items() if k != "$ref"})
        return resolved
    return schema


def _non_null(schema: dict[str, Any], defs: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The schema without its null alternative, and whether null was allowed."""
    schema = _resolve(schema, defs)
    options = schema.get("anyOf")
    if not options:
        return schema, False
    kept = [_resolve(o, defs) for o in options if o.get("type") != "null"]
    nullable = len(kept) < len(options)
    # Decimal validates as number-or-string: it is a number to the user.
    types = {o.get("type") for o in kept}
    base = {"type": "number"} if types == {"number", "string"} else kept[0]
    return {**{k: v for k, v in schema.items() if k != "anyOf"}, **base}, nullable


def _type_of(schema: dict[str, Any]) -> FieldType:
    kind = schema.get("type")
    fmt = schema.get("format")
    if kind == "string" and fmt == "date-time":
        return "datetime"
    if kind == "string" and fmt == "date":
        return "date"
    if kind == "string":
        return "text" if schema.get("maxLength", 0) > LONG_TEXT else "string"
    mapped: dict[str, FieldType] = {"integer": "integer", "number": "number", "boolean": "boolean", "object": "object"}
    return mapped.get(str(kind), "string")


def _field(key: str, raw: dict[str, Any], required: bool, defs: dict[str, Any]) -> FieldSpec:
    schema, nullable = _non_null(raw, defs)
    is_list = schema.get("type") == "array"
    item = _non_null(schema.get("items", {}), defs)[0] if is_list else schema
    children: tuple[FieldSpec, ...] = ()
    if item.get("type") == "object" or "properties" in item:
        children = tuple(_fields(item, defs))
    kind: FieldType = "object" if children else _type_of(item)
    default = schema.get("default", raw.get("default"))
    # pydantic's automatic title is "Job Id"; an explicit Field(title=...) wins over ours.
    title = str(raw.get("title") or "")
    return FieldSpec(
        key=key,
        label=title if title and title != key.replace("_", " ").title() else label_for(key),
        help_text=raw.get("description") or schema.get("description") or "",
        type=kind,
        required=required and not nullable,
        choices=tuple(str(c) for c in item.get("enum", ())),
        default=default,
        is_list=is_list,
        children=children,
    )


def _fields(schema: dict[str, Any], defs: dict[str, Any]) -> list[FieldSpec]:
    required = set(schema.get("required", ()))
    return [
        _field(key, prop, key in required, defs)
        for key, prop in schema.get("properties", {}).items()
    ]


def input_fields(model: type[BaseModel]) -> list[FieldSpec]:
    """The input fields of an action's input model, in declaration order.

    Args:
        model: A pydantic model.

    Returns:
        One FieldSpec per model field; `required` follows the model.
    """
    schema = model.model_json_schema(mode="validation")
    return _fields(schema, schema.get("$defs", {}))


def output_fields(model: type[BaseModel]) -> list[FieldSpec]:
    """The output fields of a trigger item or action result, as serialized to JSON.

    Args:
        model: A pydantic model.

    Returns:
        One FieldSpec per model field; `required` means always present and not null.
    """
    schema = model.model_json_schema(mode="serialization")
    return _fields(schema, schema.get("$defs", {}))


def camel_case(key: str) -> str:
    """A snake_case key in camelCase ("generate_invoice" → "generateInvoice")."""
    head, *rest = key.split("_")
    return head + "".join(word.capitalize() for word in rest)


def kebab_case(key: str) -> str:
    """A snake_case key in kebab-case ("generate_invoice" → "generate-invoice")."""
    return re.sub(r"_+", "-", key)
