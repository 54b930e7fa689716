"""B2 person names, A4/I1 organisation names, B3 free-text fields."""

import pytest

from gerbang_sidecar.domain.identifiers import (
    IdentifierError,
    parse_jabatan,
    parse_organisation_name,
    parse_person_name,
    parse_provinsi,
    parse_unit_organisasi,
)
from gerbang_sidecar.texts import message


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Budi Santoso", "Budi Santoso"),
        ("  SITI   NURHALIZA ", "SITI NURHALIZA"),
        ("Ma'ruf Amin", "Ma'ruf Amin"),
        ("Ma’ruf Amin", "Ma'ruf Amin"),  # typographic apostrophe
        ("José Müller", "José Müller"),
        ("Sukarno", "Sukarno"),
        ("M Rizky", "M Rizky"),
    ],
)
def test_b2_name_accepts_letters_spaces_apostrophes(raw: str, expected: str) -> None:
    assert parse_person_name(raw).value == expected


@pytest.mark.parametrize(
    "raw",
    [
        "Dr. Budi Santoso",
        "Dr Budi Santoso",
        "dr Budi",
        "Ir. Joko Widodo",
        "Prof Budi",
        "H. Ahmad Dahlan",
        "Hj Siti Aminah",
        "Budi Santoso, S.H.",
        "Budi Santoso SH",
        "Rina Wati S.Kom",
        "Andi M.T.",
        "Dr",
    ],
)
def test_b2_name_rejects_titles(raw: str) -> None:
    with pytest.raises(IdentifierError) as caught:
        parse_person_name(raw)
    assert caught.value.code == "person_name.title"
    assert "gelar" in message(caught.value)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("Budi Santoso 2", "person_name.digits"),
        ("Budi. Santoso", "person_name.punctuation"),
        ("Santoso, Budi", "person_name.punctuation"),
        ("Budi-Santoso", "person_name.chars"),
        ("Будимир", "person_name.chars"),  # Cyrillic look-alikes cannot match Dukcapil
        ("B", "person_name.too_short"),
        ("'", "person_name.too_short"),
        ("A" * 101, "person_name.too_long"),
        (None, "person_name.required"),
    ],
)
def test_b2_name_rejections(raw: str | None, code: str) -> None:
    with pytest.raises(IdentifierError) as caught:
        parse_person_name(raw)
    assert caught.value.code == code


@pytest.mark.parametrize(
    "raw",
    [
        "PT Bank Rakyat Indonesia (Persero) Tbk.",
        "CV. Maju & Jaya",
        "Koperasi Karyawan 17/08",
        "PT O'Neil-Sinar Abadi",
    ],
)
def test_a4_organisation_name_allows_common_punctuation(raw: str) -> None:
    assert parse_organisation_name(raw).value == raw


def test_a4_organisation_name_collapses_spaces() -> None:
    assert parse_organisation_name(" PT   Sinar  Mas ").value == "PT Sinar Mas"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("PT Sinar <script>", "organisation_name.chars"),
        ("PT Sinar; DROP", "organisation_name.chars"),
        ("123", "organisation_name.too_short"),
        ("X", "organisation_name.too_short"),
        ("", "organisation_name.required"),
    ],
)
def test_a4_organisation_name_rejections(raw: str, code: str) -> None:
    with pytest.raises(IdentifierError) as caught:
        parse_organisation_name(raw)
    assert caught.value.code == code


def test_b3_lainnya_fields_accept_letters_digits_spaces() -> None:
    assert parse_unit_organisasi(" Bagian  Umum 2 ") == "Bagian Umum 2"
    assert parse_jabatan("Analis Kebijakan Ahli Muda") == "Analis Kebijakan Ahli Muda"
    assert parse_provinsi("Jawa Barat") == "Jawa Barat"


@pytest.mark.parametrize(
    ("parse", "code", "label_id"),
    [
        (parse_unit_organisasi, "unit_organisasi.chars", "Unit Organisasi"),
        (parse_jabatan, "jabatan.chars", "Jabatan"),
        (parse_provinsi, "provinsi.chars", "Provinsi"),
    ],
)
def test_b3_lainnya_fields_reject_punctuation_with_field_message(
    parse, code: str, label_id: str
) -> None:
    with pytest.raises(IdentifierError) as caught:
        parse("Kepala Sub-Bagian, Umum.")
    assert caught.value.code == code
    assert message(caught.value).startswith(label_id)


def test_b3_lainnya_fields_are_required() -> None:
    with pytest.raises(IdentifierError) as caught:
        parse_jabatan("  ")
    assert caught.value.code == "jabatan.required"
    assert message(caught.value, "en") == "Position is required."
