"""X5 and X3: one error type, messages in both languages, no identifier echoed back."""

import pytest

from gerbang_sidecar.domain.identifiers import IdentifierError, parse_nik


def test_x5_error_messages_in_id_and_en() -> None:
    with pytest.raises(IdentifierError) as caught:
        parse_nik("12345")
    error = caught.value
    assert error.code == "nik.length"
    assert error.field == "nik"
    assert error.message() == "NIK harus 16 digit."
    assert error.message("id") == "NIK harus 16 digit."
    assert error.message("en") == "NIK must be 16 digits."
    assert error.message("en-GB") == error.message_en


def test_c5_indonesian_is_the_fallback_language() -> None:
    error = IdentifierError("x.y", "Pesan.", "Message.")
    assert error.message("fr") == "Pesan."


def test_x5_error_is_a_value_error_so_generic_handlers_catch_it() -> None:
    assert issubclass(IdentifierError, ValueError)


def test_x3_error_never_contains_the_rejected_value() -> None:
    raw = "3171011708450001X"
    with pytest.raises(IdentifierError) as caught:
        parse_nik(raw)
    error = caught.value
    for text in (str(error), repr(error), error.message("id"), error.message("en")):
        assert "3171011708450001" not in text
    assert error.__cause__ is None
