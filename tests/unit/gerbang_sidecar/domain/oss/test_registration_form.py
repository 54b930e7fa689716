"""O1–O4: the OSS registration form's rules, every error at once (X5)."""

from __future__ import annotations

import datetime as dt

import pytest

from gerbang_sidecar.domain.oss.registration_form import (
    FieldErrors,
    IdentityType,
    OssRegistration,
    Sex,
    form_fields,
    validate_form,
)
from gerbang_sidecar.texts import message

TODAY = dt.date(2026, 12, 2)
# NIK 3171014407960019: female (day + 40), born 04-07-1996.
KTP = {"identity_type": "ktp", "nik": "3171014407960019", "name": "Sri Handayani",
       "country": "ID", "birth_date": "04-07-1996", "phone": "81355500041",
       "email": "sri.handayani@example.com", "terms": "y"}
PASPOR = {"identity_type": "paspor", "passport": "K4M8Q2705", "passport_country": "AU",
          "passport_issue_date": "15-01-2022", "passport_expiry_date": "15-01-2032",
          "passport_office": "Canberra", "name": "Olivia Bennett", "sex": "P",
          "citizenship": "AU", "birth_place": "Sydney", "birth_date": "09-05-1988",
          "phone": "+61 412 345 678", "email": "olivia@example.com", "terms": "on"}


def errors_of(form: dict[str, str]) -> dict[str, str]:
    result = validate_form(form, today=TODAY)
    assert isinstance(result, FieldErrors), result
    return {field: message(error, "id") for field, error in result.errors.items()}


def test_o2_a_valid_ktp_registration_is_normalised() -> None:
    result = validate_form(KTP, today=TODAY)
    assert isinstance(result, OssRegistration)
    assert (result.identity_type, result.nik, result.phone, result.birth_date, result.country) \
        == (IdentityType.KTP, "3171014407960019", "+6281355500041", dt.date(1996, 7, 4), "ID")
    assert OssRegistration.from_dict(result.to_dict()) == result
    assert "3171014407960019" not in repr(result)


def test_o2_the_phone_is_read_with_the_chosen_countrys_dial_code() -> None:
    result = validate_form({**KTP, "country": "MY", "phone": "123456789"}, today=TODAY)
    assert isinstance(result, OssRegistration) and result.phone == "+60123456789"


def test_o2_every_field_is_mandatory_and_all_errors_come_together() -> None:
    errors = errors_of({"identity_type": "ktp"})
    assert set(errors) == {"nik", "name", "country", "birth_date", "phone", "email", "terms"}


def test_o2_the_birth_date_must_agree_with_the_nik() -> None:
    errors = errors_of({**KTP, "birth_date": "05-07-1996"})
    assert set(errors) == {"birth_date"}


def test_o4_the_terms_must_be_ticked() -> None:
    form = {k: v for k, v in KTP.items() if k != "terms"}
    assert set(errors_of(form)) == {"terms"}
    assert "Syarat dan Ketentuan" in errors_of(form)["terms"]


def test_o1_an_unknown_identity_type_is_refused() -> None:
    assert set(errors_of({**KTP, "identity_type": "sim"})) == {"identity_type"}


def test_o3_a_valid_passport_registration() -> None:
    result = validate_form(PASPOR, today=TODAY)
    assert isinstance(result, OssRegistration)
    assert (result.passport, result.passport_country, result.country, result.sex,
            result.phone) == ("K4M8Q2705", "AU", "AU", Sex.P, "+61412345678")
    assert OssRegistration.from_dict(result.to_dict()) == result


def test_o3_every_passport_field_is_mandatory() -> None:
    errors = errors_of({"identity_type": "paspor"})
    assert set(errors) == {"passport", "passport_country", "passport_issue_date",
                           "passport_expiry_date", "passport_office", "name", "sex",
                           "citizenship", "birth_place", "birth_date", "phone", "email",
                           "terms"}


@pytest.mark.parametrize(("changes", "field"), [
    ({"passport_expiry_date": "01-12-2026"}, "passport_expiry_date"),    # expired
    ({"passport_issue_date": "16-01-2032"}, "passport_issue_date"),      # issued in the future
    ({"passport_issue_date": "15-01-2024", "passport_expiry_date": "14-01-2024"},
     "passport_expiry_date"),                                             # expires before issue
    ({"passport_issue_date": "01-01-1980"}, "passport_issue_date"),      # before birth
    ({"birth_date": "01-01-2015"}, "birth_date"),                         # a child
    ({"passport_country": "XY"}, "passport_country"),                    # not in the list
    ({"citizenship": "Australia"}, "citizenship"),
    ({"sex": "X"}, "sex"),
    ({"passport_office": "!!"}, "passport_office"),
    ({"passport_country": "ID", "passport": "K4M8Q2705"}, "passport"),   # Indonesian format
])
def test_o3_passport_rules(changes: dict[str, str], field: str) -> None:
    assert field in errors_of({**PASPOR, **changes})


def test_x5_form_fields_keep_what_was_typed() -> None:
    kept = form_fields({**KTP, "nik": " 3171 0144 ", "extra": "x"})
    assert kept["nik"] == " 3171 0144 " and "extra" not in kept and "terms" not in kept
