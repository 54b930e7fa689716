"""B17 passphrase rule, B14 products, B20 renewal window -- pure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gerbang_sidecar.domain.certificates.passphrase import check_passphrase
from gerbang_sidecar.domain.certificates.profiles import (
    Product,
    fitted,
    may_renew,
    person_subject,
    profile_for,
    renewal_opens,
    seal_subject,
    with_nik_masked,
)
from gerbang_sidecar.domain.identifiers import IdentifierError


@pytest.mark.parametrize("passphrase,code", [
    ("", "passphrase.required"), ("Ab1#", "passphrase.too_short"),
    ("abcdefg1#", "passphrase.needs_uppercase"), ("ABCDEFG1#", "passphrase.needs_lowercase"),
    ("Abcdefgh#", "passphrase.needs_digit"), ("Abcdefgh1", "passphrase.needs_special"),
    ("Abcdef1#[", "passphrase.forbidden_characters"),
    ("Abcdef1#]", "passphrase.forbidden_characters"),
    ("Abcdef1#^", "passphrase.forbidden_characters"),
    ("Abcdef1#\\", "passphrase.forbidden_characters"),
    ("Abcdéf1#x", "passphrase.not_ascii"),
])
def test_b17_passphrase_rule(passphrase: str, code: str) -> None:
    with pytest.raises(IdentifierError) as refused:
        check_passphrase(passphrase)
    assert refused.value.code == code
    assert not passphrase or passphrase not in str(refused.value.params)  # never carried


def test_b17_a_good_passphrase_and_its_confirmation() -> None:
    assert check_passphrase("Rahasia#2025x", "Rahasia#2025x") == "Rahasia#2025x"
    with pytest.raises(IdentifierError) as refused:
        check_passphrase("Rahasia#2025x", "Rahasia#2025y")
    assert refused.value.code == "passphrase_confirm.mismatch"


def test_b14_tls_is_not_yet_available_and_esign_names_the_person() -> None:
    with pytest.raises(ValueError):
        profile_for(Product.TLS)
    assert profile_for(Product.ESEAL).description == "eSeal"
    subject = person_subject("Agus Wijaya", "BSSN", "3174041503800005")
    assert (subject.common_name, subject.serial_number, subject.country) == (
        "AGUS WIJAYA", "PNOID-3174041503800005", "ID")


def test_x3_the_public_report_shows_the_subject_with_the_nik_masked() -> None:
    shown = with_nik_masked("Common Name: AGUS WIJAYA, Serial Number: PNOID-3174041503800005, "
                            "Organization: BSSN, Country: ID")
    assert "3174041503800005" not in shown
    assert "Serial Number: PNOID-************0005, Organization: BSSN" in shown
    seal = "Common Name: BSSN, Serial Number: SEAL-0f3e, Organization: BSSN"
    assert with_nik_masked(seal) == seal
    # Another CA's certificate may carry the NIK bare or after another prefix.
    assert with_nik_masked("Serial Number: IDCID-3174041503800005, User ID: 3174041503800005"
                           ) == "Serial Number: IDCID-************0005, User ID: ************0005"
    assert with_nik_masked("Serial Number: 31740415038000051") == \
        "Serial Number: 31740415038000051"  # not a NIK's length


def test_b20_b21_renewal_only_in_the_last_30_days_and_not_after_expiry() -> None:
    expires = datetime(2027, 6, 30, tzinfo=UTC)
    assert renewal_opens(expires) == datetime(2027, 5, 31, tzinfo=UTC)
    assert not may_renew(expires, expires - timedelta(days=31))
    assert may_renew(expires, expires - timedelta(days=30))
    assert may_renew(expires, expires - timedelta(seconds=1))
    assert not may_renew(expires, expires)


MINISTRY = "Kementerian Koordinator Bidang Pembangunan Manusia dan Kebudayaan"  # 65


@pytest.mark.parametrize("value,expected", [
    ("Agus  Wijaya", "Agus Wijaya"),
    ("Budi\nCN=evil\x00", "Budi CN=evil"),  # control characters never reach a subject
    (MINISTRY, "Kementerian Koordinator Bidang Pembangunan Manusia"),  # no hanging "dan"
    ("ANDI MUHAMMAD ABDURRAHMAN WAHID SYAIFUDDIN KUSUMAWARDHANA, S.KOM., M.SC.",
     "ANDI MUHAMMAD ABDURRAHMAN WAHID SYAIFUDDIN KUSUMAWARDHANA"),  # no trailing comma
    ("É" * 40, "É" * 32),  # one word past the bound: cut inside it, on a character
    ("", ""),
])
def test_b18_subject_attributes_fit_rfc5280_upper_bounds(value: str, expected: str) -> None:
    assert fitted(value) == expected
    assert len(fitted(value).encode()) <= 64


def test_b14_b18_a_long_name_or_instansi_still_gets_its_certificate_subject() -> None:
    """Issue 12 item 1: issuing failed (a 500 after the selfie) for a name the B2 rule allows
    (100 characters) and for any instansi over 64 -- now each is shortened after a word."""
    person = person_subject("Raden Mas " + "Adiwijaya " * 8, MINISTRY, "3174041503800005")
    assert person.common_name.startswith("RADEN MAS ADIWIJAYA")
    assert len(person.common_name) <= 64 and person.organization == fitted(MINISTRY)
    seal = seal_subject(MINISTRY, "holder-1")
    assert seal.common_name == fitted(MINISTRY.upper())
    assert person_subject("Strauß", "BSSN", "1").common_name == "STRAUSS"
