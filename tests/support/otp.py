"""A fresh OTP device for a test user: the credential to store and the app that reads it."""

from __future__ import annotations

import pyotp

from gerbang_ops.otp_device import authenticator_key, new_key, totp_credential


def otp_credential(label: str) -> tuple[dict[str, str], pyotp.TOTP]:
    key = new_key()
    return totp_credential(key, label), pyotp.TOTP(authenticator_key(key))
