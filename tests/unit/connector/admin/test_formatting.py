from __future__ import annotations

import pytest

from connector.admin.formatting import duration, error_summary, excerpt, pretty_json


@pytest.mark.parametrize(
    ("ms", "text"),
    [(None, ""), (0, "0 ms"), (850, "850 ms"), (1000, "1.0 s"), (2400, "2.4 s"), (185_000, "3 min 5 s")],
)
def test_duration_reads_like_a_person_would_say_it(ms, text) -> None:
    assert duration(ms) == text


def test_excerpt_flattens_and_cuts_with_an_ellipsis() -> None:
    assert excerpt(None) == ""
    assert excerpt("a\n  b") == "a b"
    assert excerpt("x" * 20, 10) == "x" * 9 + "…"


def test_error_summary_is_code_then_message() -> None:
    assert error_summary(None) == ""
    assert error_summary({"code": "upstream_unavailable", "message": "Down."}) == "upstream_unavailable: Down."
    assert error_summary({"code": "internal_error"}) == "internal_error"


def test_pretty_json_is_indented_and_sorted() -> None:
    assert pretty_json({"b": 1, "a": "é"}) == '{\n  "a": "é",\n  "b": 1\n}'
    assert pretty_json(None) == ""
