"""Mobile numbers that receive one-time codes and links (A2, B2 via WhatsApp, O2, O3).

People type them every way: ``0812…``, ``812…`` (OSS asks for the number without the leading 0,
next to a separate country dialling code), ``+62 812…``. We store E.164 only, so the same number
always compares equal and the message gateway gets one format.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

from gerbang_sidecar.domain.identifiers._text import Field, prepare
from gerbang_sidecar.domain.identifiers.errors import IdentifierError
from gerbang_sidecar.domain.masking import mask

FIELD = Field("phone")
INDONESIA_DIAL_CODE = 62
MIN_DIGITS = 10  # B2
MAX_DIGITS = 15  # B2; also the E.164 maximum
_MOBILE_TYPES = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})
# Letters would be read as a vanity number (ABC = 222) by phonenumbers; refuse them instead.
_ALLOWED_RE = re.compile(r"\+?[0-9 ()./-]+")
_DIAL_CODE_RE = re.compile(r"\+?([0-9]{1,3})")
_NON_GEOGRAPHIC = phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY  # +800 and the like


@dataclass(frozen=True, slots=True, repr=False)
class MobileNumber:
    e164: str
    country_code: int
    region: str  # ISO 3166-1 alpha-2 of the number's country

    @property
    def is_indonesian(self) -> bool:
        return self.country_code == INDONESIA_DIAL_CODE

    @property
    def national_format(self) -> str:
        """For display to the user, e.g. ``0812-3456-7890``."""
        return phonenumbers.format_number(phonenumbers.parse(self.e164), PhoneNumberFormat.NATIONAL)

    @property
    def international_format(self) -> str:
        return phonenumbers.format_number(
            phonenumbers.parse(self.e164), PhoneNumberFormat.INTERNATIONAL
        )

    def __repr__(self) -> str:
        return f"MobileNumber({mask(self.e164)})"

    __str__ = __repr__


def parse_mobile_number(
    raw: str | None,
    *,
    dial_code: int | str = INDONESIA_DIAL_CODE,
    allow_foreign: bool = False,
) -> MobileNumber:
    """Turn a typed mobile number into E.164.

    ``dial_code`` is the country chosen beside the number (O2's "Negara Asal", default +62); it
    is ignored when the number itself starts with ``+``. Foreign numbers are refused unless
    ``allow_foreign`` (passport holders, A3/O3).
    """
    region = _region_for_dial_code(dial_code)
    text = prepare(raw, FIELD, MAX_DIGITS + 10)
    if not _ALLOWED_RE.fullmatch(text):
        raise FIELD.error("format")
    if sum(ch.isdigit() for ch in text) > MAX_DIGITS:
        raise _length_error()
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException:
        raise _invalid() from None

    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason in (
        phonenumbers.ValidationResult.TOO_SHORT,
        phonenumbers.ValidationResult.TOO_LONG,
        phonenumbers.ValidationResult.INVALID_LENGTH,
    ):
        raise _length_error()
    if not phonenumbers.is_valid_number(number):
        raise _invalid()

    e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    if not MIN_DIGITS <= len(e164) - 1 <= MAX_DIGITS:
        raise _length_error()
    country_code = number.country_code
    if country_code != INDONESIA_DIAL_CODE and not allow_foreign:
        raise FIELD.error("foreign_not_allowed")
    if phonenumbers.number_type(number) not in _MOBILE_TYPES:
        raise FIELD.error("not_mobile")
    return MobileNumber(
        e164=e164,
        country_code=country_code,
        region=phonenumbers.region_code_for_number(number) or "",
    )


def _region_for_dial_code(dial_code: int | str) -> str:
    match = _DIAL_CODE_RE.fullmatch(str(dial_code).strip())
    region = phonenumbers.region_code_for_country_code(int(match.group(1))) if match else None
    if region in (None, phonenumbers.UNKNOWN_REGION, _NON_GEOGRAPHIC):
        raise IdentifierError("dial_code.invalid")
    return region


def _length_error() -> IdentifierError:
    return FIELD.error("length", min=MIN_DIGITS, max=MAX_DIGITS)


def _invalid() -> IdentifierError:
    return FIELD.error("invalid")
