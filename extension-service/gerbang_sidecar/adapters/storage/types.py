"""Column types: encrypted values and UTC timestamps that behave the same on SQLite and PG.

The encrypting types need the key ring at bind time, but a TypeDecorator only sees the
dialect. Each engine has its own dialect object, so the key ring is attached to the engine's
dialect by :func:`attach_key_ring` when the engine is built -- no module-level key, and two
engines with different keys (tests) do not interfere.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Engine, LargeBinary
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from gerbang_sidecar.adapters.storage.crypto import KeyRing

_ATTR = "gerbang_key_ring"


def attach_key_ring(engine: Engine, key_ring: KeyRing) -> None:
    setattr(engine.dialect, _ATTR, key_ring)


def _key_ring(dialect: Dialect) -> KeyRing:
    ring = getattr(dialect, _ATTR, None)
    if ring is None:
        raise RuntimeError("engine has no key ring; build it with storage.make_engine()")
    return ring


class EncryptedBytes(TypeDecorator[bytes]):
    """AES-GCM encrypted bytes (photos). `context` names the column and is authenticated."""

    impl = LargeBinary
    cache_ok = True

    def __init__(self, context: str) -> None:
        super().__init__()
        self.context = context

    def process_bind_param(self, value: bytes | None, dialect: Dialect) -> bytes | None:
        if value is None:
            return None
        return _key_ring(dialect).encrypt(bytes(value), self.context)

    def process_result_value(self, value: bytes | None, dialect: Dialect) -> bytes | None:
        if value is None:
            return None
        return _key_ring(dialect).decrypt(bytes(value), self.context)


class EncryptedString(TypeDecorator[str]):
    """AES-GCM encrypted text (NIK, passport, phone, email)."""

    impl = LargeBinary
    cache_ok = True

    def __init__(self, context: str) -> None:
        super().__init__()
        self.context = context

    def process_bind_param(self, value: str | None, dialect: Dialect) -> bytes | None:
        if value is None:
            return None
        return _key_ring(dialect).encrypt(value.encode("utf-8"), self.context)

    def process_result_value(self, value: bytes | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return _key_ring(dialect).decrypt(bytes(value), self.context).decode("utf-8")


class EncryptedJSON(TypeDecorator[Any]):
    """AES-GCM encrypted JSON document (outbox payloads carry codes and addresses)."""

    impl = LargeBinary
    cache_ok = True

    def __init__(self, context: str) -> None:
        super().__init__()
        self.context = context

    def process_bind_param(self, value: Any, dialect: Dialect) -> bytes | None:
        if value is None:
            return None
        data = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        return _key_ring(dialect).encrypt(data, self.context)

    def process_result_value(self, value: bytes | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        return json.loads(_key_ring(dialect).decrypt(bytes(value), self.context))


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out. SQLite keeps no zone, so values are stored as naive
    UTC there; PostgreSQL stores ``timestamptz``. Naive input is refused: it is always a bug."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime; pass an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
