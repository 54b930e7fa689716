"""The ``gerbang-sidecar`` client's secret in each realm, derived from the sidecar's one secret.

Keycloak shows a confidential client's secret to every administrator of its realm who may view
clients. With one secret in all four realms, an administrator of ``oss`` could read it there and
manage ``bsre``'s users as the sidecar. Each realm therefore holds its own secret, an HMAC of
the realm's name under ``SIDECAR_CLIENT_SECRET``: provisioning writes it into the realm
(``${SIDECAR_REALM_CLIENT_SECRET}``), the sidecar derives the same one when it logs in, and the
operator still keeps, rotates and hands out one value. A secret read in one realm opens no
other, and does not give back the one it was derived from.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

# Names the purpose, so the same master secret could never yield this value for another use.
_PURPOSE = b"gerbang-sidecar client secret of realm\x00"


def realm_client_secret(sidecar_secret: str, realm: str) -> str:
    """The secret of ``gerbang-sidecar`` in ``realm`` (43 URL-safe characters, 256 bits)."""
    if not sidecar_secret:
        raise ValueError("SIDECAR_CLIENT_SECRET is empty: no realm secret can be derived from it")
    digest = hmac.new(sidecar_secret.encode(), _PURPOSE + realm.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
