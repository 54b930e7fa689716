"""X6, X7: the OCSP responder's and the TSA's keys sign for a year at most and are replaced
well before their certificate lapses -- also when the issuing CA's end cut the certificate
short."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gerbang_sidecar.domain.certificates.service_keys import (
    KEY_USAGE_PERIOD,
    RENEW_BEFORE,
    renewal_due,
    renewal_due_at,
)

START = datetime(2026, 1, 1, tzinfo=UTC)


def test_x6_a_two_year_responder_gets_a_new_key_after_a_year() -> None:
    end = START + timedelta(days=730)
    assert renewal_due_at(START, end) == START + KEY_USAGE_PERIOD
    assert not renewal_due(START, end, START + timedelta(days=364))
    assert renewal_due(START, end, START + timedelta(days=365))


def test_x7_the_tsa_certificate_valid_for_years_still_changes_key_yearly() -> None:
    assert renewal_due_at(START, START + timedelta(days=365 * 8)) == START + KEY_USAGE_PERIOD


def test_x6_a_certificate_cut_short_by_the_issuing_ca_is_replaced_before_it_lapses() -> None:
    end = START + timedelta(days=90)
    assert renewal_due_at(START, end) == end - RENEW_BEFORE
    assert renewal_due(START, end, end - timedelta(days=59))
    assert renewal_due(START, end, end + timedelta(days=1))  # lapsed: overdue, still due
