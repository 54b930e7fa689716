"""I4: INSW usernames USER.YYYYMMDD.NN.NNNNN, with check digits that catch typos."""

from __future__ import annotations

import datetime as dt

import pytest

from gerbang_sidecar.domain.insw.usernames import is_well_formed, shown, username_for


def test_i4_the_shape_of_the_manual() -> None:
    name = username_for(dt.date(2020, 10, 14), 99)
    assert name.startswith("USER.20201014.") and name.endswith(".00099")
    assert is_well_formed(name) and is_well_formed(name.lower())


def test_i4_the_sequence_grows_past_five_digits() -> None:
    assert username_for(dt.date(2026, 12, 2), 123456).endswith(".123456")


@pytest.mark.parametrize("typo", ["USER.20201014.{nn}.00098", "USER.20201015.{nn}.00099",
                                  "USER.20201014.{nn}.0099"])
def test_i4_a_single_wrong_digit_is_detected(typo: str) -> None:
    nn = username_for(dt.date(2020, 10, 14), 99).split(".")[2]
    assert not is_well_formed(typo.format(nn=nn))


def test_i4_sequence_starts_at_one() -> None:
    with pytest.raises(ValueError):
        username_for(dt.date(2026, 12, 2), 0)


def test_i4_an_insw_username_is_shown_in_capitals_an_email_as_it_is() -> None:
    """Keycloak keeps usernames lower case; the manual writes I4's in capitals. A reviewer
    logs in with their email, which stays as typed (a newcomer saw REVIEWER@EXAMPLE.COM)."""
    username = username_for(dt.date(2020, 10, 14), 99)
    assert shown(username.lower()) == username
    assert shown("reviewer@example.com") == "reviewer@example.com"
