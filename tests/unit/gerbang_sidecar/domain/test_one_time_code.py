"""Pure one-time code rules (A6, B2, C2, X2): no database, no clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from gerbang_sidecar.domain.one_time_code import (
    A6_EMAIL,
    B2_WHATSAPP,
    code_matches,
    generate_code,
    hash_code,
    policy_named,
    resend_wait,
)
from gerbang_sidecar.domain.throttle import TooEarly

NOW = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
KEY = b"k" * 32


def test_a6_policy_five_digits_email_15_minutes():
    assert (A6_EMAIL.digits, A6_EMAIL.channel, A6_EMAIL.ttl) == (5, "email", timedelta(minutes=15))
    assert A6_EMAIL.resend_after == timedelta(minutes=15)
    assert A6_EMAIL.max_attempts == 5


def test_b2_policy_six_digits_whatsapp_15_minutes():
    assert (B2_WHATSAPP.digits, B2_WHATSAPP.channel) == (6, "whatsapp")
    assert B2_WHATSAPP.ttl == timedelta(minutes=15)
    assert B2_WHATSAPP.max_attempts == 5
    assert policy_named("b2_whatsapp") is B2_WHATSAPP


def test_x2_generated_code_keeps_leading_zeros():
    assert generate_code(A6_EMAIL, randbelow=lambda n: 42) == "00042"
    assert generate_code(B2_WHATSAPP, randbelow=lambda n: n - 1) == "999999"


@given(st.sampled_from([A6_EMAIL, B2_WHATSAPP]))
def test_x2_generated_codes_are_digits_of_the_policy_length(policy):
    code = generate_code(policy)
    assert len(code) == policy.digits and code.isdigit()


@given(st.text(max_size=12))
def test_x2_only_the_exact_code_matches(submitted):
    salt = b"s" * 16
    stored = hash_code(KEY, salt, "04821")
    assert code_matches(KEY, salt, submitted, stored) == (submitted.strip() == "04821")


def test_x2_hash_depends_on_salt_and_key():
    assert hash_code(KEY, b"a" * 16, "12345") != hash_code(KEY, b"b" * 16, "12345")
    assert hash_code(KEY, b"a" * 16, "12345") != hash_code(b"x" * 32, b"a" * 16, "12345")


def test_c2_resend_wait_counts_from_the_last_code():
    issued = [NOW - timedelta(minutes=20), NOW - timedelta(minutes=1)]
    assert resend_wait(A6_EMAIL, NOW, issued) == TooEarly(14 * 60, "resend_after")
    assert resend_wait(A6_EMAIL, NOW, []) is None
    assert resend_wait(A6_EMAIL, NOW, [NOW - timedelta(minutes=15)]) is None


def test_x2_daily_cap_is_a_rolling_24_hours():
    issued = [NOW - timedelta(hours=23, minutes=m) for m in range(B2_WHATSAPP.daily_cap)]
    wait = resend_wait(B2_WHATSAPP, NOW, issued)
    assert wait == TooEarly(60 * 60 - 4 * 60, "daily_cap")
    assert resend_wait(B2_WHATSAPP, NOW + timedelta(seconds=wait.retry_after_seconds),
                       issued) is None
