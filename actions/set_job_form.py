"""Action (fast): sets the form technicians fill in when completing a job of one type."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from actions.capture import FIELD_KEY, FieldType, FormField, JobForm, default_form, normalize_job_type
from actions.errors import InputError
from actions.spec import ActionSpec, Weight

if TYPE_CHECKING:
    from actions.context import Context

MAX_FIELDS = 50


def _choices(value: Any) -> Any:
    """Choices as a list; Zapier line items send them as comma-separated text."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class FormFieldInput(BaseModel):
    """One question of the form."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    key: str = Field(min_length=1, max_length=60, description="The answer's key: lower case letters, digits and "
                     "underscores, starting with a letter (e.g. serial_number).")
    label: str | None = Field(None, max_length=200, description="The question as the technician reads it "
                              "(default: from the key).")
    type: FieldType = Field(FieldType.TEXT, description="text, number, boolean (yes/no) or choice.")
    required: bool = Field(False, description="Refuse a completion without this answer.")
    choices: Annotated[list[str], BeforeValidator(_choices)] = Field(
        default_factory=list, max_length=50, description="For a choice field: the allowed answers (comma-separated "
        "as text).")


class SetJobFormInput(BaseModel):
    """The job type and its form."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    job_type: str = Field(min_length=1, max_length=60, description="The job type the form is for (repair, "
                          "maintenance, install, or your field-service system's own types).")
    fields: list[FormFieldInput] = Field(default_factory=list, max_length=MAX_FIELDS, description="The form's "
                                         "questions, in order (none: nothing is asked).")
    signature_required: bool = Field(False, description="Refuse a completion without the customer's signature.")
    use_default: bool = Field(False, description="Drop your form and go back to Backbone's built-in one for this "
                              "job type.")


class FormFieldOutput(BaseModel):
    """One question of the form."""

    key: str = Field(description="The answer's key.")
    label: str = Field(description="The question.")
    type: FieldType = Field(description="text, number, boolean or choice.")
    required: bool = Field(description="Whether a completion needs it.")
    choices: list[str] = Field(description="The allowed answers of a choice field.")


class SetJobFormOutput(BaseModel):
    """The form now in force for the job type."""

    job_type: str = Field(description="The job type (lower case).")
    source: str = Field(description="tenant (your own form) or default (Backbone's built-in one).")
    signature_required: bool = Field(description="Whether a completion needs the customer's signature.")
    fields: list[FormFieldOutput] = Field(description="The form's questions.")
    updated_at: datetime | None = Field(description="When you last set it (UTC); empty for a built-in form.")


def _form_field(n: int, field: FormFieldInput) -> FormField:
    if not FIELD_KEY.match(field.key):
        raise InputError(f"fields.{n}.key", f"{field.key!r}: use lower case letters, digits and underscores, "
                                            "starting with a letter.")
    choices = tuple(dict.fromkeys(field.choices))
    if field.type == FieldType.CHOICE and not choices:
        raise InputError(f"fields.{n}.choices", f"{field.key} is a choice field: list its choices.")
    if field.type != FieldType.CHOICE and choices:
        raise InputError(f"fields.{n}.choices", f"{field.key} is a {field.type.value} field: choices are only for "
                                                "choice fields.")
    if any(len(choice) > 100 for choice in choices):
        raise InputError(f"fields.{n}.choices", "Each choice is at most 100 characters.")
    label = field.label or field.key.replace("_", " ").capitalize()
    return FormField(key=field.key, label=label, type=field.type, required=field.required, choices=choices)


def form_from_input(data: SetJobFormInput) -> JobForm:
    """The form the input describes, checked.

    Args:
        data: The validated input.

    Returns:
        The tenant's form for the job type.

    Raises:
        InputError: A key is badly formed or repeated, or choices do not fit the field's type.
    """
    fields: list[FormField] = []
    for n, field in enumerate(data.fields):
        if any(f.key == field.key for f in fields):
            raise InputError(f"fields.{n}.key", f"{field.key} is in the form twice.")
        fields.append(_form_field(n, field))
    return JobForm(job_type=normalize_job_type(data.job_type), fields=tuple(fields),
                   signature_required=data.signature_required, source="tenant")


def _output(form: JobForm) -> SetJobFormOutput:
    return SetJobFormOutput(
        job_type=form.job_type, source=form.source, signature_required=form.signature_required,
        fields=[FormFieldOutput(key=f.key, label=f.label, type=f.type, required=f.required, choices=list(f.choices))
                for f in form.fields],
        updated_at=form.updated_at,
    )


def run(ctx: Context, data: SetJobFormInput) -> SetJobFormOutput:
    """Stores the tenant's form for a job type (or drops it, back to the built-in form).

    Args:
        ctx: The call's context.
        data: The validated input.

    Returns:
        The form now in force.

    Raises:
        InputError: The form is not well-formed (the field is named), or `use_default` came with fields.
    """
    job_type = normalize_job_type(data.job_type)
    if data.use_default:
        if data.fields:
            raise InputError("fields", "Leave the fields empty to go back to the built-in form.")
        ctx.store.delete_job_form(job_type)
        return _output(default_form(job_type))
    return _output(ctx.store.save_job_form(form_from_input(data), ctx.run_id))


SAMPLE = SetJobFormOutput(
    job_type="install",
    source="tenant",
    signature_required=True,
    fields=[
        FormFieldOutput(key="serial_number", label="Serial number", type=FieldType.TEXT, required=True, choices=[]),
        FormFieldOutput(key="refrigerant_charge_lbs", label="Refrigerant charge (lbs)", type=FieldType.NUMBER,
                        required=True, choices=[]),
        FormFieldOutput(key="permit_pulled", label="Permit pulled", type=FieldType.BOOLEAN, required=False,
                        choices=[]),
        FormFieldOutput(key="efficiency_tier", label="Efficiency tier", type=FieldType.CHOICE, required=False,
                        choices=["standard", "high", "premium"]),
    ],
    updated_at=datetime(2026, 11, 20, 9, 30, tzinfo=UTC),
)

ACTION = ActionSpec(
    key="set_job_form",
    noun="Job Form",
    label="Set Job Form",
    help_text="Sets the questions technicians must answer when completing a job of one type (checked by Record "
    "Job Completion).",
    input=SetJobFormInput,
    output=SetJobFormOutput,
    sample=SAMPLE,
    weight=Weight.FAST,
    run=run,
)
