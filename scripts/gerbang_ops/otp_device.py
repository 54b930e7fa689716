"""An OTP device as Keycloak's admin API stores it (a user's credential), for the demo
accounts, the benchmarks and the tests: a BSrE login never sets one up itself (B9)."""

from __future__ import annotations

import base64
import json
import secrets


def new_key() -> str:
    return secrets.token_hex(10)


def totp_credential(key: str, label: str) -> dict[str, str]:
    """TOTP, 6 digits, 30 s, as the realms' OTP policy (B6); Keycloak keeps ``key`` as text."""
    return {"type": "otp", "userLabel": label, "secretData": json.dumps({"value": key}),
            "credentialData": json.dumps({"subType": "totp", "digits": 6, "period": 30,
                                          "algorithm": "HmacSHA1", "counter": 0})}


def authenticator_key(key: str) -> str:
    """What an authenticator app is given for ``key``: base32 of its text."""
    return base64.b32encode(key.encode()).decode()
