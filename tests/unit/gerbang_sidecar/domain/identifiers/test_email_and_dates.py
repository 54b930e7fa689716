"""A2/I2 email addresses and O2/O3 dates in dd-mm-yyyy."""

import datetime as dt

import pytest

from gerbang_sidecar.domain.identifiers import (
    DateField,
    IdentifierError,
    parse_birth_date,
    parse_date_dmy,
    parse_email,
)
from gerbang_sidecar.texts import message


def test_a2_email_lowercases_domain_only() -> None:
    email = parse_email("  Budi.Santoso+akses@Mail.Example.CO.ID ")
    assert email.value == "Budi.Santoso+akses@mail.example.co.id"
    assert email.local_part == "Budi.Santoso+akses"
    assert email.domain == "mail.example.co.id"


@pytest.mark.parametrize(
    "raw",
    [
        "budi",
        "budi@",
        "@example.com",
        "budi@example",
        "budi@@example.com",
        "budi..santoso@example.com",
        ".budi@example.com",
        "budi@-example.com",
        "budi@example.c",
        "budi@exa_mple.com",
        "budi santoso@example.com",
        "bùdi@example.com",
        '"budi"@example.com',
        "budi@[127.0.0.1]",
        "a" * 65 + "@example.com",
    ],
)
def test_i2_email_rejects_bad_syntax(raw: str) -> None:
    with pytest.raises(IdentifierError) as caught:
        parse_email(raw)
    assert caught.value.code == "email.format"


def test_i2_email_max_254_characters() -> None:
    domain = ".".join(["a" * 60] * 4) + ".com"
    ok = "b" * (254 - len(domain) - 1) + "@" + domain
    assert parse_email(ok).value == ok
    with pytest.raises(IdentifierError) as caught:
        parse_email("b" + ok)
    assert caught.value.code == "email.too_long"


def test_o2_date_in_dd_mm_yyyy() -> None:
    assert parse_date_dmy("17-08-1945") == dt.date(1945, 8, 17)
    assert parse_date_dmy("7-8-1945") == dt.date(1945, 8, 7)
    assert parse_date_dmy("17/08/1945") == dt.date(1945, 8, 17)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("1945-08-17", "date.format"),
        ("17-08-45", "date.format"),
        ("17 Agustus 1945", "date.format"),
        ("30-02-2000", "date.invalid"),
        ("", "date.required"),
    ],
)
def test_o2_date_rejections(raw: str, code: str) -> None:
    with pytest.raises(IdentifierError) as caught:
        parse_date_dmy(raw)
    assert caught.value.code == code


def test_o3_date_errors_name_their_field() -> None:
    with pytest.raises(IdentifierError) as caught:
        parse_date_dmy("2030-01-01", field=DateField.PASSPORT_EXPIRY_DATE)
    assert caught.value.code == "passport_expiry_date.format"
    assert message(caught.value).startswith("Tanggal Expired Paspor")


def test_o2_birth_date_not_in_future_nor_before_1900() -> None:
    today = dt.date(2025, 6, 1)
    assert parse_birth_date("01-06-2025", today=today) == today
    with pytest.raises(IdentifierError) as caught:
        parse_birth_date("02-06-2025", today=today)
    assert caught.value.code == "birth_date.future"
    with pytest.raises(IdentifierError) as caught:
        parse_birth_date("31-12-1899", today=today)
    assert caught.value.code == "birth_date.too_old"
    with pytest.raises(IdentifierError) as caught:
        parse_birth_date("31-02-1990", today=today)
    assert caught.value.code == "birth_date.invalid"
