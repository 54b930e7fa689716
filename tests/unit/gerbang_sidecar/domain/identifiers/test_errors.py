"""X5 and X3: one error type, a code and a sentence in both languages, no identifier echoed."""

import pytest

from gerbang_sidecar.domain.identifiers import IdentifierError, parse_nik
from gerbang_sidecar.texts import message


def test_x5_error_messages_in_id_and_en() -> None:
    with pytest.raises(IdentifierError) as caught:
        parse_nik("12345")
    error = caught.value
    assert error.code == "nik.length"
    assert error.field == "nik"
    assert message(error) == "NIK harus 16 digit."
    assert message(error, "id") == "NIK harus 16 digit."
    assert message(error, "en") == "NIK must be 16 digits."
    assert message(error, "en-GB") == message(error, "en")


def test_c5_indonesian_is_the_fallback_language() -> None:
    assert message(IdentifierError("nik.length"), "fr") == "NIK harus 16 digit."


def test_x5_error_is_a_value_error_so_generic_handlers_catch_it() -> None:
    assert issubclass(IdentifierError, ValueError)


def test_x3_error_never_contains_the_rejected_value() -> None:
    raw = "3171011708450001X"
    with pytest.raises(IdentifierError) as caught:
        parse_nik(raw)
    error = caught.value
    for text in (str(error), repr(error), message(error, "id"), message(error, "en"),
                 repr(error.params)):
        assert "3171011708450001" not in text
    assert error.__cause__ is None
