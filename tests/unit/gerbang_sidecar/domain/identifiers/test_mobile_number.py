"""A2, B2, O2, O3: mobile numbers stored in E.164."""

import pytest

from gerbang_sidecar.domain.identifiers import IdentifierError, parse_mobile_number
from gerbang_sidecar.texts import message

E164 = "+6281234567890"


def test_a2_phone_with_leading_zero() -> None:
    number = parse_mobile_number("0812-3456-7890")
    assert number.e164 == E164
    assert number.is_indonesian
    assert number.region == "ID"
    assert number.national_format == "0812-3456-7890"


def test_o2_phone_without_leading_zero() -> None:
    assert parse_mobile_number("81234567890").e164 == E164
    assert parse_mobile_number("81234567890", dial_code="+62").e164 == E164
    assert parse_mobile_number("81234567890", dial_code="62").e164 == E164


@pytest.mark.parametrize("raw", ["+62 812 3456 7890", "+62-812-3456-7890", "6281234567890"])
def test_a2_phone_international_forms(raw: str) -> None:
    assert parse_mobile_number(raw).e164 == E164


def test_o3_foreign_mobile_allowed_for_passport_holders() -> None:
    number = parse_mobile_number("9123 4567", dial_code="+65", allow_foreign=True)
    assert number.e164 == "+6591234567"
    assert number.region == "SG"
    assert not number.is_indonesian
    assert parse_mobile_number("+65 9123 4567", allow_foreign=True).e164 == "+6591234567"


def test_a2_foreign_mobile_refused_unless_allowed() -> None:
    with pytest.raises(IdentifierError) as caught:
        parse_mobile_number("+65 9123 4567")
    assert caught.value.code == "phone.foreign_not_allowed"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "phone.required"),
        ("0812", "phone.length"),
        ("08123456789012345678", "phone.length"),
        ("0812-ABC-7890", "phone.format"),
        ("0812 3456 789O", "phone.format"),  # letter O, not zero
        ("021 1234567", "phone.not_mobile"),  # Jakarta landline
        ("0999 1234 5678", "phone.invalid"),
    ],
)
def test_b2_phone_rejections(raw: str, code: str) -> None:
    with pytest.raises(IdentifierError) as caught:
        parse_mobile_number(raw)
    assert caught.value.code == code


def test_b2_phone_length_message_states_10_to_15_digits() -> None:
    with pytest.raises(IdentifierError) as caught:
        parse_mobile_number("0812")
    assert message(caught.value) == "Nomor HP harus 10–15 digit."
    assert message(caught.value, "en") == "A mobile number must have 10–15 digits."


@pytest.mark.parametrize("dial_code", ["+999", "abc", "", 800])
def test_o2_unknown_dial_code_is_refused(dial_code: str | int) -> None:
    with pytest.raises(IdentifierError) as caught:
        parse_mobile_number("81234567890", dial_code=dial_code, allow_foreign=True)
    assert caught.value.code == "dial_code.invalid"


def test_x3_phone_repr_hides_the_number() -> None:
    assert "81234567" not in repr(parse_mobile_number("081234567890"))
