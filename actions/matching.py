"""How searches match what a Zap or scenario passes them: phone digits, emails, "at least one criterion".

The stores (SQL and fake) apply the same rules: names match case-insensitively anywhere in the name,
emails case-insensitively as a whole, phones by their digits (a stored phone matches when its
digits end with the last ten digits given, so "+1 (512) 555-0142" finds "512.555.0142").
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

from pydantic import AfterValidator, BaseModel, ConfigDict, model_validator

if TYPE_CHECKING:
    from collections.abc import Iterable

#: Fewer digits than this is not a phone number (it would match half the customer list).
MIN_PHONE_DIGITS = 7
#: The digits compared: the national number, whatever country code or formatting came with it.
PHONE_MATCH_DIGITS = 10
#: The most results one search answers with; the default is smaller (Zapier uses only the first).
MAX_RESULTS = 100
DEFAULT_RESULTS = 10

_NOT_DIGIT = re.compile(r"\D")


def digits(value: str | None) -> str:
    """The digits of a phone number, in order ("" for None)."""
    return _NOT_DIGIT.sub("", value or "")


def phone_key(value: str) -> str:
    """The digits a phone search compares (the last ten).

    Raises:
        ValueError: Fewer than MIN_PHONE_DIGITS digits.
    """
    found = digits(value)
    if len(found) < MIN_PHONE_DIGITS:
        raise ValueError(f"a phone number has at least {MIN_PHONE_DIGITS} digits")
    return found[-PHONE_MATCH_DIGITS:]


def phone_matches(stored: str | None, key: str) -> bool:
    """Whether a stored phone matches a `phone_key`."""
    return bool(stored) and digits(stored).endswith(key)


def email_key(value: str) -> str:
    """An email address as searches compare it (lower case).

    Raises:
        ValueError: Not an address.
    """
    value = value.strip().lower()
    if "@" not in value.strip("@"):
        raise ValueError("an email address has the form name@example.com")
    return value


def contains(stored: str | None, needle: str) -> bool:
    """Case-insensitive "contains", as the SQL store's LIKE does it."""
    return bool(stored) and needle.lower() in (stored or "").lower()


def require_one(data: Any, names: Iterable[str]) -> None:
    """Refuses a search with no criterion at all (it would match everything).

    Raises:
        ValueError: Every one of `names` is empty.
    """
    names = list(names)
    if all(getattr(data, name) in (None, "") for name in names):
        raise ValueError(f"give at least one of: {', '.join(names)}")


def drop_empty(data: Any) -> Any:
    """The input without empty values: a field left blank in a Zap or scenario means "any"."""
    if isinstance(data, dict):
        return {key: value for key, value in data.items() if value is not None and value != ""}
    return data


#: A phone criterion, kept as the digits it is compared by.
PhoneKey = Annotated[str, AfterValidator(phone_key)]
#: An email criterion, kept as it is compared (lower case).
EmailKey = Annotated[str, AfterValidator(email_key)]


class SearchCriteria(BaseModel):
    """The base of every search input: blank fields mean "any", and at least one criterion is given."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    #: The fields that narrow the search (`limit` and the like are not criteria).
    CRITERIA: ClassVar[tuple[str, ...]] = ()

    @model_validator(mode="before")
    @classmethod
    def _blank_is_any(cls, data: Any) -> Any:
        return drop_empty(data)

    @model_validator(mode="after")
    def _some_criterion(self) -> SearchCriteria:
        require_one(self, self.CRITERIA)
        return self
