"""Neutral field descriptions to Zapier input and output fields, and the body shape of a create.

Zapier's form has one level of nesting: a field with `children` is a group of line items. A
single nested object is shown as such a group too; `body_shape` tells the generated `perform`
to send its first line as an object. Date-only inputs are `datetime` fields (a date picker
that also takes "today" or "next monday"), sent as their first ten characters (YYYY-MM-DD).
"""

from __future__ import annotations

from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Any, Literal

from manifests.fields import label_for

if TYPE_CHECKING:
    from collections.abc import Iterable

    from manifests.fields import FieldSpec, FieldType

#: Zapier's input field type for each neutral type ("object" is a dict or line items).
INPUT_TYPES: dict[FieldType, str] = {
    "string": "string",
    "text": "text",
    "integer": "integer",
    "number": "number",
    "boolean": "boolean",
    "datetime": "datetime",
    "date": "datetime",
}
#: Zapier's output field type for each neutral type (its output types have no text or date).
OUTPUT_TYPES: dict[FieldType, str] = {
    "string": "string",
    "text": "string",
    "integer": "integer",
    "number": "number",
    "boolean": "boolean",
    "datetime": "datetime",
    "date": "string",
}
HELP_TEXT_MAX = 1000  # Zapier's limit on helpText

#: How `perform` puts one input into the body: as given, as a date, as line items, as one object.
Kind = Literal["value", "date", "lines", "object"]


class UnsupportedFieldError(ValueError):
    """An input model shape the Zapier form cannot express (objects nested two levels deep)."""


def _default(value: Any) -> str | None:
    """Zapier defaults are non-empty strings; lists and objects have none."""
    if value is None or isinstance(value, list | dict | tuple):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, int | float | Decimal | str):
        return str(value) or None
    return None


def _help(text: str) -> str | None:
    text = text.strip()
    if not text:
        return None
    return text if len(text) <= HELP_TEXT_MAX else text[: HELP_TEXT_MAX - 1] + "…"


def input_field(spec: FieldSpec, *, parent: str | None = None) -> dict[str, Any]:
    """One Zapier input field.

    Args:
        spec: The neutral field.
        parent: The key of the line-item group holding this field, if any.

    Returns:
        A PlainInputFieldSchema object.

    Raises:
        UnsupportedFieldError: The field nests objects deeper than one level of line items.
    """
    field: dict[str, Any] = {"key": spec.key, "label": spec.label, "required": spec.required}
    if spec.children:
        if parent is not None:
            raise UnsupportedFieldError(
                f"{parent}.{spec.key}: Zapier line items hold plain fields only, not nested objects"
            )
        # Zapier forbids type, helpText, default and list beside children (a group is always a list).
        field["children"] = [input_field(child, parent=spec.key) for child in spec.children]
        return field
    if spec.type == "object":
        if spec.is_list:
            raise UnsupportedFieldError(f"{spec.key!r}: a list of free-form objects has no Zapier field")
        field["dict"] = True
    else:
        field["type"] = INPUT_TYPES[spec.type]
        if spec.is_list:
            field["list"] = True
    help_text = _help(spec.help_text)
    if help_text:
        field["helpText"] = help_text
    if spec.choices:
        field["choices"] = [{"value": c, "label": label_for(c), "sample": c} for c in spec.choices]
    default = _default(spec.default)
    if default is not None and not spec.is_list:
        field["default"] = default
    return field


def output_field(spec: FieldSpec) -> dict[str, Any]:
    """One Zapier output field (objects keep their children; free-form objects get no type).

    Args:
        spec: The neutral field.

    Returns:
        A PlainOutputFieldSchema object.
    """
    field: dict[str, Any] = {"key": spec.key, "label": spec.label}
    if spec.children:
        field["children"] = [output_field(child) for child in spec.children]
    elif spec.type != "object":
        field["type"] = OUTPUT_TYPES[spec.type]
    if spec.is_list:
        field["list"] = True
    return field


def _kind(spec: FieldSpec) -> Kind:
    if spec.children:
        return "lines" if spec.is_list else "object"
    return "date" if spec.type == "date" else "value"


def body_shape(specs: Iterable[FieldSpec]) -> list[list[Any]]:
    """What the generated `perform` needs to turn `bundle.inputData` into the request body.

    Args:
        specs: The input fields of an action.

    Returns:
        `[key, kind]` per field, `[key, kind, children]` for line items and objects; fields not
        listed here never reach the API (the input models refuse unknown fields).
    """
    shape: list[list[Any]] = []
    for spec in specs:
        kind = _kind(spec)
        shape.append([spec.key, kind, body_shape(spec.children)] if spec.children else [spec.key, kind])
    return shape
