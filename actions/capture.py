"""On-site capture vocabulary: job forms (per tenant and job type, with built-in defaults) and captures.

A job form lists the answers a technician gives when completing a job of one type. Tenants set
their own with the `set_job_form` action; until they do, the built-in form of the job type
applies (`DEFAULT_FORMS`), and a job type with neither gets an empty form (nothing required).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from actions.errors import InputError

if TYPE_CHECKING:
    from datetime import datetime

    from triggers.canonical import PartUsed

#: A form field's key: what the `answers` of a capture are keyed by.
FIELD_KEY = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
MAX_TEXT_ANSWER = 5000
TRUE_WORDS = frozenset({"true", "yes", "y", "1", "on"})
FALSE_WORDS = frozenset({"false", "no", "n", "0", "off"})


class FieldType(enum.StrEnum):
    """What an answer must be."""

    TEXT = "text"
    NUMBER = "number"
    BOOLEAN = "boolean"
    CHOICE = "choice"


@dataclass(frozen=True)
class FormField:
    """One question of a job form.

    Attributes:
        key: The answer's key (snake_case).
        label: The question as the technician reads it.
        type: text, number, boolean or choice.
        required: Whether a capture without it is refused.
        choices: The allowed answers of a choice field.
    """

    key: str
    label: str
    type: FieldType
    required: bool = False
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class JobForm:
    """The form of one job type.

    Attributes:
        job_type: The job type it applies to (lower case).
        fields: Its questions, in order.
        signature_required: Whether a capture needs the customer's signature.
        source: "tenant" (set by the tenant) or "default" (built in).
        updated_at: When the tenant last set it (None for built-in forms).
    """

    job_type: str
    fields: tuple[FormField, ...]
    signature_required: bool = False
    source: str = "default"
    updated_at: datetime | None = None


@dataclass(frozen=True)
class CaptureDraft:
    """What one `record_job_completion` call captured, checked and ready to store.

    Attributes:
        job_id: The job.
        job_type: The job type whose form the answers were checked against.
        idempotency_key: The run's key: one capture per job and key.
        run_id: The run that recorded it.
        content_hash: Digest of the captured content; an identical capture is not stored twice.
        answers: The form answers, typed.
        signature: `{"image_url", "signer_name", "signed_at"}` (JSON-ready), or None.
        notes: The completion notes (None: none given).
        arrived_at: Arrival on site (UTC), as given or as the job had it.
        departed_at: Departure from site (UTC), as given or derived.
        minutes_on_site: Time on site in minutes.
        photos: Photos and asset records, JSON-ready, each with `distance_m` and `flags`.
        parts: Parts used, JSON-ready (None: none given, the job's parts stay).
        visit: `{"start", "end", "basis"}` the photos were checked against, or None.
        recorded_at: When Backbone recorded it (UTC).
    """

    job_id: str
    job_type: str
    idempotency_key: str
    run_id: str | None
    content_hash: str
    answers: dict[str, Any]
    signature: dict[str, Any] | None
    notes: str | None
    arrived_at: datetime | None
    departed_at: datetime | None
    minutes_on_site: int | None
    photos: list[dict[str, Any]]
    parts: list[dict[str, Any]] | None
    visit: dict[str, Any] | None
    recorded_at: datetime


@dataclass(frozen=True)
class StoredCapture:
    """A capture as stored: the latest one of a job is current, earlier ones are its history.

    Attributes:
        id: Backbone capture id.
        revision: 1 for the job's first capture, then 2, 3, ...
        replaces_id: The capture this one superseded, if any.
        draft: What was captured.
    """

    id: str
    revision: int
    replaces_id: str | None
    draft: CaptureDraft


@dataclass(frozen=True)
class JobCompletion:
    """What a capture changes on the job.

    Attributes:
        job_id: The job.
        completed_at: Completion time, used only when the job is not completed yet.
        arrived_at: Arrival time, used only when the job has none.
        notes: New completion notes (None: keep the job's).
        parts: The parts used, replacing the job's (None: keep the job's).
    """

    job_id: str
    completed_at: datetime
    arrived_at: datetime | None
    notes: str | None
    parts: tuple[PartUsed, ...] | None


def _field(key: str, label: str, kind: FieldType, *, required: bool = False,
           choices: tuple[str, ...] = ()) -> FormField:
    return FormField(key=key, label=label, type=kind, required=required, choices=choices)


#: The built-in forms, by job type, for tenants that have not set their own.
DEFAULT_FORMS: dict[str, JobForm] = {
    form.job_type: form
    for form in (
        JobForm("repair", (
            _field("diagnosis", "Diagnosis", FieldType.TEXT, required=True),
            _field("work_performed", "Work performed", FieldType.TEXT, required=True),
            _field("follow_up_needed", "Follow-up visit needed", FieldType.BOOLEAN),
        )),
        JobForm("maintenance", (
            _field("checklist_complete", "Maintenance checklist complete", FieldType.BOOLEAN, required=True),
            _field("system_condition", "System condition", FieldType.CHOICE, choices=("good", "fair", "poor")),
            _field("recommendations", "Recommendations", FieldType.TEXT),
        )),
        JobForm("install", (
            _field("serial_number", "Serial number of the installed unit", FieldType.TEXT, required=True),
            _field("model_number", "Model number", FieldType.TEXT),
            _field("permit_number", "Permit number", FieldType.TEXT),
        )),
    )
}


def normalize_job_type(job_type: str) -> str:
    """The key forms are stored under: trimmed, lower case ("Repair " → "repair").

    Args:
        job_type: A job type as the field-service system names it.

    Returns:
        The normalized job type.
    """
    return " ".join(job_type.split()).lower()


def default_form(job_type: str) -> JobForm:
    """The built-in form of a job type; an empty form (nothing required) for unknown types.

    Args:
        job_type: Any job type.

    Returns:
        The form.
    """
    key = normalize_job_type(job_type)
    return DEFAULT_FORMS.get(key) or JobForm(key, ())


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _number(value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise ValueError("must be a number")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"must be a number (got {str(value)[:40]!r})") from None
    if not number.is_finite():
        raise ValueError("must be a finite number")
    return int(number) if number == number.to_integral_value() else float(number)


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    word = str(value).strip().lower() if isinstance(value, str) else ""
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError("must be yes or no (true or false)")


def _choice(field: FormField, value: Any) -> str:
    if isinstance(value, str):
        wanted = value.strip().lower()
        for choice in field.choices:
            if choice.lower() == wanted:
                return choice
    raise ValueError(f"must be one of: {', '.join(field.choices)}")


def _text(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise ValueError("must be text")
    text = str(value).strip()
    if len(text) > MAX_TEXT_ANSWER:
        raise ValueError(f"must be at most {MAX_TEXT_ANSWER} characters")
    return text


def coerce_answer(field: FormField, value: Any) -> Any:
    """The answer as its field's type (form tools and Zapier send text; "12.5", "yes" are accepted).

    Args:
        field: The form field.
        value: The raw answer (not blank).

    Returns:
        str for text and choice, int or float for number, bool for boolean.

    Raises:
        ValueError: The answer does not fit the type; the message says how.
    """
    if field.type == FieldType.NUMBER:
        return _number(value)
    if field.type == FieldType.BOOLEAN:
        return _boolean(value)
    if field.type == FieldType.CHOICE:
        return _choice(field, value)
    return _text(value)


def check_answers(form: JobForm, answers: dict[str, Any]) -> dict[str, Any]:
    """The answers checked against the form: required ones present, each of its type, no strangers.

    Args:
        form: The job type's form.
        answers: Raw answers by field key.

    Returns:
        The non-blank answers, typed, in the form's order.

    Raises:
        InputError: Naming the first bad answer as `answers.<key>`; the message lists every problem.
    """
    known = {field.key for field in form.fields}
    problems: list[tuple[str, str]] = []
    checked: dict[str, Any] = {}
    for field in form.fields:
        value = answers.get(field.key)
        if _blank(value):
            if field.required:
                problems.append((f"answers.{field.key}", f"required by the {form.job_type} form ({field.label})"))
            continue
        try:
            checked[field.key] = coerce_answer(field, value)
        except ValueError as exc:
            problems.append((f"answers.{field.key}", f"{field.label} {exc}"))
    problems += [
        (f"answers.{key}", f"not a question of the {form.job_type or 'job'} form"
                           f" (its fields: {', '.join(sorted(known)) or 'none'})")
        for key in answers if key not in known
    ]
    if problems:
        detail = "; ".join(f"{path}: {message}" for path, message in problems)
        raise InputError(problems[0][0], f"The {form.job_type or 'job'} form is not filled in right: {detail}.")
    return checked
