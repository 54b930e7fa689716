"""The sidecar's own database: models, encryption at rest (X3), repositories, outbox."""

from gerbang_sidecar.adapters.storage.crypto import (
    BlindIndex,
    DecryptionError,
    KeyConfigError,
    KeyRing,
    StorageKeys,
)
from gerbang_sidecar.adapters.storage.engine import AppendOnlyViolation, Storage, make_engine
from gerbang_sidecar.adapters.storage.flask_ext import get_session, get_storage, init_app
from gerbang_sidecar.adapters.storage.repositories import (
    AuditLog,
    DuplicateIdentifier,
    IdentityRecords,
    OneTimeCodes,
    Outbox,
)

__all__ = [
    "AppendOnlyViolation",
    "AuditLog",
    "BlindIndex",
    "DecryptionError",
    "DuplicateIdentifier",
    "IdentityRecords",
    "KeyConfigError",
    "KeyRing",
    "OneTimeCodes",
    "Outbox",
    "Storage",
    "StorageKeys",
    "get_session",
    "get_storage",
    "init_app",
    "make_engine",
]
