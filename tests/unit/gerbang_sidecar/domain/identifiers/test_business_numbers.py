"""I1: NIB, NPWP and the responsible person's NIK identify an INSW organisation."""

import pytest

from gerbang_sidecar.domain.identifiers import IdentifierError, parse_nib, parse_npwp
from gerbang_sidecar.texts import message


def test_i1_npwp_legacy_15_digits_with_formatting() -> None:
    npwp = parse_npwp("01.312.166.0-091.000")
    assert npwp.value == "013121660091000"
    assert npwp.is_legacy
    assert npwp.formatted == "01.312.166.0-091.000"
    assert npwp.npwp16 == "0013121660091000"


def test_i1_npwp_16_digit_form_with_leading_zero() -> None:
    npwp = parse_npwp("0013121660091000")
    assert not npwp.is_legacy
    assert not npwp.is_nik_based
    assert npwp.npwp16 == "0013121660091000"
    assert npwp.npwp16 == parse_npwp("013121660091000").npwp16


def test_i1_npwp_16_digit_form_is_a_nik() -> None:
    npwp = parse_npwp("3171011708450001")
    assert npwp.is_nik_based
    assert parse_npwp("6571011708450001").is_nik_based  # Kalimantan Utara


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "npwp.required"),
        ("01.312.166.1-091.000", "npwp.checksum"),
        ("0013121661091000", "npwp.checksum"),
        ("12345", "npwp.length"),
        ("01.312.166.0-091.00A", "npwp.format"),
        ("9971011708450001", "npwp.nik"),
        ("00.000.000.0-000.000", "npwp.invalid"),
    ],
)
def test_i1_npwp_rejections(raw: str, code: str) -> None:
    with pytest.raises(IdentifierError) as caught:
        parse_npwp(raw)
    assert caught.value.code == code


def test_i1_nib_is_13_digits() -> None:
    assert parse_nib(" 1234567890123 ").value == "1234567890123"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (None, "nib.required"),
        ("123456789012", "nib.length"),
        ("12345678901234", "nib.length"),
        ("123456789012A", "nib.format"),
        ("0000000000000", "nib.invalid"),
    ],
)
def test_i1_nib_rejections(raw: str | None, code: str) -> None:
    with pytest.raises(IdentifierError) as caught:
        parse_nib(raw)
    assert caught.value.code == code
    assert message(caught.value, "en").startswith(("NIB", "The NIB"))
