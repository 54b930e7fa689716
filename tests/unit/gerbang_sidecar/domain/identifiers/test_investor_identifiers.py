"""A3, A4, A7 and O3: SID and passport numbers."""

import pytest

from gerbang_sidecar.domain.identifiers import IdentifierError, parse_passport, parse_sid


def test_a4_sid_institution_domestic() -> None:
    sid = parse_sid("cpd-123456-789012")
    assert sid.value == "CPD123456789012"
    assert sid.investor_type == "CP"
    assert sid.is_domestic and not sid.is_foreign
    assert not sid.is_individual


def test_a4_the_manuals_own_sid_example_is_valid() -> None:
    # AKSes manual: letters may follow the domestic/foreign letter.
    sid = parse_sid("IDF1502N4661537")
    assert sid.value == "IDF1502N4661537" and sid.is_individual and sid.is_foreign
    assert parse_sid("idd15084512345a").value == "IDD15084512345A"


def test_a4_sid_individual_foreign() -> None:
    sid = parse_sid("IDF150845123456")
    assert sid.is_individual
    assert sid.is_foreign


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "sid.required"),
        ("IDD15084512345", "sid.length"),
        ("IDX150845123456", "sid.format"),  # neither D nor F
        ("1DD150845123456", "sid.format"),
        ("ІDD150845123456", "sid.format"),  # Cyrillic І
    ],
)
def test_a4_sid_rejections(raw: str, code: str) -> None:
    with pytest.raises(IdentifierError) as caught:
        parse_sid(raw)
    assert caught.value.code == code


@pytest.mark.parametrize("raw", ["X1234567", "b 123456", "AB1234567", "c-1234567"])
def test_o3_indonesian_passport_letters_then_digits(raw: str) -> None:
    passport = parse_passport(raw)
    assert passport.number == raw.replace(" ", "").replace("-", "").upper()
    assert passport.is_indonesian


@pytest.mark.parametrize("raw", ["12345678", "ABC12345", "1234567", "X12345", "ABC1234567"])
def test_o3_indonesian_passport_rejects_other_shapes(raw: str) -> None:
    with pytest.raises(IdentifierError) as caught:
        parse_passport(raw, issuing_country="ID")
    assert caught.value.code == "passport.format"


@pytest.mark.parametrize("raw", ["123456789", "k1234567", "AB12C3", "ZZ1234567"])
def test_a3_foreign_passport_six_to_nine_alphanumerics(raw: str) -> None:
    passport = parse_passport(raw, issuing_country="sg")
    assert passport.number == raw.upper()
    assert passport.issuing_country == "SG"
    assert not passport.is_indonesian


@pytest.mark.parametrize("raw", ["12345", "1234567890", "AB12#34", "ÄB123456"])
def test_a3_foreign_passport_rejections(raw: str) -> None:
    with pytest.raises(IdentifierError) as caught:
        parse_passport(raw, issuing_country="DE")
    assert caught.value.code == "passport.format"


def test_o3_passport_issuing_country_must_be_iso_code() -> None:
    with pytest.raises(IdentifierError) as caught:
        parse_passport("X1234567", issuing_country="Indonesia")
    assert caught.value.code == "passport_country.invalid"


def test_x3_passport_repr_hides_the_number() -> None:
    assert "X123" not in repr(parse_passport("X1234567"))
