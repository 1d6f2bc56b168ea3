"""FieldSpecs to Make parameters: mappable parameters from input models, interfaces from outputs.

Make's parameter syntax (`name`, `type`, `label`, `help`, `required`, `spec`, `options`) is the
one `parameters.json` of Make's VS Code extension validates; both mappable parameters and
interfaces use it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable

    from manifests.fields import FieldSpec, FieldType

#: Neutral field types to Make parameter types (`date` carries a time unless told otherwise).
MAKE_TYPES: dict[FieldType, str] = {
    "string": "text",
    "text": "text",
    "integer": "integer",
    "number": "number",
    "boolean": "boolean",
    "datetime": "date",
    "date": "date",
    "object": "collection",
}


def _item(field: FieldSpec, *, for_input: bool) -> dict[str, Any]:
    """One value of the field (for a list: one element), without name and list wrapping."""
    item: dict[str, Any] = {"type": MAKE_TYPES[field.type]}
    if field.children:
        item["spec"] = [_parameter(child, for_input=for_input) for child in field.children]
    elif field.choices and for_input:
        item["type"] = "select"
        item["options"] = [{"label": choice, "value": choice} for choice in field.choices]
    if field.type == "date":
        item["time"] = False
    if field.type == "text" and for_input:
        item["multiline"] = True
    return item


def _parameter(field: FieldSpec, *, for_input: bool) -> dict[str, Any]:
    item = _item(field, for_input=for_input)
    if field.is_list:
        # An array of collections takes the collection's fields as `spec`; of scalars, one item.
        spec: Any = item["spec"] if field.children else {**item, "label": field.label}
        param: dict[str, Any] = {"type": "array", "spec": spec}
    else:
        param = item
    param = {"name": field.key, "label": field.label, **param}
    if field.help_text:
        param["help"] = field.help_text
    if for_input and field.required:
        param["required"] = True
    if for_input and field.default is not None:
        param["default"] = field.default
    return param


def mappable_parameters(fields: Iterable[FieldSpec]) -> list[dict[str, Any]]:
    """Make mappable parameters for an action's input fields.

    Args:
        fields: The input model's fields (`manifests.fields.input_fields`).

    Returns:
        One parameter per field, with `required`, `help`, `default` and select options.
    """
    return [_parameter(field, for_input=True) for field in fields]


def interface(fields: Iterable[FieldSpec]) -> list[dict[str, Any]]:
    """A Make interface (the output bundle's structure) for an output model's fields.

    Args:
        fields: The output model's fields (`manifests.fields.output_fields`).

    Returns:
        One parameter per field; date-times are typed `date` so Make parses them.
    """
    return [_parameter(field, for_input=False) for field in fields]
