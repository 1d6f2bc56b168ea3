"""Job forms: the built-in defaults and how answers are checked against a form."""

from __future__ import annotations

import pytest

from actions.capture import (
    DEFAULT_FORMS,
    FieldType,
    FormField,
    JobForm,
    check_answers,
    default_form,
    normalize_job_type,
)
from actions.errors import InputError

FORM = JobForm("inspection", (
    FormField("panel_rating_amps", "Panel rating (A)", FieldType.NUMBER, required=True),
    FormField("gfci_ok", "GFCI tested", FieldType.BOOLEAN, required=True),
    FormField("condition", "Condition", FieldType.CHOICE, choices=("good", "fair", "poor")),
    FormField("remarks", "Remarks", FieldType.TEXT),
))


def test_default_forms_require_what_each_job_type_needs() -> None:
    required = {t: [f.key for f in form.fields if f.required] for t, form in DEFAULT_FORMS.items()}
    assert required == {"repair": ["diagnosis", "work_performed"], "maintenance": ["checklist_complete"],
                        "install": ["serial_number"]}
    assert default_form(" Install ").job_type == "install"
    assert default_form("Gutter cleaning") == JobForm("gutter cleaning", ())
    assert normalize_job_type("  HVAC   Repair ") == "hvac repair"


def test_answers_are_typed_as_their_fields() -> None:
    answers = {"panel_rating_amps": "200", "gfci_ok": "Yes", "condition": "FAIR", "remarks": 42}
    assert check_answers(FORM, answers) == {"panel_rating_amps": 200, "gfci_ok": True, "condition": "fair",
                                            "remarks": "42"}
    assert check_answers(FORM, {"panel_rating_amps": 12.5, "gfci_ok": False})["panel_rating_amps"] == 12.5
    assert check_answers(FORM, {"panel_rating_amps": "0.5", "gfci_ok": 0, "remarks": " "}) == {
        "panel_rating_amps": 0.5, "gfci_ok": False}


@pytest.mark.parametrize(("answers", "field", "words"), [
    ({"gfci_ok": True}, "answers.panel_rating_amps", "required by the inspection form"),
    ({"panel_rating_amps": "", "gfci_ok": True}, "answers.panel_rating_amps", "required"),
    ({"panel_rating_amps": "lots", "gfci_ok": True}, "answers.panel_rating_amps", "must be a number"),
    ({"panel_rating_amps": True, "gfci_ok": True}, "answers.panel_rating_amps", "must be a number"),
    ({"panel_rating_amps": "NaN", "gfci_ok": True}, "answers.panel_rating_amps", "finite"),
    ({"panel_rating_amps": 100, "gfci_ok": "maybe"}, "answers.gfci_ok", "yes or no"),
    ({"panel_rating_amps": 100, "gfci_ok": 1, "condition": "awful"}, "answers.condition", "good, fair, poor"),
    ({"panel_rating_amps": 100, "gfci_ok": 1, "remarks": ["a"]}, "answers.remarks", "must be text"),
    ({"panel_rating_amps": 100, "gfci_ok": 1, "colour": "red"}, "answers.colour", "not a question"),
])
def test_a_bad_answer_is_refused_naming_it(answers: dict[str, object], field: str, words: str) -> None:
    with pytest.raises(InputError) as caught:
        check_answers(FORM, answers)
    assert caught.value.field == field
    assert words in caught.value.message


def test_every_problem_is_listed_and_the_first_one_named() -> None:
    with pytest.raises(InputError) as caught:
        check_answers(DEFAULT_FORMS["repair"], {"follow_up_needed": "perhaps"})
    assert caught.value.field == "answers.diagnosis"
    message = caught.value.message
    assert "answers.diagnosis" in message and "answers.work_performed" in message
    assert "answers.follow_up_needed" in message
