"""Keys and field encryption for personal identifiers at rest (X3).

Key settings (``GERBANG_PII_KEY``, ``GERBANG_BLIND_INDEX_KEY``) are strings. Each secret is
either the base64 (standard or URL-safe, padding optional) of exactly 32 random bytes, e.g.
``python -c "import secrets; print(secrets.token_urlsafe(32))"`` -- which is also what a local
run generates -- or any passphrase of at least 32 characters. The actual keys are derived
from that material with HKDF-SHA256 and a purpose label, so one secret never serves two
purposes (AES key, blind-index key, one-time-code key, key id).

Rotation of the PII key: ``GERBANG_PII_KEY`` may list several secrets separated by commas,
newest first. The first encrypts; every one decrypts, chosen by the key id stored in each
ciphertext. Old rows keep working until re-encrypted. The blind-index key cannot rotate
without recomputing every index (the index exists to be looked up by recomputation).

Ciphertext layout: ``0x01 | key id (4 bytes) | nonce (12 bytes) | AES-256-GCM ciphertext+tag``.
The header and the column's context label are authenticated as associated data, so a value
copied into another column does not decrypt.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy.orm import Session

FORMAT_VERSION = 1
_KEY_ID_LEN = 4
_NONCE_LEN = 12
_MIN_PASSPHRASE = 32


class KeyConfigError(ValueError):
    """A key setting is missing or too weak."""


class DecryptionError(ValueError):
    """A stored value cannot be decrypted (unknown key id, tampered or foreign bytes)."""


def key_material(secret: str) -> bytes:
    """The input keying material of one secret (see the module docstring)."""
    text = secret.strip()
    if not text:
        raise KeyConfigError("key is empty")
    standard = text.replace("-", "+").replace("_", "/")
    try:
        raw = base64.b64decode(standard + "=" * (-len(standard) % 4), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) == 32:
        return raw
    if len(text) < _MIN_PASSPHRASE:
        raise KeyConfigError(
            "key must be base64 of 32 random bytes or a passphrase of at least "
            f"{_MIN_PASSPHRASE} characters"
        )
    return text.encode("utf-8")


def derive_key(material: bytes, purpose: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=f"gerbang/{purpose}".encode()
    ).derive(material)


class KeyRing:
    """AES-256-GCM with a current key and older keys kept for decryption."""

    def __init__(self, secrets_newest_first: Sequence[str]) -> None:
        if not secrets_newest_first:
            raise KeyConfigError("at least one PII key is required")
        self._keys: dict[bytes, AESGCM] = {}
        ids: list[bytes] = []
        for secret in secrets_newest_first:
            material = key_material(secret)
            key_id = derive_key(material, "pii/key-id/v1")[:_KEY_ID_LEN]
            if key_id in self._keys:
                raise KeyConfigError("the same PII key is listed twice")
            self._keys[key_id] = AESGCM(derive_key(material, "pii/aes-gcm/v1"))
            ids.append(key_id)
        self._current = ids[0]

    @classmethod
    def from_setting(cls, value: str) -> KeyRing:
        return cls([part for part in value.split(",") if part.strip()])

    @property
    def current_key_id(self) -> bytes:
        return self._current

    def encrypt(self, plaintext: bytes, context: str) -> bytes:
        header = bytes([FORMAT_VERSION]) + self._current
        nonce = os.urandom(_NONCE_LEN)  # random 96-bit nonce; safe far beyond our row counts
        sealed = self._keys[self._current].encrypt(nonce, plaintext, _aad(header, context))
        return header + nonce + sealed

    def decrypt(self, blob: bytes, context: str) -> bytes:
        head_len = 1 + _KEY_ID_LEN
        if len(blob) < head_len + _NONCE_LEN + 16 or blob[0] != FORMAT_VERSION:
            raise DecryptionError("not a Gerbang ciphertext")
        header, key_id = blob[:head_len], blob[1:head_len]
        aead = self._keys.get(key_id)
        if aead is None:
            raise DecryptionError("ciphertext was made with a key that is not configured")
        nonce = blob[head_len:head_len + _NONCE_LEN]
        try:
            return aead.decrypt(nonce, blob[head_len + _NONCE_LEN:], _aad(header, context))
        except InvalidTag:
            raise DecryptionError("ciphertext failed authentication") from None

    def needs_reencryption(self, blob: bytes) -> bool:
        return blob[1:1 + _KEY_ID_LEN] != self._current


def _aad(header: bytes, context: str) -> bytes:
    return header + b"|" + context.encode("utf-8")


# Identifier kinds the blind index knows how to canonicalise.
_UPPER_KINDS = frozenset({"passport", "sid"})
_DIGIT_KINDS = frozenset({"nik", "phone"})


def normalise_for_index(kind: str, value: str) -> str:
    """Canonical form for exact matching. Callers should already pass the domain-normalised
    value (E.164 phones, NIK digits); this only removes harmless formatting differences."""
    text = unicodedata.normalize("NFKC", value).strip()
    if kind == "email":
        return text.casefold()
    if kind in _UPPER_KINDS or kind in _DIGIT_KINDS:
        text = "".join(ch for ch in text if not ch.isspace() and ch not in "-.")
    return text.upper() if kind in _UPPER_KINDS else text


class BlindIndex:
    """HMAC-SHA256 of the normalised value, keyed apart from the encryption key, so equal
    identifiers can be found without decrypting every row."""

    def __init__(self, secret: str) -> None:
        self._key = derive_key(key_material(secret), "blind-index/v1")

    def compute(self, kind: str, value: str) -> bytes:
        message = kind.encode() + b"\x1f" + normalise_for_index(kind, value).encode("utf-8")
        return hmac.new(self._key, message, hashlib.sha256).digest()


@dataclass(frozen=True)
class StorageKeys:
    """Every key the storage layer and its services need, derived once at start-up."""

    pii: KeyRing
    blind_index: BlindIndex
    one_time_code: bytes

    @classmethod
    def from_settings(cls, pii_key: str, blind_index_key: str) -> StorageKeys:
        return cls(
            pii=KeyRing.from_setting(pii_key),
            blind_index=BlindIndex(blind_index_key),
            one_time_code=derive_key(key_material(blind_index_key), "one-time-code/v1"),
        )


# The session factory carries the keys, so a repository made on any of its sessions can
# compute blind indexes without a key passed around.
SESSION_KEYS = "gerbang_storage_keys"


def keys_of(session: Session) -> StorageKeys:
    keys = session.info.get(SESSION_KEYS)
    if keys is None:
        raise RuntimeError("session was not made by Storage.session_factory")
    return keys
